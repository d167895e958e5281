/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * MiniCCRetention (retention.c): the daily deletion of old rows, by one
 * server of a cluster at a time.
 */
#ifndef MINICC_RETENTION_H
#define MINICC_RETENTION_H

#include <httpd.h>

/* With MiniCCRetention set (the main server's), this child's thread that
 * looks whether the day's run is due and, holding its lock, runs it. */
void minicc_retention_child_init(apr_pool_t *pchild, server_rec *s);

#endif /* MINICC_RETENTION_H */
