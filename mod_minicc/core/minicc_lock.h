/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The lock of a child's state, for db.c, callers.c and throttle.c: NULL
 * under a MPM without threads (one request at a time), and then never
 * taken.  APR only.
 */
#ifndef MINICC_LOCK_H
#define MINICC_LOCK_H

#include <apr_thread_mutex.h>

#if APR_HAS_THREADS
typedef apr_thread_mutex_t minicc_mutex_t;

static APR_INLINE apr_status_t minicc_mutex_create(minicc_mutex_t **m,
                                                   apr_pool_t *p)
{
    return apr_thread_mutex_create(m, APR_THREAD_MUTEX_DEFAULT, p);
}

static APR_INLINE void minicc_lock(minicc_mutex_t *m)
{
    if (m) {
        apr_thread_mutex_lock(m);
    }
}

static APR_INLINE void minicc_unlock(minicc_mutex_t *m)
{
    if (m) {
        apr_thread_mutex_unlock(m);
    }
}
#else
typedef void minicc_mutex_t;
#define minicc_mutex_create(m, p) (*(m) = NULL, APR_ENOTIMPL)
#define minicc_lock(m) ((void)(m))
#define minicc_unlock(m) ((void)(m))
#endif

#endif /* MINICC_LOCK_H */
