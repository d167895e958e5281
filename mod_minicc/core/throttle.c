/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * During an outage every request meets the same failure: one line for each
 * would bury what happened under thousands that say nothing new.  So such a
 * line is let through once per interval, saying how many it stands for.
 */
#include "minicc_lock.h"
#include "minicc_throttle.h"

struct minicc_throttle {
    minicc_mutex_t *lock;
    apr_time_t last;            /* when a line was last let through */
    int held;                   /* held back since */
};

minicc_throttle_t *minicc_throttle_create(apr_pool_t *p, int threaded)
{
    minicc_throttle_t *t = apr_pcalloc(p, sizeof(*t));

    if (threaded && minicc_mutex_create(&t->lock, p) != APR_SUCCESS) {
        return NULL;
    }
    return t;
}

int minicc_throttle_pass(minicc_throttle_t *t, apr_time_t now,
                         apr_interval_time_t interval, int *held)
{
    int pass;

    if (!t) {
        *held = 0;
        return 1;
    }
    minicc_lock(t->lock);
    pass = !t->last || now - t->last >= interval;
    if (pass) {
        *held = t->held;
        t->held = 0;
        t->last = now;
    }
    else {
        t->held++;
    }
    minicc_unlock(t->lock);
    return pass;
}
