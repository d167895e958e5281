/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The counters of minicc-metrics.  A scrape is answered by one child, but
 * must count what all did: the counters live in anonymous shared memory
 * that post_config makes in the parent, which every child inherits when it
 * is forked, and are added to with atomic instructions (no lock on the
 * webhooks' path).  A restart makes a new generation and new counters:
 * Prometheus takes a counter that starts again from 0 for a reset.
 */
#include <apr_atomic.h>
#include <apr_shm.h>

#include "minicc_metrics.h"

/* The statuses the module and Apache give its URLs; the rest is "other"
 * (the last column of each handler's row). */
static const int statuses[] = {
    200, 304, 400, 401, 403, 404, 405, 413, 500, 503
};
#define NSTATUSES ((int)(sizeof(statuses) / sizeof(statuses[0])))

/* In shared memory: the counters, then a row of NSTATUSES + 1 request
 * counters per handler, as many as the handlers' table has (the names are
 * the module's static strings, the same in every child it forks). */
struct minicc_metrics {
    const char *const *handlers;
    int nhandlers;
    volatile apr_uint64_t counters[MINICC_M_COUNT];
    volatile apr_uint64_t batch[MINICC_M_BATCH_BUCKETS];
    volatile apr_uint64_t batch_rows;
    volatile apr_uint64_t requests[];   /* [nhandlers][NSTATUSES + 1] */
};
#define REQUESTS(m, h, s) ((m)->requests[(h) * (NSTATUSES + 1) + (s)])

static const struct {
    const char *name, *help;
} counters[MINICC_M_COUNT] = {
    { "minicc_database_errors_total",
      "Statements the database refused or did not answer, and connections "
      "it did not give." },
    { "minicc_rows_spooled_total",
      "Rows kept in the spool because the database could not take them." },
    { "minicc_rows_replayed_total",
      "Rows written to the database from the spool." },
    { "minicc_rows_rejected_total",
      "Rows the database refused for good (kept in the spool's rejects "
      "file)." }
};

minicc_metrics_t *minicc_metrics_create(apr_pool_t *pconf,
                                        const char *const *handlers,
                                        int nhandlers)
{
    apr_size_t size = sizeof(minicc_metrics_t)
        + sizeof(apr_uint64_t) * (apr_size_t)nhandlers * (NSTATUSES + 1);
    const char **names = apr_pmemdup(pconf, handlers,
                                     sizeof(char *) * (apr_size_t)nhandlers);
    apr_shm_t *shm;
    minicc_metrics_t *m;

    if (apr_shm_create(&shm, size, NULL, pconf) != APR_SUCCESS) {
        return NULL;
    }
    m = apr_shm_baseaddr_get(shm);
    memset((void *)m, 0, size);
    m->handlers = names;
    m->nhandlers = nhandlers;
    return m;
}

void minicc_metrics_add(minicc_metrics_t *m, minicc_metric_e which,
                        apr_uint32_t n)
{
    if (m) {
        apr_atomic_add64(&m->counters[which], n);
    }
}

void minicc_metrics_request(minicc_metrics_t *m, const char *handler,
                            int status)
{
    int h, s;

    if (!m || !handler) {
        return;
    }
    for (h = 0; h < m->nhandlers; h++) {
        if (!strcmp(handler, m->handlers[h])) {
            break;
        }
    }
    if (h == m->nhandlers) {
        return;
    }
    for (s = 0; s < NSTATUSES; s++) {
        if (statuses[s] == status) {
            break;
        }
    }
    apr_atomic_inc64(&REQUESTS(m, h, s));
}

void minicc_metrics_batch(minicc_metrics_t *m, int nrows)
{
    int b = 0;

    if (!m || nrows < 1) {
        return;
    }
    while (b < MINICC_M_BATCH_BUCKETS - 1 && (1 << b) < nrows) {
        b++;
    }
    apr_atomic_inc64(&m->batch[b]);
    apr_atomic_add64(&m->batch_rows, (apr_uint64_t)nrows);
}

const char *minicc_metrics_text(apr_pool_t *p, minicc_metrics_t *m)
{
    const char *out;
    apr_uint64_t count = 0;
    int h, s, i;

    if (!m) {
        return "";
    }
    out = "# HELP minicc_requests_total Requests answered by the module's "
          "handlers, by handler and HTTP status.\n"
          "# TYPE minicc_requests_total counter\n";
    for (h = 0; h < m->nhandlers; h++) {
        for (s = 0; s <= NSTATUSES; s++) {
            apr_uint64_t v = apr_atomic_read64(&REQUESTS(m, h, s));

            if (v) {
                out = apr_psprintf(p, "%sminicc_requests_total{handler=\"%s\","
                                   "status=\"%s\"} %" APR_UINT64_T_FMT "\n",
                                   out, m->handlers[h],
                                   s < NSTATUSES
                                   ? apr_itoa(p, statuses[s])
                                   : "other", v);
            }
        }
    }
    for (i = 0; i < MINICC_M_COUNT; i++) {
        out = apr_psprintf(p, "%s# HELP %s %s\n# TYPE %s counter\n%s %"
                           APR_UINT64_T_FMT "\n", out, counters[i].name,
                           counters[i].help, counters[i].name,
                           counters[i].name,
                           apr_atomic_read64(&m->counters[i]));
    }
    out = apr_pstrcat(p, out, "# HELP minicc_batch_rows Rows per statement "
                      "of group commit.\n# TYPE minicc_batch_rows histogram\n",
                      NULL);
    for (i = 0; i < MINICC_M_BATCH_BUCKETS; i++) {
        count += apr_atomic_read64(&m->batch[i]);
        out = apr_psprintf(p, "%sminicc_batch_rows_bucket{le=\"%d\"} %"
                           APR_UINT64_T_FMT "\n", out, 1 << i, count);
    }
    return apr_psprintf(p, "%sminicc_batch_rows_bucket{le=\"+Inf\"} %"
                        APR_UINT64_T_FMT "\nminicc_batch_rows_sum %"
                        APR_UINT64_T_FMT "\nminicc_batch_rows_count %"
                        APR_UINT64_T_FMT "\n", out, count,
                        apr_atomic_read64(&m->batch_rows), count);
}
