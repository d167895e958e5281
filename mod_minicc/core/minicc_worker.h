/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * A thread of a child's own that does a round of work now and then
 * (worker.c): the spool's replay, the writer of who waits.  APR only.
 * Its life is the child's: started in child_init, stopped and joined by a
 * pre-cleanup of pchild, so before pchild destroys its subpools (the
 * thread's own among them) and before the plain cleanups that free what
 * its rounds use.
 */
#ifndef MINICC_WORKER_H
#define MINICC_WORKER_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct minicc_worker minicc_worker_t;

/* One round of work; returns how long until the next. */
typedef apr_interval_time_t (*minicc_worker_fn)(minicc_worker_t *w,
                                                void *baton);

/* Starts the thread: its first round after first, then after what each
 * round returns.  APR_SUCCESS, or why it could not be started (then
 * there is none). */
apr_status_t minicc_worker_start(apr_pool_t *pchild, apr_interval_time_t first,
                                 minicc_worker_fn fn, void *baton,
                                 minicc_worker_t **w);

/* Whether the child is stopping the thread: a long round ends early. */
int minicc_worker_stopping(minicc_worker_t *w);

#endif /* MINICC_WORKER_H */
