/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/metrics.c: the counters in shared memory, sized from the handlers'
 * table they are given, and their Prometheus text.
 */
#include <string.h>
#include <apr_strings.h>

#include "minicc_metrics.h"
#include "unit.h"

/* A table longer than today's (14 handlers): the memory is sized from it. */
static const char *const handlers[] = {
    "minicc-a", "minicc-b", "minicc-c", "minicc-d", "minicc-e", "minicc-f",
    "minicc-g", "minicc-h", "minicc-i", "minicc-j", "minicc-k", "minicc-l",
    "minicc-m", "minicc-n", "minicc-o", "minicc-p", "minicc-q", "minicc-r",
    "minicc-s", "minicc-t"
};
#define NHANDLERS ((int)(sizeof(handlers) / sizeof(handlers[0])))

static int has(const char *text, const char *line)
{
    return strstr(text, line) != NULL;
}

void test_metrics(apr_pool_t *p)
{
    minicc_metrics_t *m = minicc_metrics_create(p, handlers, NHANDLERS);
    const char *text;
    int i;

    ok(m != NULL, "metrics: shared memory for 20 handlers");
    if (!m) {
        return;
    }
    for (i = 0; i < NHANDLERS; i++) {
        minicc_metrics_request(m, handlers[i], 200);
    }
    minicc_metrics_request(m, "minicc-t", 503);
    minicc_metrics_request(m, "minicc-t", 418);
    minicc_metrics_request(m, "minicc-unknown", 200);
    minicc_metrics_request(m, NULL, 200);
    minicc_metrics_add(m, MINICC_M_DB_ERRORS, 3);
    minicc_metrics_batch(m, 1);
    minicc_metrics_batch(m, 3);
    minicc_metrics_batch(m, 16);
    minicc_metrics_batch(m, 0);
    text = minicc_metrics_text(p, m);
    ok(has(text, "minicc_requests_total{handler=\"minicc-a\",status=\"200\"} 1\n")
       && has(text, "minicc_requests_total{handler=\"minicc-t\",status=\"200\"} 1\n"),
       "metrics: the first and the last (20th) handler counted in its row");
    ok(has(text, "{handler=\"minicc-t\",status=\"503\"} 1\n")
       && has(text, "{handler=\"minicc-t\",status=\"other\"} 1\n"),
       "metrics: a status of its own, and one it does not know as other");
    ok(!has(text, "minicc-unknown"), "metrics: a handler not in the table is not counted");
    ok(has(text, "# TYPE minicc_requests_total counter\n")
       && has(text, "# TYPE minicc_database_errors_total counter\n"
              "minicc_database_errors_total 3\n"),
       "metrics: HELP and TYPE lines, the database errors added");
    ok(has(text, "minicc_batch_rows_bucket{le=\"1\"} 1\n")
       && has(text, "minicc_batch_rows_bucket{le=\"2\"} 1\n")
       && has(text, "minicc_batch_rows_bucket{le=\"4\"} 2\n")
       && has(text, "minicc_batch_rows_bucket{le=\"16\"} 3\n")
       && has(text, "minicc_batch_rows_bucket{le=\"+Inf\"} 3\n"
              "minicc_batch_rows_sum 20\nminicc_batch_rows_count 3\n"),
       "metrics: group commit's histogram is cumulative (1, 3 and 16 rows; 0 rows not counted)");
    ok(!strcmp(minicc_metrics_text(p, NULL), ""),
       "metrics: without shared memory nothing is counted or written");
}
