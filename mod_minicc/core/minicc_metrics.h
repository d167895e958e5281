/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Counters for minicc-metrics (metrics.c): one set per server generation in
 * shared memory made before the children are forked, so that a scrape that
 * one child answers counts what every child did.  APR only.
 */
#ifndef MINICC_METRICS_H
#define MINICC_METRICS_H

#include <apr_pools.h>
#include <apr_strings.h>

typedef struct minicc_metrics minicc_metrics_t;

/* The counters besides the requests. */
typedef enum {
    MINICC_M_DB_ERRORS,         /* statements the database refused or did
                                 * not answer, connections it did not give */
    MINICC_M_ROWS_SPOOLED,      /* rows kept in the spool */
    MINICC_M_ROWS_REPLAYED,     /* rows written from the spool */
    MINICC_M_ROWS_REJECTED,     /* rows the database refused for good */
    MINICC_M_COUNT
} minicc_metric_e;

/* Group commit: statements of 1, 2, 4, 8, 16 rows (the bucket le). */
#define MINICC_M_BATCH_BUCKETS 5

/* post_config: the counters of this generation, in shared memory of pconf,
 * with a row of requests by status for each of the nhandlers handlers
 * (names that live as long as the module: the handlers' table's); NULL
 * when it cannot be had (then nothing is counted). */
minicc_metrics_t *minicc_metrics_create(apr_pool_t *pconf,
                                        const char *const *handlers,
                                        int nhandlers);

void minicc_metrics_add(minicc_metrics_t *m, minicc_metric_e which,
                        apr_uint32_t n);
/* A request of handler (a minicc-* name) answered with status (one the
 * metrics do not know: "other"; a handler they do not know: nothing). */
void minicc_metrics_request(minicc_metrics_t *m, const char *handler,
                            int status);
/* A group commit statement of nrows rows. */
void minicc_metrics_batch(minicc_metrics_t *m, int nrows);

/* The counters as Prometheus text (format 0.0.4), HELP and TYPE lines
 * included, in p. */
const char *minicc_metrics_text(apr_pool_t *p, minicc_metrics_t *m);

#endif /* MINICC_METRICS_H */
