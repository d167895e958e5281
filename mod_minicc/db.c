/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The database, through mod_dbd's pooled connections and the statements
 * mod_dbd prepares on every connection it opens.
 *
 * The trap (PITFALLS.md): with apr_dbd_mysql's default reconnect=1, the ping
 * inside ap_dbd_acquire silently reconnects a connection that MariaDB closed
 * (a restart, wait_timeout), and the new session has none of the prepared
 * statements: every later execution fails with 2030 for as long as the
 * child lives.  So a statement that fails because its session is gone is
 * prepared again on the same handle and run once more.
 */
#define MINICC_WITH_HTTPD
#include "mod_minicc.h"

#include <http_protocol.h>

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

const char *minicc_db_configure(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    const char *labels[MINICC_STMT_COUNT], *sql[MINICC_STMT_COUNT];
    server_rec *sp;
    int i;

    if (!prepare || !acquire) {
        return "mod_minicc keeps its data through mod_dbd: load it first "
               "(LoadModule dbd_module, or a2enmod dbd) and set DBDriver "
               "and DBDParams";
    }
    for (i = 0; i < MINICC_TABLE_COUNT; i++) {
        labels[i] = minicc_table_label(i);
        sql[i] = minicc_table_upsert_sql(pconf, i);
    }
    labels[MINICC_STMT_OPERATOR_LOOKUP] = "minicc_operator_lookup";
    sql[MINICC_STMT_OPERATOR_LOOKUP] =
        "SELECT 1 FROM operators WHERE telnum = %s LIMIT 1";

    /* Every server_rec, after the virtual hosts were merged: a statement
     * added to the main server now would not reach them. */
    for (sp = s; sp; sp = sp->next) {
        minicc_srv_conf *sc = ap_get_module_config(sp->module_config,
                                                   &minicc_module);
        sc->dbd_acquire = acquire;
        for (i = 0; i < MINICC_STMT_COUNT; i++) {
            sc->labels[i] = labels[i];
            sc->sql[i] = sql[i];
            prepare(sp, sql[i], labels[i]);
        }
    }
    return NULL;
}

/* A connection for this request, or NULL (logged by mod_dbd and here).
 * mod_dbd drops a connection whose ping fails; the next one from the pool,
 * or a new one, may well work, so ask twice. */
static ap_dbd_t *acquire(request_rec *r, const minicc_srv_conf *sc,
                         const char *doing)
{
    ap_dbd_t *dbd = sc->dbd_acquire(r);

    if (!dbd) {
        dbd = sc->dbd_acquire(r);
    }
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30201)
                      "%s: no database connection from mod_dbd (see its "
                      "message above: DBDParams, or is the server down?)",
                      doing);
    }
    return dbd;
}

static apr_dbd_prepared_t *statement(request_rec *r, ap_dbd_t *dbd,
                                     const minicc_srv_conf *sc, int id,
                                     const char *doing)
{
    apr_dbd_prepared_t *stmt = apr_hash_get(dbd->prepared, sc->labels[id],
                                            APR_HASH_KEY_STRING);
    if (!stmt) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30202)
                      "%s: mod_dbd has no statement '%s' for this server "
                      "(was the configuration changed without a restart?)",
                      doing, sc->labels[id]);
    }
    return stmt;
}

/* Prepares statement id again on this connection, replacing mod_dbd's
 * stale one.  The handle is ours alone for the request, so changing its
 * hash is safe; the new statement lives as long as the connection. */
static apr_dbd_prepared_t *prepare_again(request_rec *r, ap_dbd_t *dbd,
                                         const minicc_srv_conf *sc, int id,
                                         const char *doing)
{
    apr_dbd_prepared_t *stmt = NULL;
    int err = apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle,
                              sc->sql[id], sc->labels[id], &stmt);
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30203)
                      "%s: preparing '%s' again after the database session "
                      "was lost failed: error %d: %s", doing, sc->labels[id],
                      err, apr_dbd_error(dbd->driver, dbd->handle, err));
        return NULL;
    }
    apr_hash_set(dbd->prepared, sc->labels[id], APR_HASH_KEY_STRING, stmt);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(30204)
                  "%s: the database session was renewed; statement '%s' "
                  "prepared again", doing, sc->labels[id]);
    return stmt;
}

/* Runs statement id with args, retrying once on a lost session or a
 * deadlock.  For a SELECT (res != NULL) every row is read by the caller. */
static int run(request_rec *r, int id, int nargs, const char **args,
               apr_dbd_results_t **res, ap_dbd_t **dbd_out,
               const char *doing)
{
    const minicc_srv_conf *sc = ap_get_module_config(r->server->module_config,
                                                     &minicc_module);
    ap_dbd_t *dbd = acquire(r, sc, doing);
    apr_dbd_prepared_t *stmt;
    int attempt, err = -1, nrows;

    if (!dbd || !(stmt = statement(r, dbd, sc, id, doing))) {
        return -1;
    }
    for (attempt = 0; attempt < 2; attempt++) {
        if (res) {
            *res = NULL;
            err = apr_dbd_pselect(dbd->driver, r->pool, dbd->handle, res,
                                  stmt, 0, nargs, args);
        }
        else {
            err = apr_dbd_pquery(dbd->driver, r->pool, dbd->handle, &nrows,
                                 stmt, nargs, args);
        }
        if (!err) {
            *dbd_out = dbd;
            return 0;
        }
        if (attempt || !worth_retrying(err)) {
            break;
        }
        if (session_lost(err)
            && !(stmt = prepare_again(r, dbd, sc, id, doing))) {
            return err;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30205)
                  "%s: error %d: %s", doing, err,
                  apr_dbd_error(dbd->driver, dbd->handle, err));
    return err;
}

minicc_caller_e minicc_db_is_operator(request_rec *r, const char *telnum)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    ap_dbd_t *dbd;
    const char *doing = apr_psprintf(r->pool, "looking up caller %s in "
                                     "operators",
                                     ap_escape_logitem(r->pool, telnum));
    int found = 0;

    if (run(r, MINICC_STMT_OPERATOR_LOOKUP, 1, &telnum, &res, &dbd, doing)) {
        return MINICC_LOOKUP_FAILED;
    }
    /* read to the end: a sequential result left unread spoils the pooled
     * connection for the next request */
    while (apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1) == 0) {
        found = 1;
    }
    return found ? MINICC_OPERATOR : MINICC_CUSTOMER;
}

apr_status_t minicc_db_write(request_rec *r, const minicc_row_t *row)
{
    ap_dbd_t *dbd;
    const char *doing = apr_psprintf(r->pool, "recording %s for CallSid %s",
                                     minicc_table_name(row->table),
                                     row->values[0]);

    return run(r, row->table, row->nvalues, row->values, NULL, &dbd, doing)
           ? APR_EGENERAL : APR_SUCCESS;
}

void minicc_record(request_rec *r, const minicc_row_t *row)
{
    if (minicc_db_write(r, row) == APR_SUCCESS) {
        return;
    }
    /* No spool yet: the full row in the error log is what lets an
     * administrator put it back by hand. */
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30206)
                  "row NOT recorded, keep this line to restore it: %s",
                  minicc_row_describe(r->pool, row));
}
