/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The database's statements, on dbconn.c's connections: sql.c's statements
 * run by id with bound values, retried once on a lost session (prepared
 * again by dbconn.c) or a lock wait and a few times on a deadlock; a
 * SELECT's rows, an UPDATE with the SELECT after it, rows written in one
 * statement (group commit).  It knows no table but as sql.c describes it,
 * and nothing of the call center: callbacks.c and callers.c above it ask
 * their questions.
 */
#include "mod_minicc_private.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_dbconn.h"
#include "minicc_dbnative.h"
#include "minicc_metrics.h"

/* MySQL/MariaDB client and server error numbers (errmsg.h, mysqld_error.h)
 * that mean "this session lost its statements or its server": prepare
 * again and retry once. */
#define ER_UNKNOWN_STMT_HANDLER   1243
#define CR_SERVER_GONE_ERROR      2006
#define CR_SERVER_LOST            2013
#define CR_NO_PREPARE_STMT        2030
#define CR_SERVER_LOST_EXTENDED   2055
#define ER_CLIENT_INTERACTION_TIMEOUT 4031
/* ... and the ones where simply running it again is the cure. */
#define ER_LOCK_WAIT_TIMEOUT      1205
#define ER_LOCK_DEADLOCK          1213

static int session_lost(int err)
{
    return err == ER_UNKNOWN_STMT_HANDLER || err == CR_SERVER_GONE_ERROR
        || err == CR_SERVER_LOST || err == CR_NO_PREPARE_STMT
        || err == CR_SERVER_LOST_EXTENDED
        || err == ER_CLIENT_INTERACTION_TIMEOUT;
}

static int worth_retrying(int err)
{
    return session_lost(err) || err == ER_LOCK_WAIT_TIMEOUT
        || err == ER_LOCK_DEADLOCK;
}

/* Errors about the row itself, which no retry will cure.  Anything else
 * (the server gone, a timeout, a missing table, a read-only replica)
 * keeps the row for later. */
int minicc_db_error_is_permanent(int err)
{
    switch (err) {
    case 1048:  /* ER_BAD_NULL_ERROR */
    case 1062:  /* ER_DUP_ENTRY */
    case 1264:  /* ER_WARN_DATA_OUT_OF_RANGE */
    case 1265:  /* WARN_DATA_TRUNCATED */
    case 1292:  /* ER_TRUNCATED_WRONG_VALUE */
    case 1366:  /* ER_TRUNCATED_WRONG_VALUE_FOR_FIELD */
    case 1406:  /* ER_DATA_TOO_LONG */
    case 1451:  /* ER_ROW_IS_REFERENCED_2 */
    case 1452:  /* ER_NO_REFERENCED_ROW_2 */
    case 1690:  /* ER_DATA_OUT_OF_RANGE */
    case 3819:  /* ER_CHECK_CONSTRAINT_VIOLATED (MySQL) */
    case 4025:  /* ER_CONSTRAINT_FAILED (MariaDB) */
        return 1;
    default:
        return 0;
    }
}

/* ---- statements ---- */

/* A deadlock's victim was rolled back whole and only has to run again;
 * where summary rows of a busy hour are shared, the same statement can be
 * chosen more than once in a row. */
#define DEADLOCK_ATTEMPTS 4

/* Before a deadlock's victim runs again: a pause of 1 to 2 ms times the
 * attempt, its length from the clock's microseconds.  Run again at once,
 * it meets the same statement it collided with, retried at once too. */
static void deadlock_pause(int attempt)
{
    apr_interval_time_t us = apr_time_now() % 1000;

    apr_sleep((apr_interval_time_t)attempt * (1000 + us));
}

/* Runs statement id with args, retrying once on a lost session or a lock
 * wait timeout, and up to DEADLOCK_ATTEMPTS - 1 times on a deadlock; 0, or
 * the MySQL error number (-1: no statement).  For a SELECT (res != NULL)
 * the caller reads every row. */
static int run(const minicc_dbconn_ctx_t *c, int id, int nargs, const char **args,
               apr_dbd_results_t **res, int *affected, const char *doing)
{
    ap_dbd_t *dbd = c->dbd;
    const char *label = minicc_sql_label(id);
    apr_dbd_prepared_t *stmt = apr_hash_get(dbd->prepared, label,
                                            APR_HASH_KEY_STRING);
    int attempt, err = -1, nrows;
    const char *more;

    if (!stmt) {
        minicc_dbconn_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30202)
               "%s: mod_dbd has no statement '%s' for this server (was the "
               "configuration changed without a restart?)", doing, label));
        return -1;
    }
    for (attempt = 1;; attempt++) {
        apr_time_t start = apr_time_now();

        if (res) {
            *res = NULL;
            err = apr_dbd_pselect(dbd->driver, c->pool, dbd->handle, res,
                                  stmt, 0, nargs, args);
        }
        else {
            err = apr_dbd_pquery(dbd->driver, c->pool, dbd->handle, &nrows,
                                 stmt, nargs, args);
        }
        if (!err) {
            if (affected) {
                *affected = res ? 0 : nrows;
            }
            return 0;
        }
        if (session_lost(err) && minicc_dbconn_ran_into_timeout(c->sc, start)) {
            const char *more = minicc_dbconn_outage_more(c->r);

            /* a reconnect would only wait as long again */
            if (more) {
                minicc_dbconn_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30206)
                       "%s: the database did not answer within %d s "
                       "(MiniCCDBTimeout): error %d: %s; not asked again%s",
                       doing, c->sc->db_timeout, err,
                       apr_dbd_error(dbd->driver, dbd->handle, err), more));
            }
            minicc_dbnative_never_reconnect(dbd->driver, dbd->handle);
            minicc_dbconn_timed_out(c->r, c->sc);
            minicc_metrics_add(c->sc->metrics, MINICC_M_DB_ERRORS, 1);
            return err;
        }
        if (!worth_retrying(err)
            || attempt >= (err == ER_LOCK_DEADLOCK ? DEADLOCK_ATTEMPTS : 2)) {
            break;
        }
        if (session_lost(err)) {
            if (!minicc_dbconn_renew_session(c, doing)) {
                return err;
            }
            stmt = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
        }
        else if (err == ER_LOCK_DEADLOCK) {
            deadlock_pause(attempt);
        }
    }
    /* apr_dbd_error is often "" for statement errors: the number says it.
     * A row refused for good is always told; an outage once a second. */
    minicc_metrics_add(c->sc->metrics, MINICC_M_DB_ERRORS, 1);
    more = minicc_db_error_is_permanent(err) ? "" : minicc_dbconn_outage_more(c->r);
    if (more) {
        minicc_dbconn_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30205)
               "%s: error %d: %s%s", doing, err,
               apr_dbd_error(dbd->driver, dbd->handle, err), more));
    }
    return err;
}

/* ---- a statement's rows, and an UPDATE with the SELECT that follows ---- */

typedef struct {
    int id, nargs, ncols;
    const char **args;
    const char *doing;
    minicc_db_row_fn fn;
    void *baton;
} each_row_t;

static int each_row(const minicc_dbconn_ctx_t *c, void *baton)
{
    each_row_t *e = baton;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char **values = apr_palloc(c->pool, sizeof(char *) * e->ncols);

    if (run(c, e->id, e->nargs, e->args, &res, NULL, e->doing)) {
        return 0;
    }
    /* read to the end: a sequential result left unread spoils the pooled
     * connection for the next request */
    while (apr_dbd_get_row(c->dbd->driver, c->pool, res, &row, -1) == 0) {
        int i;

        /* the driver reuses its buffers from row to row: fn copies */
        for (i = 0; i < e->ncols; i++) {
            values[i] = apr_dbd_get_entry(c->dbd->driver, row, i);
        }
        e->fn(e->baton, values);
    }
    return 1;
}

int minicc_db_each_row(request_rec *r, int id, int nargs, const char **args,
                       int ncols, const char *doing, minicc_db_row_fn fn,
                       void *baton)
{
    each_row_t e;

    e.id = id;
    e.nargs = nargs;
    e.args = args;
    e.ncols = ncols;
    e.doing = doing;
    e.fn = fn;
    e.baton = baton;
    return minicc_dbconn_with(r, doing, each_row, &e) > 0 ? 0 : -1;
}

typedef struct {
    const minicc_db_steps_t *s;
    const char **row;           /* NULL: no row */
} steps_t;

static int run_steps(const minicc_dbconn_ctx_t *c, void *baton)
{
    steps_t *st = baton;
    const minicc_db_steps_t *s = st->s;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int affected = 0;

    if (s->update >= 0
        && run(c, s->update, s->nupdate, s->update_args, NULL, &affected,
               s->doing)) {
        return 0;
    }
    /* the SELECT reads what the UPDATE did: when it did nothing, an older
     * row the SELECT would find is not this request's */
    if (s->select < 0 || (s->update >= 0 && !affected)) {
        return 1;
    }
    if (run(c, s->select, s->nselect, s->select_args, &res, NULL,
            s->doing)) {
        return 0;
    }
    /* read to the end (see each_row) */
    while (apr_dbd_get_row(c->dbd->driver, c->pool, res, &row, -1) == 0) {
        int i;

        if (st->row) {
            continue;
        }
        st->row = apr_pcalloc(c->r->pool, sizeof(char *) * s->ncols);
        for (i = 0; i < s->ncols; i++) {
            const char *v = apr_dbd_get_entry(c->dbd->driver, row, i);

            st->row[i] = v ? apr_pstrdup(c->r->pool, v) : NULL;
        }
    }
    return 1;
}

int minicc_db_steps(request_rec *r, const minicc_db_steps_t *s,
                    const char ***row)
{
    steps_t st;
    int rc;

    st.s = s;
    st.row = NULL;
    rc = minicc_dbconn_with(r, s->doing, run_steps, &st) > 0 ? 0 : -1;
    if (row) {
        *row = st.row;
    }
    return rc;
}

/* ---- the report's SELECTs ---- */

/* A supervisor waits longer for a month's report than Twilio for a row. */
#define REPORT_TIMEOUT 60

#define LONG_WAIT_KEY "minicc-long-wait"

void minicc_db_long_wait(request_rec *r)
{
    apr_pool_userdata_setn("1", LONG_WAIT_KEY, NULL, r->pool);
}

void minicc_db_wait_on(server_rec *s, ap_dbd_t *dbd, int long_wait)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);

    if (sc->db_timeout > 0) {
        minicc_dbnative_live_timeout(dbd->driver, dbd->handle,
                                     long_wait ? REPORT_TIMEOUT
                                               : sc->db_timeout);
    }
}

apr_array_header_t *minicc_db_select(request_rec *r, int id, int nargs,
                                     const char **args, int ncols)
{
    minicc_dbconn_ctx_t c;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *rows = NULL;
    const char *doing = apr_psprintf(r->pool, "running the report query "
                                     "'%s'", minicc_sql_label(id));

    /* only a request that asked (the report): a scrape of the metrics or
     * the live page must answer (database down, if so) within
     * MiniCCDBTimeout */
    void *asked = NULL;
    int long_wait;

    apr_pool_userdata_get(&asked, LONG_WAIT_KEY, r->pool);
    long_wait = asked != NULL;

    if (!minicc_dbconn_open_ctx(&c, r, doing)) {
        return NULL;
    }
    if (c.sc->db_timeout > 0 && long_wait) {
        minicc_dbnative_live_timeout(c.dbd->driver, c.dbd->handle,
                                     REPORT_TIMEOUT);
    }
    if (!run(&c, id, nargs, args, &res, NULL, doing)) {
        rows = apr_array_make(r->pool, 16, sizeof(const char **));
        while (apr_dbd_get_row(c.dbd->driver, r->pool, res, &row, -1) == 0) {
            const char **values = apr_pcalloc(r->pool, sizeof(char *) * ncols);
            int i;

            /* the driver reuses its buffers from row to row */
            for (i = 0; i < ncols; i++) {
                const char *v = apr_dbd_get_entry(c.dbd->driver, row, i);

                values[i] = v ? apr_pstrdup(r->pool, v) : NULL;
            }
            APR_ARRAY_PUSH(rows, const char **) = values;
        }
    }
    if (c.sc->db_timeout > 0 && long_wait) {
        minicc_dbnative_live_timeout(c.dbd->driver, c.dbd->handle,
                                     c.sc->db_timeout);
    }
    return rows;
}

/* ---- writing rows ---- */

static const char *writing(apr_pool_t *p, const minicc_row_t *row)
{
    return apr_psprintf(p, "recording %s for CallSid %s",
                        minicc_table(row->table)->name, row->values[0]);
}

/* n rows (at most MINICC_BATCH_MAX) in one statement, so in one commit.
 * Statements are prepared for 2, 4, 8 ... rows: the last row fills the
 * places left over.  Written again in the same statement it changes
 * nothing (the upsert keeps the newer values, and they are the same), and
 * the report triggers count only a change, while a second statement would
 * cost a second round trip and a second flush of the redo log. */
static int write_chunk(const minicc_dbconn_ctx_t *c, const minicc_row_t *const *rows,
                       int n)
{
    minicc_table_e table = rows[0]->table;
    int nvalues = rows[0]->nvalues, k, places, i, err;
    const char **args;
    const char *doing;

    if (n == 1) {
        err = run(c, table, nvalues, rows[0]->values, NULL, NULL,
                  writing(c->pool, rows[0]));
        if (!err && !c->not_counted) {
            minicc_metrics_batch(c->sc->metrics, 1);
        }
        return err;
    }
    for (k = 0; (2 << k) < n; ) {
        k++;
    }
    places = 2 << k;
    args = apr_palloc(c->pool, sizeof(char *) * nvalues * places);
    for (i = 0; i < places; i++) {
        memcpy(args + i * nvalues, rows[i < n ? i : n - 1]->values,
               sizeof(char *) * nvalues);
    }
    doing = apr_psprintf(c->pool, "recording %d %s rows in one statement "
                         "(CallSid %s ... %s)", n,
                         minicc_table(table)->name, rows[0]->values[0],
                         rows[n - 1]->values[0]);
    err = run(c, MINICC_STMT_UPSERT_ROWS(table, k), nvalues * places, args,
              NULL,
              NULL, doing);
    if (!err && !c->not_counted) {
        minicc_metrics_batch(c->sc->metrics, n);
    }
    return err;
}

typedef struct {
    const minicc_row_t *const *rows;
    int n;
    int *errs;
} rows_t;

/* Zero when a row failed for a reason other than the row itself. */
static int write_rows(const minicc_dbconn_ctx_t *c, void *baton)
{
    rows_t *w = baton;
    int done = 0, i;

    while (done < w->n) {
        int chunk = w->n - done < MINICC_BATCH_MAX ? w->n - done
                                                   : MINICC_BATCH_MAX;
        int err = write_chunk(c, w->rows + done, chunk);

        if (err && chunk > 1 && minicc_db_error_is_permanent(err)) {
            /* one row the database refuses: find it, keep the others */
            for (i = done; i < done + chunk; i++) {
                w->errs[i] = write_chunk(c, w->rows + i, 1);
            }
        }
        else if (err && !minicc_db_error_is_permanent(err)) {
            /* the server or the connection: the rest would fail the same */
            for (i = done; i < w->n; i++) {
                w->errs[i] = err;
            }
            return 0;
        }
        else {
            for (i = done; i < done + chunk; i++) {
                w->errs[i] = err;
            }
        }
        done += chunk;
    }
    for (i = 0; i < w->n; i++) {
        if (w->errs[i] && !minicc_db_error_is_permanent(w->errs[i])) {
            return 0;
        }
    }
    return 1;
}

void minicc_db_write_rows(request_rec *r, const minicc_row_t *const *rows,
                          int n, int *errs)
{
    rows_t w = { rows, n, errs };
    int i;

    if (minicc_dbconn_with(r, n == 1 ? writing(r->pool, rows[0])
                        : apr_psprintf(r->pool, "recording %d %s rows", n,
                                       minicc_table(rows[0]->table)->name),
                        write_rows, &w) < 0) {
        for (i = 0; i < n; i++) {
            errs[i] = -1;
        }
    }
}

/* ---- without a request: the spool's replay ---- */

int minicc_db_write_rows_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                            const minicc_row_t *const *rows, int n,
                            const char *why)
{
    minicc_dbconn_ctx_t c;
    int i, err = 0;

    minicc_dbconn_ctx_on(&c, s, p, dbd, 1);
    if (!minicc_dbconn_check_session(&c, why)) {
        return -1;
    }
    for (i = 0; i < n && !err; i += MINICC_BATCH_MAX) {
        err = write_chunk(&c, rows + i, n - i < MINICC_BATCH_MAX
                                        ? n - i : MINICC_BATCH_MAX);
    }
    return err;
}

int minicc_db_run_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd, int id,
                     int nargs, const char **args, const char **value,
                     const char *why)
{
    minicc_dbconn_ctx_t c;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int err;

    minicc_dbconn_ctx_on(&c, s, p, dbd, 1);
    if (!minicc_dbconn_check_session(&c, why)) {
        return -1;
    }
    if (!value) {
        return run(&c, id, nargs, args, NULL, NULL, why);
    }
    *value = NULL;
    if ((err = run(&c, id, nargs, args, &res, NULL, why))) {
        return err;
    }
    /* read to the end (see each_row) */
    while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
        const char *v = apr_dbd_get_entry(dbd->driver, row, 0);

        if (!*value && v) {
            *value = apr_pstrdup(p, v);
        }
    }
    return 0;
}

int minicc_db_write_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                       const minicc_row_t *row, const char *why)
{
    minicc_dbconn_ctx_t c;
    const char *doing;

    minicc_dbconn_ctx_on(&c, s, p, dbd, 0);
    doing = apr_pstrcat(p, why, ": ", writing(p, row), NULL);
    if (!minicc_dbconn_check_session(&c, doing)) {
        return -1;
    }
    return run(&c, row->table, row->nvalues, row->values, NULL, NULL,
               doing);
}
