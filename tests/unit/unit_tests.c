/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The unit tests of mod_minicc's core (mod_minicc/core/): no server, no
 * database.  One file of tests per unit (text_tests.c for core/text.c,
 * ...), run from here; TAP output, the last line "N passed, N failed".
 */
#include <stdio.h>
#include <string.h>
#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "unit.h"

static int passed, failed;

void ok(int cond, const char *what)
{
    if (cond) {
        passed++;
        printf("ok %d - %s\n", passed + failed, what);
    }
    else {
        failed++;
        printf("not ok %d - %s\n", passed + failed, what);
    }
}

int main(void)
{
    apr_pool_t *pool;

    apr_initialize();
    xmlInitParser();
    apr_pool_create(&pool, NULL);
    test_text(pool);
    test_twiml(pool);
    test_signature(pool);
    test_spoolfmt(pool);
    test_sql(pool);
    test_throttle(pool);
    test_time(pool);
    test_metrics(pool);
    test_worker(pool);
    test_token(pool);
    apr_pool_destroy(pool);
    xmlCleanupParser();
    apr_terminate();
    printf("1..%d\n%d passed, %d failed\n", passed + failed, passed, failed);
    return failed ? 1 : 0;
}

