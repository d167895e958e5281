/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/throttle.c: a log line at most once a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "minicc_throttle.h"
#include "unit.h"

/* the run's pool (unit_tests.c's main) */
static apr_pool_t *pool;

/* One line a second, the rest counted for the next one. */
static void test_once_a_second(void)
{
    minicc_throttle_t *t = minicc_throttle_create(pool, 1);
    apr_time_t s = apr_time_from_sec(1000);
    int held = -1, passed_at_once = 0, i;

    ok(t && minicc_throttle_pass(t, s, apr_time_from_sec(1), &held)
       && held == 0, "throttle: the first line passes, none held");
    for (i = 0; i < 5; i++) {
        passed_at_once += minicc_throttle_pass(t, s + i * 1000,
                                               apr_time_from_sec(1), &held);
    }
    ok(passed_at_once == 0, "throttle: five more within the second are held");
    ok(minicc_throttle_pass(t, s + apr_time_from_sec(1),
                            apr_time_from_sec(1), &held) && held == 5,
       "throttle: a second later one passes, saying 5 were held");
}

void test_throttle(apr_pool_t *p)
{
    pool = p;
    test_once_a_second();
}
