/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The database's statements (db.c): sql.c's statements run on dbconn.c's
 * connections, retried where a retry is the cure.  With dbconn.c, the
 * bottom of the module: it calls nothing above it.
 */
#ifndef MINICC_DB_H
#define MINICC_DB_H

#include <apr_dbd.h>     /* mod_dbd.h needs it first */
#include <mod_dbd.h>

#include "minicc_dbconn.h"
#include "minicc_sql.h"

/* Runs a SELECT of sql.c on a connection the child keeps (or the
 * request's), and gives fn each row's ncols values (NULL for SQL NULL;
 * the driver's buffers: fn copies what it keeps); 0, or -1 when it failed
 * (logged, with doing). */
typedef void (*minicc_db_row_fn)(void *baton, const char *const *values);
int minicc_db_each_row(request_rec *r, int id, int nargs, const char **args,
                       int ncols, const char *doing, minicc_db_row_fn fn,
                       void *baton);

/* An UPDATE and then a SELECT of sql.c (either may be -1: none) on one
 * connection; the SELECT runs only when there was no UPDATE or it changed
 * a row (what the SELECT finds is then the UPDATE's). */
typedef struct {
    const char *doing;
    int update, nupdate;
    const char **update_args;
    int select, nselect;
    const char **select_args;
    int ncols;
} minicc_db_steps_t;
/* 0 and the SELECT's first row (ncols values in r->pool; NULL: none) in
 * *row, or -1 when a statement failed (logged). */
int minicc_db_steps(request_rec *r, const minicc_db_steps_t *s,
                    const char ***row);

/* Writes n rows of one table, in as few statements as the prepared sizes
 * allow, on the request's own connection or one the child keeps; errs[i]
 * is 0, -1 without a connection, else the MySQL error number (each
 * failure logged once).  A row the database refuses for good is tried
 * alone, so that it does not take the others with it. */
void minicc_db_write_rows(request_rec *r, const minicc_row_t *const *rows,
                          int n, int *errs);
/* Nonzero when err is about the row itself: retrying cannot help. */
int minicc_db_error_is_permanent(int err);

/* The request's SELECTs may wait REPORT_TIMEOUT (60 s), not
 * MiniCCDBTimeout: a supervisor's report over months. */
void minicc_db_long_wait(request_rec *r);
/* For work without a request on a connection of minicc_dbconn_open: its
 * statements may wait REPORT_TIMEOUT (long_wait 1: the retention's
 * batches), or MiniCCDBTimeout again (0: before it goes back). */
void minicc_db_wait_on(server_rec *s, ap_dbd_t *dbd, int long_wait);

/* Runs a SELECT of sql.c; its rows as arrays of ncols strings (NULL for
 * SQL NULL), or NULL when it failed (logged). */
apr_array_header_t *minicc_db_select(request_rec *r, int id, int nargs,
                                     const char **args, int ncols);

/* For work without a request (the spool's replay), on a connection of
 * minicc_dbconn_open: a row written on it (0 or the MySQL error number,
 * logged). */
int minicc_db_write_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                       const minicc_row_t *row, const char *why);
/* n rows of one table on dbd, MINICC_BATCH_MAX a statement; 0, or the
 * first error (logged). */
int minicc_db_write_rows_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                            const minicc_row_t *const *rows, int n,
                            const char *why);
/* A statement of sql.c on dbd: 0 or the MySQL error number (logged).
 * With value, a SELECT: the first column of its first row in *value
 * (NULL: none). */
int minicc_db_run_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd, int id,
                     int nargs, const char **args, const char **value,
                     const char *why);

#endif /* MINICC_DB_H */
