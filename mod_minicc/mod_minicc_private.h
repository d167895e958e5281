/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * What every httpd-side file of the module but mod_minicc.c (which declares
 * the module) includes first: the module, for its configuration and its
 * per-module LogLevel.
 */
#ifndef MOD_MINICC_PRIVATE_H
#define MOD_MINICC_PRIVATE_H

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

APLOG_USE_MODULE(minicc);

#endif /* MOD_MINICC_PRIVATE_H */
