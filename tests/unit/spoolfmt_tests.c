/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/spoolfmt.c: the spool's records.
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

#include "minicc_spoolfmt.h"
#include "minicc_sql.h"
#include "unit.h"

/* the run's pool (unit_tests.c's main) */
static apr_pool_t *pool;

static void test_spool_format(void)
{
    const char *v1[] = { "CA1", NULL, "", "line\nbreak =5:x\nMINICC1 00",
                         "2026-11-24 10:00:00.000001" };
    const char *v2[] = { "CA2", "hangup" };
    apr_size_t l1, l2, off = 0;
    char *r1 = minicc_spoolfmt_encode(pool, "enqueue_data", v1, 5, &l1);
    char *r2 = minicc_spoolfmt_encode(pool, "queue_data", v2, 2, &l2);
    char *buf = apr_palloc(pool, 2 * l1 + l2 + 64);
    minicc_spoolfmt_rec_t rec;
    apr_size_t n;

    memcpy(buf, r1, l1);
    ok(minicc_spoolfmt_decode(pool, buf, l1, &off, &rec) == 1 && off == l1,
       "spool: record decodes, whole length consumed");
    ok(!strcmp(rec.table, "enqueue_data") && rec.nvalues == 5
       && !strcmp(rec.values[0], "CA1") && rec.values[1] == NULL
       && !strcmp(rec.values[2], "") && !strcmp(rec.values[3], v1[3])
       && !strcmp(rec.values[4], v1[4]),
       "spool: NULL, empty and newline-holding values round-trip");
    ok(minicc_spoolfmt_decode(pool, buf, l1, &off, &rec) == 0, "spool: end");

    /* a torn record (a crash mid-append) followed by later appends */
    n = 0;
    memcpy(buf + n, r1, l1 - 7); n += l1 - 7;
    memcpy(buf + n, r2, l2); n += l2;
    off = 0;
    {
        int rc, damaged = 0;

        while ((rc = minicc_spoolfmt_decode(pool, buf, n, &off, &rec)) == -1) {
            damaged++;
        }
        ok(damaged >= 1 && rc == 1 && off == n,
           "spool: torn record skipped up to the next record");
        ok(rc == 1 && !strcmp(rec.table, "queue_data")
           && !strcmp(rec.values[1], "hangup"),
           "spool: the record after a tear is replayed");
    }

    /* a torn last record */
    memcpy(buf, r2, l2);
    memcpy(buf + l2, r1, l1 / 2);
    off = 0;
    ok(minicc_spoolfmt_decode(pool, buf, l2 + l1 / 2, &off, &rec) == 1
       && minicc_spoolfmt_decode(pool, buf, l2 + l1 / 2, &off, &rec) == -1
       && off == l2 + l1 / 2, "spool: torn last record detected, not read");

    /* one flipped byte: the checksum refuses it */
    memcpy(buf, r2, l2);
    buf[l2 - 3] ^= 1;
    off = 0;
    ok(minicc_spoolfmt_decode(pool, buf, l2, &off, &rec) == -1,
       "spool: a corrupted byte fails the checksum");
    ok(minicc_spoolfmt_crc32("123456789", 9) == 0xCBF43926u, "crc32: check value");
}

void test_spoolfmt(apr_pool_t *p)
{
    pool = p;
    test_spool_format();
}
