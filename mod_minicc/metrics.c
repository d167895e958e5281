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

const char *const minicc_metrics_handlers[] = {
    "minicc-incoming", "minicc-operator", "minicc-wait", "minicc-guidance",
    "minicc-exit", "minicc-status", "minicc-information", "minicc-voicemail",
    "minicc-callback", "minicc-callback-answer", "minicc-report",
    "minicc-live", "minicc-metrics", NULL
};
#define NHANDLERS 13

/* The statuses the module and Apache give its URLs; the rest is "other". */
const int minicc_metrics_statuses[] = {
    200, 304, 400, 401, 403, 404, 405, 413, 500, 503, 0
};
#define NSTATUSES 10

struct minicc_metrics {
    volatile apr_uint64_t requests[NHANDLERS][NSTATUSES + 1];
    volatile apr_uint64_t counters[MINICC_M_COUNT];
    volatile apr_uint64_t batch[MINICC_M_BATCH_BUCKETS];
    volatile apr_uint64_t batch_rows;
};

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

minicc_metrics_t *minicc_metrics_create(apr_pool_t *pconf)
{
    apr_shm_t *shm;
    minicc_metrics_t *m;

    if (apr_shm_create(&shm, sizeof(*m), NULL, pconf) != APR_SUCCESS) {
        return NULL;
    }
    m = apr_shm_baseaddr_get(shm);
    memset((void *)m, 0, sizeof(*m));
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
    for (h = 0; minicc_metrics_handlers[h]; h++) {
        if (!strcmp(handler, minicc_metrics_handlers[h])) {
            break;
        }
    }
    if (!minicc_metrics_handlers[h]) {
        return;
    }
    for (s = 0; s < NSTATUSES; s++) {
        if (minicc_metrics_statuses[s] == status) {
            break;
        }
    }
    apr_atomic_inc64(&m->requests[h][s]);
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
    for (h = 0; h < NHANDLERS; h++) {
        for (s = 0; s <= NSTATUSES; s++) {
            apr_uint64_t v = apr_atomic_read64(&m->requests[h][s]);

            if (v) {
                out = apr_psprintf(p, "%sminicc_requests_total{handler=\"%s\","
                                   "status=\"%s\"} %" APR_UINT64_T_FMT "\n",
                                   out, minicc_metrics_handlers[h],
                                   s < NSTATUSES
                                   ? apr_itoa(p, minicc_metrics_statuses[s])
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
