/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The database, through mod_dbd's pooled connections and the statements
 * mod_dbd prepares on every connection it opens.
 *
 * The trap (PITFALLS.md): with apr_dbd_mysql's default reconnect=1, the ping
 * inside ap_dbd_acquire silently reconnects a connection that MariaDB closed
 * (a restart, wait_timeout), and the new session has none of the prepared
 * statements -- ours, and those of every other module on the pool, such as
 * mod_authn_dbd's: every later execution fails with 2030 for as long as the
 * child lives.
 *
 * So each connection remembers (dbd post_connect hook) the mod_dbd settings
 * it was made from and the server session (MySQL thread id) its statements
 * belong to.  Whenever we take a connection, a session that changed under
 * it gets every statement of the pool prepared again, before anyone runs
 * one.  That costs no round trip: the thread id is known to the client
 * library.  A statement that still fails because its session is gone (the
 * server left in the middle of a request) is prepared again and run once
 * more.
 */
#define MINICC_WITH_HTTPD
#include "mod_minicc.h"

#include <http_protocol.h>
#include <mysql.h>
#include <ma_pvio.h>

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
    APR_OPTIONAL_FN_TYPE(ap_dbd_open) *open =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    APR_OPTIONAL_FN_TYPE(ap_dbd_close) *close =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    const minicc_srv_conf *main_sc = ap_get_module_config(s->module_config,
                                                          &minicc_module);
    const char *labels[MINICC_STMT_COUNT], *sql[MINICC_STMT_COUNT];
    module *dbd;
    apr_array_header_t *seen;
    server_rec *sp;
    int i;

    if (!prepare || !acquire || !open || !close) {
        return "mod_minicc keeps its data through mod_dbd: load it first "
               "(LoadModule dbd_module, or a2enmod dbd) and set DBDriver "
               "and DBDParams";
    }
    for (i = 0; i < MINICC_TABLE_COUNT; i++) {
        int k;

        labels[i] = minicc_table_label(i);
        sql[i] = minicc_table_upsert_sql(pconf, i, 1);
        for (k = 0; k < MINICC_BATCH_LEVELS; k++) {
            int id = MINICC_STMT_BATCH + i * MINICC_BATCH_LEVELS + k;

            labels[id] = apr_psprintf(pconf, "%s_x%d", labels[i], 2 << k);
            sql[id] = minicc_table_upsert_sql(pconf, i, 2 << k);
        }
    }
    labels[MINICC_STMT_OPERATOR_LOOKUP] = "minicc_operator_lookup";
    sql[MINICC_STMT_OPERATOR_LOOKUP] =
        "SELECT 1 FROM operators WHERE telnum = %s LIMIT 1";
    for (i = MINICC_STMT_REPORT_HOURS; i < MINICC_STMT_BATCH; i++) {
        sql[i] = minicc_report_statement(i, &labels[i]);
    }

    /* Every server_rec, after the virtual hosts were merged: a statement
     * added to the main server now would not reach them.  A virtual host
     * without DBD directives shares the main server's mod_dbd settings;
     * preparing twice there only earns a "conflicting SQL" warning. */
    dbd = ap_find_linked_module("mod_dbd.c");
    seen = apr_array_make(pconf, 4, sizeof(void *));
    for (sp = s; sp; sp = sp->next) {
        minicc_srv_conf *sc = ap_get_module_config(sp->module_config,
                                                   &minicc_module);
        void *dbd_conf = dbd ? ap_get_module_config(sp->module_config, dbd)
                             : NULL;
        int j, shared = 0;

        sc->dbd_acquire = acquire;
        sc->dbd_open = open;
        sc->dbd_close = close;
        sc->spool = main_sc->spool;   /* one spool for the whole server */
        sc->db_timeout = main_sc->db_timeout;
        for (i = 0; i < MINICC_STMT_COUNT; i++) {
            sc->labels[i] = labels[i];
            sc->sql[i] = sql[i];
        }
        for (j = 0; j < seen->nelts; j++) {
            shared |= dbd_conf && APR_ARRAY_IDX(seen, j, void *) == dbd_conf;
        }
        if (shared) {
            continue;
        }
        APR_ARRAY_PUSH(seen, void *) = dbd_conf;
        for (i = 0; i < MINICC_STMT_COUNT; i++) {
            prepare(sp, sql[i], labels[i]);
        }
    }
    return NULL;
}

/* What a statement runs for: a webhook request, or the spool's replay,
 * which has no request and logs against the server. */
typedef struct {
    server_rec *s;
    request_rec *r;
    apr_pool_t *pool;
    const minicc_srv_conf *sc;
    ap_dbd_t *dbd;
} db_ctx_t;

static void db_log(const db_ctx_t *c, int level, const char *msg)
{
    if (c->r) {
        ap_log_rerror(APLOG_MARK, level, 0, c->r, "%s", msg);
    }
    else {
        ap_log_error(APLOG_MARK, level, 0, c->s, "%s", msg);
    }
}

/* Whether a wait that began at start and failed ran into MiniCCDBTimeout:
 * the server hangs.  One that gave up at once (refused, reset, a restart)
 * does not: it is worth asking again. */
static int ran_into_timeout(const minicc_srv_conf *sc, apr_time_t start)
{
    int seconds = minicc_conf_db_timeout(sc);

    return seconds > 0
        && apr_time_now() - start >= apr_time_from_sec(seconds) * 9 / 10;
}

/*
 * A server that hangs (it takes queries and answers none) costs each query
 * MiniCCDBTimeout.  Were every request to try, a row queued behind a few
 * batches would wait several of those, past the 15 s Twilio gives a
 * webhook.  So once a query of this child went unanswered, its requests
 * do not ask the database for MINICC_HUNG_REST: rows go to the spool,
 * first contacts hear the trouble message.  Then one request at a time
 * asks again, and when it is answered, or refused at once (a server that
 * is down says so without delay), everyone asks again.
 */
struct minicc_hang {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;   /* NULL: one request at a time (prefork) */
#endif
    apr_time_t at;              /* a query went unanswered; 0: none since
                                 * one was answered */
    int asking;                 /* a request asks past it */
};

/* The request that asks past a hang, until it ends. */
typedef struct {
    minicc_hang_t *hang;
    apr_time_t past;
} asker_t;

#define ASKER_KEY "minicc-asker"

minicc_hang_t *minicc_db_hang_create(apr_pool_t *pchild, server_rec *s,
                                     int threaded)
{
    minicc_hang_t *h = apr_pcalloc(pchild, sizeof(*h));

#if APR_HAS_THREADS
    if (threaded) {
        apr_status_t rv = apr_thread_mutex_create(&h->lock,
                                                  APR_THREAD_MUTEX_DEFAULT,
                                                  pchild);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(30212)
                         "creating the lock of this child's memory of a "
                         "hung database failed; its requests will each "
                         "wait for a hung database");
            return NULL;
        }
    }
#else
    (void)s;
    (void)threaded;
#endif
    return h;
}

static minicc_hang_t *hang_of(request_rec *r)
{
    const minicc_child_state_t *st = r ? minicc_child_state(r) : NULL;

    return st ? st->hang : NULL;
}

static void hang_lock(minicc_hang_t *h)
{
#if APR_HAS_THREADS
    if (h->lock) {
        apr_thread_mutex_lock(h->lock);
    }
#else
    (void)h;
#endif
}

static void hang_unlock(minicc_hang_t *h)
{
#if APR_HAS_THREADS
    if (h->lock) {
        apr_thread_mutex_unlock(h->lock);
    }
#else
    (void)h;
#endif
}

/* A query ran into MiniCCDBTimeout. */
static void note_hang(request_rec *r)
{
    minicc_hang_t *h = hang_of(r);

    if (h) {
        hang_lock(h);
        h->at = apr_time_now();
        hang_unlock(h);
    }
}

apr_time_t minicc_db_hang_time(request_rec *r)
{
    minicc_hang_t *h = hang_of(r);
    apr_time_t at;

    if (!h) {
        return 0;
    }
    hang_lock(h);
    at = h->at;
    hang_unlock(h);
    return at;
}

/* The asking request ended: unless its own queries went unanswered too,
 * the server answered, or refused at once; everyone may ask again. */
static apr_status_t done_asking(void *data)
{
    asker_t *a = data;

    hang_lock(a->hang);
    a->hang->asking = 0;
    if (a->hang->at == a->past) {
        a->hang->at = 0;
    }
    hang_unlock(a->hang);
    return APR_SUCCESS;
}

int minicc_db_may_ask(request_rec *r, const char *doing)
{
    minicc_hang_t *h = hang_of(r);
    asker_t *a = NULL;
    apr_time_t at, since;

    if (!h) {
        return 1;
    }
    hang_lock(h);
    if (!(at = h->at)) {
        hang_unlock(h);
        return 1;
    }
    apr_pool_userdata_get((void **)&a, ASKER_KEY, r->pool);
    if (a && a->past == at) {
        /* this request is the one asking */
        hang_unlock(h);
        return 1;
    }
    since = apr_time_now() - at;
    if (h->asking || since < MINICC_HUNG_REST) {
        hang_unlock(h);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30211)
                      "%s: the database was not asked: it left a query of "
                      "this child unanswered %" APR_TIME_T_FMT " ms ago "
                      "(MiniCCDBTimeout); one request asks it again %"
                      APR_TIME_T_FMT " s after that, the others once it "
                      "answers", doing, apr_time_as_msec(since),
                      apr_time_sec(MINICC_HUNG_REST));
        return 0;
    }
    h->asking = 1;
    hang_unlock(h);
    a = apr_palloc(r->pool, sizeof(*a));
    a->hang = h;
    a->past = at;
    apr_pool_userdata_setn(a, ASKER_KEY, NULL, r->pool);
    apr_pool_cleanup_register(r->pool, a, done_asking,
                              apr_pool_cleanup_null);
    return 1;
}

/* A connection for this request, or NULL (logged by mod_dbd and here).
 * mod_dbd drops a connection whose ping fails and returns none; with
 * reconnect=0 in DBDParams, after a restart every idle connection of the
 * pool fails so, one by one, before mod_dbd opens a fresh one.  So ask
 * again while asking is quick; a server that makes us wait (a timeout) is
 * asked no more: the caller must not wait for a dozen timeouts. */
#define ACQUIRE_ATTEMPTS 16
#define ACQUIRE_BUDGET apr_time_from_msec(500)

static ap_dbd_t *acquire(request_rec *r, const minicc_srv_conf *sc,
                         const char *doing, int to_keep)
{
    apr_time_t start = apr_time_now();
    ap_dbd_t *dbd = NULL;
    int attempt;

    for (attempt = 0; attempt < ACQUIRE_ATTEMPTS && !dbd; attempt++) {
        if (attempt && apr_time_now() - start > ACQUIRE_BUDGET) {
            break;
        }
        /* to_keep: one the caller keeps beyond this request (batch.c) */
        dbd = to_keep ? sc->dbd_open(r->pool, r->server) : sc->dbd_acquire(r);
    }
    if (!to_keep) {
        /* remembered for batch.c: a request holding a connection writes
         * on it rather than wait for, or take, another */
        ap_set_module_config(r->request_config, &minicc_module, dbd);
    }
    if (!dbd && ran_into_timeout(sc, start)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30209)
                      "%s: the database did not answer mod_dbd within %d s "
                      "(MiniCCDBTimeout; see mod_dbd's message above): "
                      "not asked again", doing, minicc_conf_db_timeout(sc));
        note_hang(r);
    }
    else if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30201)
                      "%s: no database connection from mod_dbd after %d "
                      "attempts (see its messages above: DBDParams, or is "
                      "the server down?)", doing, attempt);
    }
    return dbd;
}

/* What a connection remembers, in its pool's userdata. */
typedef struct {
    dbd_cfg_t *cfg;             /* label -> SQL of every statement */
    unsigned long session;      /* the session its statements belong to */
    apr_pool_t *stmts;          /* the statements we prepared again; NULL
                                 * while they are mod_dbd's */
} dbd_session_t;

#define CONN_STATE_KEY "minicc-dbd-session"

/* The libmariadb handle behind the connection; NULL for another driver. */
static MYSQL *mysql_of(ap_dbd_t *dbd)
{
    if (strcmp(apr_dbd_name(dbd->driver), "mysql")) {
        return NULL;
    }
    return apr_dbd_native_handle(dbd->driver, dbd->handle);
}

static unsigned long session_of(ap_dbd_t *dbd)
{
    MYSQL *m = mysql_of(dbd);

    return m ? mysql_thread_id(m) : 0;
}

/* A hung server (stopped, swapping, behind a dead link) accepts a query
 * and answers nothing, and libmariadb waits for ever: apr_dbd_mysql in
 * apr-util 1.6 has no key for its timeouts.  So every connection mod_dbd
 * opens gets them here, before anyone runs a statement on it: on its live
 * socket, where libmariadb applies its options only when it connects, and
 * as options, which a reconnect (inside mod_dbd's ping) copies. */
static void set_live_timeout(ap_dbd_t *dbd, int seconds)
{
    MYSQL *m = mysql_of(dbd);

    if (m && m->net.pvio && m->net.pvio->methods
        && m->net.pvio->methods->set_timeout) {
        m->net.pvio->methods->set_timeout(m->net.pvio, PVIO_READ_TIMEOUT,
                                          seconds);
        m->net.pvio->methods->set_timeout(m->net.pvio, PVIO_WRITE_TIMEOUT,
                                          seconds);
    }
}

static void bound_waits(ap_dbd_t *dbd, int seconds)
{
    unsigned int t = (unsigned int)seconds;
    MYSQL *m = mysql_of(dbd);

    if (seconds <= 0 || !m) {
        return;
    }
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t);
    set_live_timeout(dbd, seconds);
}

/* libmariadb reconnects a handle whose server went away whenever it is
 * next used.  Two kinds of handle must not: one whose server left a query
 * unanswered (libmariadb closed it): a reconnect would only wait as long
 * again, in the ping of whoever mod_dbd hands it to next, who should get a
 * new connection -- or, while the server hangs, none -- at once.  And one
 * on its way out: it first closes each of its statements, and a dead
 * handle would reconnect to send each close -- a minute in all, measured,
 * when the server hangs. */
static void never_reconnect(ap_dbd_t *dbd)
{
    my_bool off = 0;
    MYSQL *m = mysql_of(dbd);

    if (m) {
        mysql_options(m, MYSQL_OPT_RECONNECT, &off);
    }
}

/* A pre-cleanup: it runs before the statements of our own subpool and
 * mod_dbd's (whose cleanups were registered before this one) are
 * closed. */
static apr_status_t never_reconnect_when_closing(void *data)
{
    never_reconnect(data);
    return APR_SUCCESS;
}

/* mod_dbd's post_connect hook: a new connection, its statements just
 * prepared by mod_dbd. */
static apr_status_t remember_connection(apr_pool_t *pool, dbd_cfg_t *cfg,
                                        ap_dbd_t *dbd)
{
    dbd_session_t *st = apr_palloc(dbd->pool, sizeof(*st));
    const minicc_srv_conf *sc = ap_get_module_config(
        cfg->server->module_config, &minicc_module);

    (void)pool;
    bound_waits(dbd, minicc_conf_db_timeout(sc));
    apr_pool_pre_cleanup_register(dbd->pool, dbd,
                                  never_reconnect_when_closing);
    st->cfg = cfg;
    st->session = session_of(dbd);
    st->stmts = NULL;
    apr_pool_userdata_setn(st, CONN_STATE_KEY, NULL, dbd->pool);
    return OK;
}

void minicc_db_register_hooks(void)
{
    APR_OPTIONAL_HOOK(dbd, post_connect, remember_connection, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

/* The MYSQL_STMT behind a statement of the connection, or NULL (another
 * driver, or none).  apr_dbd_mysql's apr_dbd_prepared_t starts with its
 * MYSQL_STMT (apr-util 1.x); MYSQL_STMT is libmariadb's public struct. */
static MYSQL_STMT *mysql_stmt_of(ap_dbd_t *dbd, void *prepared)
{
    return prepared && mysql_of(dbd) ? *(MYSQL_STMT **)prepared : NULL;
}

/* Readies the connection's current statements -- the stale ones of a
 * session that is gone -- to be freed without a word to the server;
 * zero if one of them cannot be.  When libmariadb reconnects a handle it
 * either detaches them (stmt->mysql = NULL) or keeps them on the handle,
 * unprepared (MYSQL_STMT_INITTED) but with the old session's statement
 * id: mysql_stmt_close would send COM_STMT_CLOSE with that id, which the
 * new session may have given to a statement just prepared.  Such an id
 * names nothing any more, so it is cleared. */
static int stale_statements_freeable(ap_dbd_t *dbd, apr_pool_t *p)
{
    apr_array_header_t *attached = apr_array_make(p, 32, sizeof(MYSQL_STMT *));
    apr_hash_index_t *hi;
    int i;

    if (!mysql_of(dbd)) {
        return 0;
    }
    for (hi = apr_hash_first(p, dbd->prepared); hi; hi = apr_hash_next(hi)) {
        void *prepared;
        MYSQL_STMT *stmt;

        apr_hash_this(hi, NULL, NULL, &prepared);
        stmt = mysql_stmt_of(dbd, prepared);
        if (!stmt || !stmt->mysql) {
            continue;
        }
        if (stmt->state != MYSQL_STMT_INITTED) {
            return 0;
        }
        APR_ARRAY_PUSH(attached, MYSQL_STMT *) = stmt;
    }
    for (i = 0; i < attached->nelts; i++) {
        APR_ARRAY_IDX(attached, i, MYSQL_STMT *)->stmt_id = 0;
    }
    return 1;
}

/* Prepares every statement of the connection again, in a pool of their
 * own, and puts them in the place of mod_dbd's stale ones: all of them or,
 * when one fails, none (the connection keeps its stale ones, and the next
 * request tries again).  The handle is ours alone while we hold it, so
 * changing its hash is safe.  The statements of the renewal before are
 * freed with their pool: without that, a connection that lives through
 * many database restarts would keep every generation of them. */
static int prepare_all_again(const db_ctx_t *c, dbd_session_t *st,
                             const char *doing)
{
    ap_dbd_t *dbd = c->dbd;
    apr_hash_index_t *hi;
    apr_hash_t *fresh = apr_hash_make(c->pool);
    apr_pool_t *pool;
    apr_status_t rv;
    const char *stale;
    int n = 0;

    if ((rv = apr_pool_create(&pool, dbd->pool)) != APR_SUCCESS) {
        db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30208)
               "%s: the database session was renewed, and there is no "
               "memory to prepare its statements again: %pm", doing, &rv));
        st->session = 0;
        return 0;
    }
    apr_pool_tag(pool, "minicc_statements");
    for (hi = apr_hash_first(c->pool, st->cfg->queries); hi;
         hi = apr_hash_next(hi)) {
        const void *label;
        void *query;
        apr_dbd_prepared_t *stmt = NULL;
        int err;

        apr_hash_this(hi, &label, NULL, &query);
        if (!*(const char *)query) {
            continue;
        }
        err = apr_dbd_prepare(dbd->driver, pool, dbd->handle, query,
                              label, &stmt);
        if (err) {
            db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30203)
                   "%s: the database session was renewed, and preparing "
                   "'%s' again failed: error %d: %s", doing,
                   (const char *)label, err,
                   apr_dbd_error(dbd->driver, dbd->handle, err)));
            apr_pool_destroy(pool);
            st->session = 0;
            return 0;
        }
        apr_hash_set(fresh, label, APR_HASH_KEY_STRING, stmt);
        n++;
    }
    /* the stale ones: freed, unless they are mod_dbd's first ones (they
     * live as long as the connection) or cannot be */
    if (!st->stmts) {
        stale = "";
    }
    else if (stale_statements_freeable(dbd, c->pool)) {
        apr_pool_destroy(st->stmts);
        stale = ", the stale ones freed";
    }
    else {
        stale = ", the stale ones kept until the connection closes";
    }
    st->stmts = pool;
    for (hi = apr_hash_first(c->pool, fresh); hi; hi = apr_hash_next(hi)) {
        const void *label;
        void *stmt;

        apr_hash_this(hi, &label, NULL, &stmt);
        apr_hash_set(dbd->prepared, label, APR_HASH_KEY_STRING, stmt);
    }
    db_log(c, APLOG_INFO, apr_psprintf(c->pool, APLOGNO(30204)
           "%s: the database session was renewed (thread %lu, was %lu); "
           "%d statements prepared again%s", doing, session_of(dbd),
           st->session, n, stale));
    st->session = session_of(dbd);
    return 1;
}

/* Whether libmariadb let go of the connection's statements: when it
 * reconnects a handle (inside mod_dbd's ping) it marks every statement of
 * the old session unprepared (state MYSQL_STMT_INITTED: error 2030 on the
 * next execution), or detaches it (stmt->mysql = NULL).  The thread id
 * alone does not tell: after a restart MariaDB counts from 1 again, and a
 * new session can get the old one's id. */
static int statements_detached(const db_ctx_t *c)
{
    MYSQL_STMT *stmt = mysql_stmt_of(c->dbd, apr_hash_get(c->dbd->prepared,
                           c->sc->labels[MINICC_STMT_OPERATOR_LOOKUP],
                           APR_HASH_KEY_STRING));

    return stmt && (!stmt->mysql || stmt->state == MYSQL_STMT_INITTED);
}

/* Before a connection is used: statements of a session that is gone are
 * prepared again.  Zero when that failed (logged). */
static int check_session(const db_ctx_t *c, const char *doing)
{
    dbd_session_t *st = NULL;

    apr_pool_userdata_get((void **)&st, CONN_STATE_KEY, c->dbd->pool);
    if (!st || (st->session == session_of(c->dbd)
                && !statements_detached(c))) {
        return 1;
    }
    return prepare_all_again(c, st, doing);
}

/* After a statement failed because its session is gone: reconnect (the
 * driver does it inside the ping when reconnect=1) and prepare again. */
static int renew_session(const db_ctx_t *c, const char *doing)
{
    dbd_session_t *st = NULL;

    apr_dbd_check_conn(c->dbd->driver, c->pool, c->dbd->handle);
    apr_pool_userdata_get((void **)&st, CONN_STATE_KEY, c->dbd->pool);
    if (!st) {
        db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30207)
               "%s: the database session was lost, and this connection "
               "was not opened by a mod_dbd with the post_connect hook: "
               "its statements cannot be prepared again", doing));
        return 0;
    }
    return prepare_all_again(c, st, doing);
}

/* A connection for this request, its statements current; zero when there
 * is none (logged). */
static void ctx_init(db_ctx_t *c, request_rec *r, ap_dbd_t *dbd)
{
    c->s = r->server;
    c->r = r;
    c->pool = r->pool;
    c->sc = ap_get_module_config(r->server->module_config, &minicc_module);
    c->dbd = dbd;
}

static int open_ctx(db_ctx_t *c, request_rec *r, const char *doing)
{
    ctx_init(c, r, NULL);
    return minicc_db_may_ask(r, doing)
        && (c->dbd = acquire(r, c->sc, doing, 0)) && check_session(c, doing);
}

int minicc_db_prepare_request(request_rec *r)
{
    db_ctx_t c;

    return open_ctx(&c, r, "taking a database connection before "
                    "authentication");
}

/* A deadlock's victim was rolled back whole and only has to run again;
 * where summary rows of a busy hour are shared, the same statement can be
 * chosen more than once in a row. */
#define DEADLOCK_ATTEMPTS 4

/* Runs statement id with args, retrying once on a lost session or a lock
 * wait timeout, and up to DEADLOCK_ATTEMPTS - 1 times on a deadlock; 0, or
 * the MySQL error number (-1: no statement).  For a SELECT (res != NULL)
 * the caller reads every row. */
static int run(const db_ctx_t *c, int id, int nargs, const char **args,
               apr_dbd_results_t **res, const char *doing)
{
    ap_dbd_t *dbd = c->dbd;
    apr_dbd_prepared_t *stmt = apr_hash_get(dbd->prepared, c->sc->labels[id],
                                            APR_HASH_KEY_STRING);
    int attempt, err = -1, nrows;

    if (!stmt) {
        db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30202)
               "%s: mod_dbd has no statement '%s' for this server (was the "
               "configuration changed without a restart?)", doing,
               c->sc->labels[id]));
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
            return 0;
        }
        if (session_lost(err) && ran_into_timeout(c->sc, start)) {
            /* a reconnect would only wait as long again */
            db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30206)
                   "%s: the database did not answer within %d s "
                   "(MiniCCDBTimeout): error %d: %s; not asked again", doing,
                   minicc_conf_db_timeout(c->sc), err,
                   apr_dbd_error(dbd->driver, dbd->handle, err)));
            never_reconnect(dbd);
            note_hang(c->r);
            return err;
        }
        if (!worth_retrying(err)
            || attempt >= (err == ER_LOCK_DEADLOCK ? DEADLOCK_ATTEMPTS : 2)) {
            break;
        }
        if (session_lost(err)) {
            if (!renew_session(c, doing)) {
                return err;
            }
            stmt = apr_hash_get(dbd->prepared, c->sc->labels[id],
                                APR_HASH_KEY_STRING);
        }
    }
    /* apr_dbd_error is often "" for statement errors: the number says it */
    db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30205)
           "%s: error %d: %s", doing, err,
           apr_dbd_error(dbd->driver, dbd->handle, err)));
    return err;
}

/* The lookup on a connection: 1 found, 0 not, -1 the statement failed. */
static int lookup_on(const db_ctx_t *c, const char *telnum, const char *doing)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int found = 0;

    if (run(c, MINICC_STMT_OPERATOR_LOOKUP, 1, &telnum, &res, doing)) {
        return -1;
    }
    /* read to the end: a sequential result left unread spoils the pooled
     * connection for the next request */
    while (apr_dbd_get_row(c->dbd->driver, c->pool, res, &row, -1) == 0) {
        found = 1;
    }
    return found;
}

typedef struct {
    const char *telnum;
    const char *doing;
    int found;
} lookup_baton_t;

static int lookup_kept(request_rec *r, ap_dbd_t *dbd, void *baton)
{
    lookup_baton_t *l = baton;
    db_ctx_t c;

    ctx_init(&c, r, dbd);
    l->found = lookup_on(&c, l->telnum, l->doing);
    return l->found >= 0;
}

static minicc_batch_t *batch_of(request_rec *r)
{
    const minicc_child_state_t *st = minicc_child_state(r);

    return st ? st->batch : NULL;
}

minicc_caller_e minicc_db_is_operator(request_rec *r, const char *telnum)
{
    minicc_batch_t *b = batch_of(r);
    lookup_baton_t l;
    db_ctx_t c;

    l.telnum = telnum;
    l.doing = apr_psprintf(r->pool, "looking up caller %s in operators",
                           ap_escape_logitem(r->pool, telnum));
    l.found = -1;
    /* the child's kept connections spare this first contact mod_dbd's
     * ping; a request holding its own (mod_authn_dbd's) uses that */
    if (b && !minicc_db_request_connection(r)) {
        minicc_batch_run(r, b, l.doing, lookup_kept, &l);
    }
    else if (open_ctx(&c, r, l.doing)) {
        l.found = lookup_on(&c, telnum, l.doing);
    }
    return l.found < 0 ? MINICC_LOOKUP_FAILED
                       : l.found ? MINICC_OPERATOR : MINICC_CUSTOMER;
}

/* A supervisor waits longer for a month's report than Twilio for a row. */
#define REPORT_TIMEOUT 60

apr_array_header_t *minicc_db_select(request_rec *r, int id, int nargs,
                                     const char **args, int ncols)
{
    db_ctx_t c;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *rows = NULL;
    const char *doing = apr_psprintf(r->pool, "running the report query "
                                     "'%s'", ((const minicc_srv_conf *)
                                     ap_get_module_config(
                                         r->server->module_config,
                                         &minicc_module))->labels[id]);
    int timeout;

    if (!open_ctx(&c, r, doing)) {
        return NULL;
    }
    if ((timeout = minicc_conf_db_timeout(c.sc)) > 0) {
        set_live_timeout(c.dbd, REPORT_TIMEOUT);
    }
    if (!run(&c, id, nargs, args, &res, doing)) {
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
    if (timeout > 0) {
        set_live_timeout(c.dbd, timeout);
    }
    return rows;
}

static const char *writing(apr_pool_t *p, minicc_table_e table,
                           const char *const *values)
{
    return apr_psprintf(p, "recording %s for CallSid %s",
                        minicc_table_name(table), values[0]);
}

int minicc_db_write(request_rec *r, const minicc_row_t *row)
{
    minicc_batch_t *b = batch_of(r);
    int err;

    if (b) {
        return minicc_batch_write(r, b, row);
    }
    minicc_db_write_rows(r, &row, 1, &err);
    return err;
}

/* n rows (at most MINICC_BATCH_MAX) in one statement, so in one commit.
 * Statements are prepared for 2, 4, 8 ... rows: the last row fills the
 * places left over.  Written again in the same statement it changes
 * nothing (the upsert keeps the newer values, and they are the same), and
 * the report triggers count only a change, while a second statement would
 * cost a second round trip and a second flush of the redo log. */
static int write_chunk(const db_ctx_t *c, const minicc_row_t *const *rows,
                       int n)
{
    minicc_table_e table = rows[0]->table;
    int nvalues = rows[0]->nvalues, id, k, places, i;
    const char **args;
    const char *doing;

    if (n == 1) {
        return run(c, table, nvalues, rows[0]->values, NULL,
                   writing(c->pool, table, rows[0]->values));
    }
    for (k = 0; (2 << k) < n; ) {
        k++;
    }
    id = MINICC_STMT_BATCH + table * MINICC_BATCH_LEVELS + k;
    places = 2 << k;
    args = apr_palloc(c->pool, sizeof(char *) * nvalues * places);
    for (i = 0; i < places; i++) {
        memcpy(args + i * nvalues, rows[i < n ? i : n - 1]->values,
               sizeof(char *) * nvalues);
    }
    doing = apr_psprintf(c->pool, "recording %d %s rows in one statement "
                         "(CallSid %s ... %s)", n, minicc_table_name(table),
                         rows[0]->values[0], rows[n - 1]->values[0]);
    return run(c, id, nvalues * places, args, NULL, doing);
}

static void write_rows(const db_ctx_t *c, const minicc_row_t *const *rows,
                       int n, int *errs)
{
    int done = 0, i;

    while (done < n) {
        int chunk = n - done < MINICC_BATCH_MAX ? n - done : MINICC_BATCH_MAX;
        int err;

        err = write_chunk(c, rows + done, chunk);
        if (err && chunk > 1 && minicc_db_error_is_permanent(err)) {
            /* one row the database refuses: find it, keep the others */
            for (i = done; i < done + chunk; i++) {
                errs[i] = write_chunk(c, rows + i, 1);
            }
        }
        else if (err && !minicc_db_error_is_permanent(err)) {
            /* the server or the connection: the rest would fail the same */
            for (i = done; i < n; i++) {
                errs[i] = err;
            }
            return;
        }
        else {
            for (i = done; i < done + chunk; i++) {
                errs[i] = err;
            }
        }
        done += chunk;
    }
}

static const char *writing_rows(apr_pool_t *p, const minicc_row_t *const *rows,
                                int n)
{
    return n == 1 ? writing(p, rows[0]->table, rows[0]->values)
                  : apr_psprintf(p, "recording %d %s rows", n,
                                 minicc_table_name(rows[0]->table));
}

void minicc_db_write_rows(request_rec *r, const minicc_row_t *const *rows,
                          int n, int *errs)
{
    db_ctx_t c;
    int i;

    if (!open_ctx(&c, r, writing_rows(r->pool, rows, n))) {
        for (i = 0; i < n; i++) {
            errs[i] = -1;
        }
        return;
    }
    write_rows(&c, rows, n, errs);
}

void minicc_db_write_rows_on(request_rec *r, ap_dbd_t *dbd,
                             const minicc_row_t *const *rows, int n,
                             int *errs)
{
    db_ctx_t c;

    ctx_init(&c, r, dbd);
    write_rows(&c, rows, n, errs);
}

/* ---- connections kept beyond a request (batch.c) ---- */

ap_dbd_t *minicc_db_request_connection(request_rec *r)
{
    return ap_get_module_config(r->request_config, &minicc_module);
}

ap_dbd_t *minicc_db_open(request_rec *r, const char *doing)
{
    db_ctx_t c;

    ctx_init(&c, r, NULL);
    if (!(c.dbd = acquire(r, c.sc, doing, 1))) {
        return NULL;
    }
    if (!check_session(&c, doing)) {
        c.sc->dbd_close(r->server, c.dbd);
        return NULL;
    }
    return c.dbd;
}

int minicc_db_recheck(request_rec *r, ap_dbd_t *dbd, const char *doing)
{
    apr_time_t start = apr_time_now();
    db_ctx_t c;

    ctx_init(&c, r, dbd);
    if (apr_dbd_check_conn(dbd->driver, r->pool, dbd->handle) == APR_SUCCESS) {
        return check_session(&c, doing);
    }
    if (ran_into_timeout(c.sc, start)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30210)
                      "%s: the database did not answer a ping within %d s "
                      "(MiniCCDBTimeout): not asked again", doing,
                      minicc_conf_db_timeout(c.sc));
        never_reconnect(dbd);
        note_hang(r);
    }
    return 0;
}

void minicc_db_close(server_rec *s, ap_dbd_t *dbd)
{
    const minicc_srv_conf *sc = ap_get_module_config(s->module_config,
                                                     &minicc_module);

    sc->dbd_close(s, dbd);
}

int minicc_db_pool_keep(ap_dbd_t *dbd)
{
    dbd_session_t *st = NULL;

    apr_pool_userdata_get((void **)&st, CONN_STATE_KEY, dbd->pool);
#if APR_HAS_THREADS
    return st ? (st->cfg->nkeep < st->cfg->nmax ? st->cfg->nkeep
                                                : st->cfg->nmax - 1) : 0;
#else
    return 0;
#endif
}

int minicc_db_write_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                       minicc_table_e table, const char **values, int nvalues)
{
    db_ctx_t c;
    const char *doing;

    c.s = s;
    c.r = NULL;
    c.pool = p;
    c.sc = ap_get_module_config(s->module_config, &minicc_module);
    c.dbd = dbd;
    doing = apr_pstrcat(p, "replaying the spool: ",
                        writing(p, table, values), NULL);
    if (!check_session(&c, doing)) {
        return -1;
    }
    return run(&c, table, nvalues, values, NULL, doing);
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
