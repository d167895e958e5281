/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * A log line that an outage would repeat for every request: let one through
 * per interval, and count the others for the next one (throttle.c, APR
 * only).
 */
#ifndef MINICC_THROTTLE_H
#define MINICC_THROTTLE_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct minicc_throttle minicc_throttle_t;

/* threaded: with a lock (NULL when it cannot be made: then every line
 * passes). */
minicc_throttle_t *minicc_throttle_create(apr_pool_t *p, int threaded);

/* Whether a line may be logged at now: the first, and then one per
 * interval.  *held gets how many were held back since the last one let
 * through (only when it returns nonzero). */
int minicc_throttle_pass(minicc_throttle_t *t, apr_time_t now,
                         apr_interval_time_t interval, int *held);

#endif /* MINICC_THROTTLE_H */
