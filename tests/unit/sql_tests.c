/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/sql.c: the tables held against sql/minicc.sql, and the statements.
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

#include "minicc_sql.h"
#include "unit.h"

/* the run's pool (unit_tests.c's main) */
static apr_pool_t *pool;

/* The column of table in sql/minicc.sql: its type ("VARCHAR(64)"), or NULL;
 * *ncolumns gets how many columns the table has there that a row writes:
 * those after a line "-- not from a row" are another statement's. */
static const char *schema_column(const char *schema, const char *table,
                                 const char *column, int *ncolumns)
{
    const char *head = apr_psprintf(pool, "CREATE TABLE IF NOT EXISTS %s (",
                                    table);
    const char *at = strstr(schema, head), *type = NULL;

    *ncolumns = 0;
    if (!at) {
        return NULL;
    }
    at = strchr(at, '\n');
    while (at && *++at && *at != ')') {
        const char *end = strchr(at, '\n');
        char name[64], kind[64];

        if (!end || !strncmp(at + strspn(at, " "), "-- not from a row", 17)) {
            break;
        }
        /* a column's line: name and type; keys and comments are not */
        if (sscanf(apr_pstrmemdup(pool, at, end - at), " %63s %63s", name,
                   kind) == 2 && strcmp(name, "--") && strcmp(name, "KEY")
            && strcmp(name, "PRIMARY") && strcmp(name, "UNIQUE")) {
            char *n = name, *k = kind + strlen(kind);

            if (*n == '`') {
                n++;
                n[strlen(n) - 1] = '\0';
            }
            if (k > kind && k[-1] == ',') {
                k[-1] = '\0';
            }
            (*ncolumns)++;
            if (!strcmp(n, column)) {
                type = apr_pstrdup(pool, kind);
            }
        }
        at = end;
    }
    return type;
}

/* What sql.c assumes of each column is what sql/minicc.sql makes: a
 * VARCHAR of the length it checks, an INT, a DATETIME(6). */
static void test_schema(void)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *schema;
    apr_size_t len;
    int t, i;

    if (apr_file_open(&f, MINICC_SCHEMA, APR_FOPEN_READ, 0, pool)
        != APR_SUCCESS || apr_file_info_get(&fi, APR_FINFO_SIZE, f)
        != APR_SUCCESS) {
        ok(0, "sql/minicc.sql can be read (" MINICC_SCHEMA ")");
        return;
    }
    len = (apr_size_t)fi.size;
    schema = apr_palloc(pool, len + 1);
    apr_file_read_full(f, schema, len, &len);
    schema[len] = '\0';
    apr_file_close(f);
    for (t = 0; t < MINICC_TABLE_COUNT; t++) {
        const minicc_table_t *tab = minicc_table(t);
        int n = 0, right = 1;

        for (i = 0; i < tab->ncolumns; i++) {
            const minicc_column_t *c = &tab->columns[i];
            const char *type = schema_column(schema, tab->name, c->column, &n);
            const char *want;

            switch (c->kind) {
            case MINICC_COL_INT:
                want = "INT";
                break;
            case MINICC_COL_ARRIVAL:
            case MINICC_COL_FIRST_ARRIVAL:
                want = "DATETIME(6)";
                break;
            default:
                /* a state's time (operator_sessions.Since) has no size */
                want = c->kind == MINICC_COL_STATE && !c->maxchars
                    ? "DATETIME(6)"
                    : apr_psprintf(pool, "VARCHAR(%d)", c->maxchars);
                break;
            }
            if (!type || strcmp(type, want)) {
                printf("# %s.%s: sql.c assumes %s, sql/minicc.sql has %s\n",
                       tab->name, c->column, want, type ? type : "none");
                right = 0;
            }
        }
        ok(right, apr_psprintf(pool, "%s: every column's type and size in "
                               "sql.c is sql/minicc.sql's", tab->name));
        ok(n == tab->ncolumns, apr_psprintf(pool, "%s: sql.c writes all %d "
                                            "columns of sql/minicc.sql",
                                            tab->name, n));
    }
    /* the test itself can fail: a size that differs is seen */
    ok(!strcmp(schema_column(schema, "enqueue_data", "QueueResult", &i),
               "VARCHAR(32)")
       && schema_column(schema, "enqueue_data", "NoSuchColumn", &i) == NULL,
       "the schema reader finds QueueResult as VARCHAR(32), and no "
       "NoSuchColumn");
}

/* Every statement has a label of its own and SQL; the report's histogram
 * is written in from the constants report.c draws it with. */
static void test_statements(void)
{
    apr_hash_t *seen = apr_hash_make(pool);
    const char *bar = apr_psprintf(pool, "LEAST(CEILING(Seconds / %d), %d)",
                                   MINICC_WAIT_BUCKET,
                                   MINICC_WAIT_BUCKETS - 1);
    int i, labelled = 1;

    for (i = 0; i < MINICC_STMT_COUNT; i++) {
        const char *label = minicc_sql_label(i);
        const char *sql = minicc_sql_text(pool, i);

        if (!label || !sql || !*sql
            || apr_hash_get(seen, label, APR_HASH_KEY_STRING)) {
            printf("# statement %d: label %s\n", i, label ? label : "none");
            labelled = 0;
            continue;
        }
        apr_hash_set(seen, label, APR_HASH_KEY_STRING, sql);
    }
    ok(labelled, "every statement has SQL and a label no other one has");
    ok(strstr(minicc_sql_text(pool, MINICC_STMT_REPORT_WAITS), bar) != NULL,
       "the report's waits statement puts each queue time in its bar");
    ok(!strcmp(minicc_sql_label(MINICC_STMT_UPSERT_ROWS(MINICC_TABLE_STATUS,
                                                        2)),
               "minicc_status_upsert_x8")
       && strstr(minicc_sql_text(pool, MINICC_STMT_UPSERT_ROWS(
                     MINICC_TABLE_STATUS, 2)), "), (") != NULL,
       "the upsert of 8 status rows is labelled so and has several rows");
}

/* A row an older version spooled, before the operators' states. */
static void test_old_rows(void)
{
    const char *old[] = { "CA0", "+1555", "2026-01-01 00:00:00",
                          "2026-01-01 00:01:00" };
    const char *now[] = { "CA0", "+1555", "2026-01-01 00:00:00", "ready", NULL,
                          "2026-01-01 00:01:00", "support",
                          "2026-01-01 00:01:00" };
    const char **v = minicc_table_values(pool, MINICC_TABLE_OPERATOR_SESSION,
                                         old, 4);
    const minicc_table_t *t = minicc_table(MINICC_TABLE_OPERATOR_SESSION);
    int i, right = v != NULL && t->ncolumns == 8;

    for (i = 0; right && i < t->ncolumns; i++) {
        const char *c = t->columns[i].column;
        const char *want = !strcmp(c, "CallSid") ? "CA0"
                         : !strcmp(c, "telnum") ? "+1555"
                         : !strcmp(c, "Started") ? old[2]
                         : !strcmp(c, "LastSeen") ? old[3] : NULL;

        right = want ? v[i] && !strcmp(v[i], want) : v[i] == NULL;
    }
    ok(right, "sql: an operator_sessions row of 4 values (before the "
       "states) gets NULL state columns, LastSeen in its place");
    ok(minicc_table_values(pool, MINICC_TABLE_OPERATOR_SESSION, now, 8) == now,
       "sql: a row of this version is taken as it is");
    ok(!minicc_table_values(pool, MINICC_TABLE_OPERATOR_SESSION, old, 3)
       && !minicc_table_values(pool, MINICC_TABLE_ENQUEUE, old, 4),
       "sql: any other number of values is no row of a table");
}

/* The order of rows in a multi-row statement: by QueueTime (none first),
 * then by key, so that two statements lock shared rows in one order. */
static void test_row_order(void)
{
    const char *a[] = { "CA1", "+1", NULL, NULL, NULL, NULL, NULL, NULL };
    const char *b[] = { "CA2", "+1", NULL, NULL, NULL, NULL, NULL, NULL };
    const char *q5[] = { "CA9", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
    const char *q7[16];
    minicc_row_t ra = { MINICC_TABLE_OPERATOR_SESSION, a, 8 };
    minicc_row_t rb = { MINICC_TABLE_OPERATOR_SESSION, b, 8 };
    minicc_row_t r5 = { MINICC_TABLE_QUEUE, q5, 0 }, r7;
    const minicc_table_t *t = minicc_table(MINICC_TABLE_QUEUE);
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        if (!strcmp(t->columns[i].column, "QueueTime")) {
            q5[i] = "5";
        }
    }
    memcpy(q7, q5, sizeof(q7));
    q7[0] = "CA0";
    for (i = 0; i < t->ncolumns; i++) {
        if (q7[i] && !strcmp(q7[i], "5")) {
            q7[i] = "7";
        }
    }
    r5.nvalues = r7.nvalues = t->ncolumns;
    r7.table = MINICC_TABLE_QUEUE;
    r7.values = q7;
    ok(minicc_row_compare(&ra, &rb) < 0 && minicc_row_compare(&rb, &ra) > 0
       && minicc_row_compare(&ra, &ra) == 0,
       "sql: rows without a QueueTime go in the order of their keys");
    ok(minicc_row_compare(&r5, &r7) < 0 && minicc_row_compare(&r7, &r5) > 0,
       "sql: rows with a QueueTime go in its order before their keys'");
}

void test_sql(apr_pool_t *p)
{
    pool = p;
    test_schema();
    test_statements();
    test_old_rows();
    test_row_order();
}
