/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/worker.c: a thread of the child's own, its rounds timed by what
 * each returns, joined by a pre-cleanup of its pool before the pool's
 * plain cleanups run.
 */
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "minicc_worker.h"
#include "unit.h"

typedef struct {
    volatile apr_uint32_t rounds;
    volatile apr_uint32_t after_cleanup;    /* rounds after the plain
                                             * cleanup ran */
    volatile apr_uint32_t cleaned;
} state_t;

static apr_interval_time_t round_fn(minicc_worker_t *w, void *baton)
{
    state_t *st = baton;

    (void)w;
    apr_atomic_inc32(&st->rounds);
    if (apr_atomic_read32(&st->cleaned)) {
        apr_atomic_inc32(&st->after_cleanup);
    }
    return apr_time_from_msec(10);
}

static apr_status_t plain_cleanup(void *data)
{
    state_t *st = data;

    apr_atomic_set32(&st->cleaned, 1);
    return APR_SUCCESS;
}

void test_worker(apr_pool_t *p)
{
    apr_pool_t *child;
    minicc_worker_t *w = NULL;
    state_t st = { 0, 0, 0 };
    apr_status_t rv;
    apr_uint32_t seen;

    apr_pool_create(&child, p);
    /* registered first, so it would run last of the plain cleanups: the
     * thread must be gone before any of them */
    apr_pool_cleanup_register(child, &st, plain_cleanup,
                              apr_pool_cleanup_null);
    rv = minicc_worker_start(child, apr_time_from_msec(5), round_fn, &st,
                             &w);
    ok(rv == APR_SUCCESS && w != NULL, "worker: started");
    apr_sleep(apr_time_from_msec(200));
    seen = apr_atomic_read32(&st.rounds);
    ok(seen >= 3 && seen <= 40,
       apr_psprintf(p, "worker: rounds every 10 ms as the round said "
                    "(%u in 200 ms)", seen));
    ok(rv == APR_SUCCESS && !minicc_worker_stopping(w),
       "worker: not stopping while its pool lives");
    apr_pool_destroy(child);
    ok(apr_atomic_read32(&st.cleaned) == 1
       && apr_atomic_read32(&st.after_cleanup) == 0,
       "worker: joined by the pool's pre-cleanup, before its plain cleanups");
    seen = apr_atomic_read32(&st.rounds);
    apr_sleep(apr_time_from_msec(50));
    ok(apr_atomic_read32(&st.rounds) == seen, "worker: no round after the join");
}
