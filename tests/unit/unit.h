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

/* time_tests.c: core/time.c */
void test_time(apr_pool_t *p);

#endif /* MINICC_UNIT_H */
