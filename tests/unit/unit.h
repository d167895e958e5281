/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * What the unit tests of the core share (tests/unit): one file of tests
 * per unit of mod_minicc/core/, run by unit_tests.c's main, each check a
 * TAP line.
 */
#ifndef MINICC_UNIT_H
#define MINICC_UNIT_H

#include <apr_pools.h>

void ok(int cond, const char *what);

/* text_tests.c: core/text.c */
void test_text(apr_pool_t *p);
/* twiml_tests.c: core/twiml.c */
void test_twiml(apr_pool_t *p);
/* signature_tests.c: core/signature.c */
void test_signature(apr_pool_t *p);
/* spoolfmt_tests.c: core/spoolfmt.c */
void test_spoolfmt(apr_pool_t *p);
/* sql_tests.c: core/sql.c */
void test_sql(apr_pool_t *p);
/* throttle_tests.c: core/throttle.c */
void test_throttle(apr_pool_t *p);
/* metrics_tests.c: core/metrics.c */
void test_metrics(apr_pool_t *p);
/* worker_tests.c: core/worker.c */
void test_worker(apr_pool_t *p);
/* time_tests.c: core/time.c */
void test_time(apr_pool_t *p);
/* token_tests.c: core/token.c */
void test_token(apr_pool_t *p);

#endif /* MINICC_UNIT_H */
