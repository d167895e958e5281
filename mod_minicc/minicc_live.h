/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * minicc-live and minicc-metrics (live.c): GET and HEAD.
 */
#ifndef MINICC_LIVE_H
#define MINICC_LIVE_H

#include <httpd.h>

int minicc_live_handler(request_rec *r);
int minicc_metrics_handler(request_rec *r);

#endif /* MINICC_LIVE_H */
