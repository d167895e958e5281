/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * A thread of a child's own (minicc_worker.h): the one place that starts,
 * wakes and joins the module's background threads, in the order the
 * child's pools need.
 */
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "minicc_worker.h"

#if APR_HAS_THREADS
struct minicc_worker {
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
    apr_thread_t *thread;
    int stopping;
    apr_interval_time_t next;
    minicc_worker_fn fn;
    void *baton;
};

static void *APR_THREAD_FUNC loop(apr_thread_t *thread, void *data)
{
    minicc_worker_t *w = data;

    apr_thread_mutex_lock(w->mutex);
    while (!w->stopping) {
        apr_interval_time_t next;

        apr_thread_cond_timedwait(w->cond, w->mutex, w->next);
        if (w->stopping) {
            break;
        }
        /* the round without the lock: the child may stop meanwhile */
        apr_thread_mutex_unlock(w->mutex);
        next = w->fn(w, w->baton);
        apr_thread_mutex_lock(w->mutex);
        w->next = next;
    }
    apr_thread_mutex_unlock(w->mutex);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A pre-cleanup of pchild: the thread is joined before pchild destroys
 * its subpools (the thread's own among them) and runs its plain cleanups
 * (which free what the rounds use). */
static apr_status_t stop(void *data)
{
    minicc_worker_t *w = data;
    apr_status_t rv;

    apr_thread_mutex_lock(w->mutex);
    w->stopping = 1;
    apr_thread_cond_signal(w->cond);
    apr_thread_mutex_unlock(w->mutex);
    apr_thread_join(&rv, w->thread);
    return APR_SUCCESS;
}

apr_status_t minicc_worker_start(apr_pool_t *pchild, apr_interval_time_t first,
                                 minicc_worker_fn fn, void *baton,
                                 minicc_worker_t **out)
{
    minicc_worker_t *w = apr_pcalloc(pchild, sizeof(*w));
    apr_status_t rv;

    *out = NULL;
    w->next = first;
    w->fn = fn;
    w->baton = baton;
    if ((rv = apr_thread_mutex_create(&w->mutex, APR_THREAD_MUTEX_DEFAULT,
                                      pchild)) != APR_SUCCESS
        || (rv = apr_thread_cond_create(&w->cond, pchild)) != APR_SUCCESS
        || (rv = apr_thread_create(&w->thread, NULL, loop, w, pchild))
           != APR_SUCCESS) {
        return rv;
    }
    apr_pool_pre_cleanup_register(pchild, w, stop);
    *out = w;
    return APR_SUCCESS;
}

int minicc_worker_stopping(minicc_worker_t *w)
{
    int stopping;

    apr_thread_mutex_lock(w->mutex);
    stopping = w->stopping;
    apr_thread_mutex_unlock(w->mutex);
    return stopping;
}
#else
apr_status_t minicc_worker_start(apr_pool_t *pchild, apr_interval_time_t first,
                                 minicc_worker_fn fn, void *baton,
                                 minicc_worker_t **out)
{
    (void)pchild;
    (void)first;
    (void)fn;
    (void)baton;
    *out = NULL;
    return APR_ENOTIMPL;
}

int minicc_worker_stopping(minicc_worker_t *w)
{
    (void)w;
    return 1;
}
#endif
