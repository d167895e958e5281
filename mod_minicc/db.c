/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The database, through mod_dbd's pooled connections and the statements
 * of sql.c, which mod_dbd prepares on every connection it opens.  The
 * bottom layer: it calls nothing of the module above it, and what it needs
 * from below apr_dbd is dbnative.c's.
 *
 * The trap: with apr_dbd_mysql's default reconnect=1, the ping inside
 * ap_dbd_acquire silently reconnects a connection that MariaDB closed (a
 * restart, wait_timeout), and the new session has none of the prepared
 * statements -- ours, and those of every other module on the pool, such as
 * mod_authn_dbd's: every later execution fails with 2030 for as long as
 * the child lives.
 *
 * So each connection remembers (dbd post_connect hook) the mod_dbd settings
 * it was made from and the server session (MySQL thread id) its statements
 * belong to.  Whenever we take a connection, a session that changed under
 * it gets every statement of the pool prepared again, before anyone runs
 * one.  That costs no round trip: the thread id is known to the client
 * library.  A statement that still fails because its session is gone (the
 * server left in the middle of a request) is prepared again and run once
 * more.
 *
 * Under a threaded MPM a child keeps connections between requests (as many
 * as DBDKeep, always one fewer than DBDMax, so that mod_authn_dbd still
 * gets one): one used within the last second is not pinged again, one
 * idle for longer is, as mod_dbd would.  A kept connection that fails is
 * given back and the work is tried once more on a fresh one, so that a
 * database restart costs no row and no caller.  A request that already
 * holds a connection (mod_authn_dbd's, taken before authentication) works
 * on that one.
 */
#include "mod_minicc_private.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_dbnative.h"
#include "minicc_lock.h"
#include "minicc_metrics.h"
#include "minicc_throttle.h"

#include <apr_thread_mutex.h>
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

/* ---- configuration ---- */

/* mod_dbd's functions, found once at check_config. */
struct minicc_db_conf {
    ap_dbd_t *(*acquire)(request_rec *);
    ap_dbd_t *(*open)(apr_pool_t *, server_rec *);
    void (*close)(server_rec *, ap_dbd_t *);
};

const char *minicc_db_configure(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    struct minicc_db_conf *dc = apr_palloc(pconf, sizeof(*dc));
    const char *sql[MINICC_STMT_COUNT];
    module *dbd;
    apr_array_header_t *seen;
    server_rec *sp;
    int i;

    dc->acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dc->open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dc->close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    if (!prepare || !dc->acquire || !dc->open || !dc->close) {
        return "mod_minicc keeps its data through mod_dbd: load it first "
               "(LoadModule dbd_module, or a2enmod dbd) and set DBDriver "
               "and DBDParams";
    }
    for (i = 0; i < MINICC_STMT_COUNT; i++) {
        sql[i] = minicc_sql_text(pconf, i);
    }

    /* Every server_rec, after the virtual hosts were merged: a statement
     * added to the main server now would not reach them.  A virtual host
     * without DBD directives shares the main server's mod_dbd settings;
     * preparing twice there only earns a "conflicting SQL" warning. */
    dbd = ap_find_linked_module("mod_dbd.c");
    seen = apr_array_make(pconf, 4, sizeof(void *));
    for (sp = s; sp; sp = sp->next) {
        void *dbd_conf = dbd ? ap_get_module_config(sp->module_config, dbd)
                             : NULL;
        int j, shared = 0;

        minicc_srv_conf_of(sp)->db = dc;
        for (j = 0; j < seen->nelts; j++) {
            shared |= dbd_conf && APR_ARRAY_IDX(seen, j, void *) == dbd_conf;
        }
        if (shared) {
            continue;
        }
        APR_ARRAY_PUSH(seen, void *) = dbd_conf;
        for (i = 0; i < MINICC_STMT_COUNT; i++) {
            prepare(sp, sql[i], minicc_sql_label(i));
        }
    }
    return NULL;
}

/* ---- this child's state, per server_rec ---- */

#define KEPT_MAX 64
#define KEPT_FRESH apr_time_from_sec(1)

typedef struct {
    ap_dbd_t *dbd;
    apr_time_t used;            /* its last statement */
} kept_conn_t;

/*
 * A server that hangs (it takes queries and answers none) costs each query
 * MiniCCDBTimeout.  Were every request to try, a row queued behind a few
 * statements would wait several of those, past the 15 s Twilio gives a
 * webhook.  So once a query of this child went unanswered, its requests
 * do not ask the database for HUNG_REST: rows go to the spool, first
 * contacts hear the trouble message.  Then one request at a time asks
 * again, and when it is answered, or refused at once (a server that is
 * down says so without delay), everyone asks again.
 */
#define HUNG_REST apr_time_from_sec(5)

typedef struct {
    server_rec *s;
    minicc_mutex_t *lock;       /* NULL: one request at a time (prefork) */
    apr_time_t hung;            /* a query went unanswered; 0: none since
                                 * one was answered */
    int asking;                 /* a request asks past it */
    minicc_throttle_t *refusals;        /* AH30211, once a second */
    minicc_throttle_t *failures;        /* an outage's other lines */
    int keeps;                  /* connections are kept (threaded MPM) */
    kept_conn_t idle[KEPT_MAX]; /* kept connections not in use */
    int nidle;
    int nkept;                  /* idle or in use */
} db_child_t;

static apr_status_t give_back_kept(void *data)
{
    db_child_t *ch = data;
    const minicc_srv_conf *sc = minicc_srv_conf_of(ch->s);

    while (ch->nidle) {
        sc->db->close(ch->s, ch->idle[--ch->nidle].dbd);
    }
    ch->nkept = 0;
    return APR_SUCCESS;
}

void minicc_db_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threaded = minicc_mpm_threaded();
    server_rec *sp;

    for (sp = s; sp; sp = sp->next) {
        db_child_t *ch = apr_pcalloc(pchild, sizeof(*ch));

        ch->s = sp;
        ch->refusals = minicc_throttle_create(pchild, threaded);
        ch->failures = minicc_throttle_create(pchild, threaded);
        if (threaded) {
            apr_status_t rv = minicc_mutex_create(&ch->lock, pchild);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_ERR, rv, sp, APLOGNO(30212)
                             "creating the lock of this child's database "
                             "state failed; its requests keep no "
                             "connection, and each waits for a hung "
                             "database");
                continue;
            }
            ch->keeps = 1;
            /* before mod_dbd's pool (in a subpool of pchild) goes:
             * apr_reslist must have every connection back when it is
             * destroyed */
            apr_pool_pre_cleanup_register(pchild, ch, give_back_kept);
        }
        minicc_child_set(pchild, sp, MINICC_CHILD_DB, ch);
    }
}

static db_child_t *child_of(request_rec *r)
{
    return minicc_child_get(r->server, MINICC_CHILD_DB);
}

/* ---- a database that hangs ---- */

/* What a statement runs for: a webhook request, or the spool's replay,
 * which has no request and logs against the server. */
typedef struct {
    server_rec *s;
    request_rec *r;
    apr_pool_t *pool;
    const minicc_srv_conf *sc;
    ap_dbd_t *dbd;
    int not_counted;            /* its statements are not group commit's
                                 * (minicc_batch_rows) */
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

/* An outage makes a child's requests fail alike, each with a line: those
 * (AH30201, AH30205 but for a row refused for good, AH30206, AH30209,
 * AH30210) go out at most once a second a child, each saying how many were
 * held back before it.  NULL: hold this one back.  Without a request (the
 * spool's replay) every line goes out. */
static const char *outage_more(request_rec *r)
{
    db_child_t *ch = r ? child_of(r) : NULL;
    int held = 0;

    if (!ch) {
        return "";
    }
    if (!minicc_throttle_pass(ch->failures, apr_time_now(),
                              apr_time_from_sec(1), &held)) {
        return NULL;
    }
    return held ? apr_psprintf(r->pool, " (and %d more such failures in "
                               "this child since the last line)", held) : "";
}

/* Whether a wait that began at start and failed ran into MiniCCDBTimeout:
 * the server hangs.  One that gave up at once (refused, reset, a restart)
 * does not: it is worth asking again. */
static int ran_into_timeout(const minicc_srv_conf *sc, apr_time_t start)
{
    return sc->db_timeout > 0
        && apr_time_now() - start >= apr_time_from_sec(sc->db_timeout)
                                     * 9 / 10;
}

/* A query ran into MiniCCDBTimeout. */
static void note_hang(request_rec *r)
{
    db_child_t *ch = r ? child_of(r) : NULL;

    if (ch) {
        minicc_lock(ch->lock);
        ch->hung = apr_time_now();
        minicc_unlock(ch->lock);
    }
}

/*
 * A query of this request ran into MiniCCDBTimeout (a ping or a connection
 * that does means the server hangs: note_hang at once).  Behind a
 * load balancer that may be one node that died or hangs while the others
 * answer (or a Galera cluster that stalls its writes for the 2 s it takes
 * to drop a dead node): so when that was the request's first wait for the
 * database, the work is tried once more on a fresh connection (the load
 * balancer sends it to a live node) before the child stops asking.  Only
 * the first wait: a webhook that already waited behind others would wait
 * too long for Twilio (15 s).  The second time, the server hangs: the
 * child rests.
 */
#define FRESH_SLACK apr_time_from_sec(1)
#define TIMEOUTS_KEY "minicc-timeouts"

static int *timeouts_of(request_rec *r)
{
    int *n = NULL;

    apr_pool_userdata_get((void **)&n, TIMEOUTS_KEY, r->pool);
    if (!n) {
        n = apr_pcalloc(r->pool, sizeof(*n));
        apr_pool_userdata_setn(n, TIMEOUTS_KEY, NULL, r->pool);
    }
    return n;
}

/* Whether the timeout was the request's first wait for the database. */
static int fresh_in_time(request_rec *r, const minicc_srv_conf *sc)
{
    return apr_time_now() - r->request_time
           <= apr_time_from_sec(sc->db_timeout) + FRESH_SLACK;
}

static void timed_out(request_rec *r, const minicc_srv_conf *sc)
{
    int *n;

    if (!r) {
        return;
    }
    n = timeouts_of(r);
    if (++*n > 1 || !fresh_in_time(r, sc)) {
        note_hang(r);
    }
}

/* After work that failed: whether this request met its first timeout and
 * may try a fresh connection (once). */
static int try_fresh(request_rec *r)
{
    int *n = timeouts_of(r);

    if (*n == 1) {
        *n = 2;     /* its next timeout means the server hangs */
        return 1;
    }
    return 0;
}

/* When a query of this child last went unanswered (0: none since one was
 * answered): a change says a hang was met in between. */
static apr_time_t hang_time(request_rec *r)
{
    db_child_t *ch = child_of(r);
    apr_time_t at;

    if (!ch) {
        return 0;
    }
    minicc_lock(ch->lock);
    at = ch->hung;
    minicc_unlock(ch->lock);
    return at;
}

/* The request that asks past a hang, until it ends. */
typedef struct {
    db_child_t *ch;
    apr_time_t past;
} asker_t;

#define ASKER_KEY "minicc-asker"

/* The asking request ended: unless its own queries went unanswered too,
 * the server answered, or refused at once; everyone may ask again. */
static apr_status_t done_asking(void *data)
{
    asker_t *a = data;

    minicc_lock(a->ch->lock);
    a->ch->asking = 0;
    if (a->ch->hung == a->past) {
        a->ch->hung = 0;
    }
    minicc_unlock(a->ch->lock);
    return APR_SUCCESS;
}

/* Whether this request may ask the database: after a query of this child
 * went unanswered, none may for HUNG_REST, then one at a time until one is
 * answered (a refusal logged). */
static int may_ask(request_rec *r, const char *doing)
{
    db_child_t *ch = child_of(r);
    asker_t *a = NULL;
    apr_time_t at, since;

    if (!ch) {
        return 1;
    }
    minicc_lock(ch->lock);
    if (!(at = ch->hung)) {
        minicc_unlock(ch->lock);
        return 1;
    }
    apr_pool_userdata_get((void **)&a, ASKER_KEY, r->pool);
    if (a && a->past == at) {
        /* this request is the one asking */
        minicc_unlock(ch->lock);
        return 1;
    }
    since = apr_time_now() - at;
    if (ch->asking || since < HUNG_REST) {
        int held;

        minicc_unlock(ch->lock);
        if (minicc_throttle_pass(ch->refusals, apr_time_now(),
                                 apr_time_from_sec(1), &held)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30211)
                          "%s: the database was not asked: it left a query "
                          "of this child unanswered %" APR_TIME_T_FMT " ms "
                          "ago (MiniCCDBTimeout); one request asks it again "
                          "%" APR_TIME_T_FMT " s after that, the others "
                          "once it answers (%d more requests not asked "
                          "since the last such line)", doing,
                          apr_time_as_msec(since), apr_time_sec(HUNG_REST),
                          held);
        }
        return 0;
    }
    ch->asking = 1;
    minicc_unlock(ch->lock);
    a = apr_palloc(r->pool, sizeof(*a));
    a->ch = ch;
    a->past = at;
    apr_pool_userdata_setn(a, ASKER_KEY, NULL, r->pool);
    apr_pool_cleanup_register(r->pool, a, done_asking,
                              apr_pool_cleanup_null);
    return 1;
}

/* ---- connections and their sessions ---- */

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
        /* to_keep: one the child keeps beyond this request */
        dbd = to_keep ? sc->db->open(r->pool, r->server) : sc->db->acquire(r);
    }
    if (!to_keep) {
        /* remembered: a request holding a connection works on it rather
         * than wait for, or take, another */
        ap_set_module_config(r->request_config, &minicc_module, dbd);
    }
    if (!dbd && ran_into_timeout(sc, start)) {
        const char *more = outage_more(r);

        if (more) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30209)
                          "%s: the database did not answer mod_dbd within "
                          "%d s (MiniCCDBTimeout; see mod_dbd's message "
                          "above): not asked again%s", doing, sc->db_timeout,
                          more);
        }
        /* connecting hung: a fresh connection would hang as long */
        note_hang(r);
    }
    else if (!dbd) {
        const char *more = outage_more(r);

        if (more) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30201)
                          "%s: no database connection from mod_dbd after %d "
                          "attempts (see its messages above: DBDParams, or "
                          "is the server down?)%s", doing, attempt, more);
        }
    }
    if (!dbd) {
        minicc_metrics_add(sc->metrics, MINICC_M_DB_ERRORS, 1);
    }
    return dbd;
}

int minicc_db_holds_connection(request_rec *r)
{
    return ap_get_module_config(r->request_config, &minicc_module) != NULL;
}

/* What a connection remembers, in its pool's userdata. */
typedef struct {
    dbd_cfg_t *cfg;             /* label -> SQL of every statement */
    unsigned long session;      /* the session its statements belong to */
    apr_pool_t *stmts;          /* the statements we prepared again; NULL
                                 * while they are mod_dbd's */
} dbd_session_t;

#define CONN_STATE_KEY "minicc-dbd-session"

/* A pre-cleanup: it runs before the statements of our own subpool and
 * mod_dbd's (whose cleanups were registered before this one) are
 * closed.  A handle on its way out first closes each of its statements,
 * and a dead handle would reconnect to send each close -- a minute in
 * all, measured, when the server hangs. */
static apr_status_t never_reconnect_when_closing(void *data)
{
    ap_dbd_t *dbd = data;

    minicc_dbnative_never_reconnect(dbd->driver, dbd->handle);
    return APR_SUCCESS;
}

/* mod_dbd's post_connect hook: a new connection, its statements just
 * prepared by mod_dbd.  Its waits are bounded before anyone runs a
 * statement on it. */
static apr_status_t remember_connection(apr_pool_t *pool, dbd_cfg_t *cfg,
                                        ap_dbd_t *dbd)
{
    dbd_session_t *st = apr_palloc(dbd->pool, sizeof(*st));

    (void)pool;
    minicc_dbnative_bound_waits(dbd->driver, dbd->handle,
                                minicc_srv_conf_of(cfg->server)->db_timeout);
    apr_pool_pre_cleanup_register(dbd->pool, dbd,
                                  never_reconnect_when_closing);
    st->cfg = cfg;
    st->session = minicc_dbnative_session(dbd->driver, dbd->handle);
    st->stmts = NULL;
    apr_pool_userdata_setn(st, CONN_STATE_KEY, NULL, dbd->pool);
    return OK;
}

void minicc_db_register_hooks(void)
{
    APR_OPTIONAL_HOOK(dbd, post_connect, remember_connection, NULL, NULL,
                      APR_HOOK_MIDDLE);
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
    else if (minicc_dbnative_stale_freeable(dbd->driver, dbd->handle,
                                            dbd->prepared, c->pool)) {
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
           "%d statements prepared again%s", doing,
           minicc_dbnative_session(dbd->driver, dbd->handle), st->session,
           n, stale));
    st->session = minicc_dbnative_session(dbd->driver, dbd->handle);
    return 1;
}

/* Before a connection is used: statements of a session that is gone are
 * prepared again.  Zero when that failed (logged). */
static int check_session(const db_ctx_t *c, const char *doing)
{
    dbd_session_t *st = NULL;

    apr_pool_userdata_get((void **)&st, CONN_STATE_KEY, c->dbd->pool);
    if (!st || (st->session == minicc_dbnative_session(c->dbd->driver,
                                                       c->dbd->handle)
                && !minicc_dbnative_statement_lost(c->dbd->driver,
                                                   c->dbd->handle,
                       apr_hash_get(c->dbd->prepared, minicc_sql_label(
                                    MINICC_STMT_CALLERS),
                                    APR_HASH_KEY_STRING)))) {
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

static void ctx_init(db_ctx_t *c, request_rec *r, ap_dbd_t *dbd)
{
    c->s = r->server;
    c->r = r;
    c->pool = r->pool;
    c->sc = minicc_srv_conf_of(r->server);
    c->dbd = dbd;
    c->not_counted = 0;
}

/* The request's own connection, its statements current; zero when there
 * is none (logged). */
static int open_ctx(db_ctx_t *c, request_rec *r, const char *doing)
{
    ctx_init(c, r, NULL);
    return may_ask(r, doing)
        && (c->dbd = acquire(r, c->sc, doing, 0)) && check_session(c, doing);
}

int minicc_db_prepare_request(request_rec *r)
{
    db_ctx_t c;

    return open_ctx(&c, r, "taking a database connection before "
                    "authentication");
}

/* A kept connection that sat idle is pinged, as mod_dbd does when it
 * hands one out, and its statements made current: zero when it is
 * unusable. */
static int recheck(db_ctx_t *c, const char *doing)
{
    apr_time_t start = apr_time_now();

    if (apr_dbd_check_conn(c->dbd->driver, c->pool, c->dbd->handle)
        == APR_SUCCESS) {
        return check_session(c, doing);
    }
    if (ran_into_timeout(c->sc, start)) {
        const char *more = outage_more(c->r);

        if (more) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, c->r, APLOGNO(30210)
                          "%s: the database did not answer a ping within %d "
                          "s (MiniCCDBTimeout): not asked again%s", doing,
                          c->sc->db_timeout, more);
        }
        minicc_dbnative_never_reconnect(c->dbd->driver, c->dbd->handle);
        note_hang(c->r);
    }
    return 0;
}

/* A connection that is not to be kept goes back to mod_dbd. */
static void give_back(db_child_t *ch, const db_ctx_t *c, int kept)
{
    if (kept) {
        minicc_lock(ch->lock);
        ch->nkept--;
        minicc_unlock(ch->lock);
    }
    c->sc->db->close(c->s, c->dbd);
}

/* Into c: unless fresh is asked for, an idle kept connection (*reused
 * set; pinged if it sat idle for more than KEPT_FRESH), else a new one
 * from mod_dbd, which *kept says whether to keep.  Zero when there is
 * none, or when a hang says not to ask the database now (logged).  hung:
 * the hang time when the caller began. */
static int take_kept(db_child_t *ch, db_ctx_t *c, const char *doing,
                     int fresh, apr_time_t hung, int *kept, int *reused)
{
    request_rec *r = c->r;
    kept_conn_t conn = { NULL, 0 };
    dbd_session_t *st = NULL;
    int keep;

    *reused = 0;
    if (!may_ask(r, doing)) {
        return 0;
    }
    minicc_lock(ch->lock);
    if (ch->nidle && !fresh) {
        conn = ch->idle[--ch->nidle];
    }
    minicc_unlock(ch->lock);
    if ((c->dbd = conn.dbd)) {
        if (r->request_time - conn.used < KEPT_FRESH || recheck(c, doing)) {
            *kept = *reused = 1;
            return 1;
        }
        give_back(ch, c, 1);
        if (hang_time(r) != hung) {
            /* the ping went unanswered: another connection would be too */
            return 0;
        }
    }
    if (!(c->dbd = acquire(r, c->sc, doing, 1))) {
        return 0;
    }
    if (!check_session(c, doing)) {
        c->sc->db->close(r->server, c->dbd);
        return 0;
    }
    /* DBDKeep of them, and always one fewer than DBDMax */
    apr_pool_userdata_get((void **)&st, CONN_STATE_KEY, c->dbd->pool);
    keep = st ? (st->cfg->nkeep < st->cfg->nmax ? st->cfg->nkeep
                                                : st->cfg->nmax - 1) : 0;
    minicc_lock(ch->lock);
    *kept = ch->nkept < KEPT_MAX && ch->nkept < keep;
    ch->nkept += *kept;
    minicc_unlock(ch->lock);
    return 1;
}

/* After use: a kept connection that worked waits for the next request;
 * any other goes back to mod_dbd. */
static void release_kept(db_child_t *ch, const db_ctx_t *c, int kept,
                         int worked)
{
    if (!kept || !worked) {
        give_back(ch, c, kept);
        return;
    }
    minicc_lock(ch->lock);
    ch->idle[ch->nidle].dbd = c->dbd;
    ch->idle[ch->nidle].used = c->r->request_time;
    ch->nidle++;
    minicc_unlock(ch->lock);
}

/* Work on a connection: 1 when it worked; 0 when it failed for a reason
 * a fresh connection may cure. */
typedef int (*work_fn)(const db_ctx_t *c, void *baton);

/* fn once more on a connection of its own, given back after: the first
 * timeout of a request met on the request's connection. */
static int on_fresh(request_rec *r, const char *doing, work_fn fn,
                    void *baton)
{
    db_ctx_t c;
    int worked;

    ctx_init(&c, r, NULL);
    if (!may_ask(r, doing) || !(c.dbd = acquire(r, c.sc, doing, 1))) {
        return -1;
    }
    worked = check_session(&c, doing) ? fn(&c, baton) : -1;
    c.sc->db->close(r->server, c.dbd);
    return worked;
}

/* Runs fn on the request's own connection, or on one the child keeps
 * (and, when a kept one did not work, once more on a fresh one), or on
 * one taken for this request (prefork); after the request's first
 * timeout, once more on a fresh connection (timed_out).  fn's answer, or
 * -1 when there was no connection (logged). */
static int with_connection(request_rec *r, const char *doing, work_fn fn,
                           void *baton)
{
    db_child_t *ch = child_of(r);
    db_ctx_t c;
    int attempt, kept = 0, reused = 0, worked = -1;

    if (minicc_db_holds_connection(r)) {
        /* taken before authentication, past may_ask then: work on it */
        ctx_init(&c, r, ap_get_module_config(r->request_config,
                                             &minicc_module));
        worked = check_session(&c, doing) ? fn(&c, baton) : -1;
    }
    else if (!ch || !ch->keeps) {
        worked = open_ctx(&c, r, doing) ? fn(&c, baton) : -1;
    }
    else {
        ctx_init(&c, r, NULL);
        for (attempt = 0; attempt < 2; attempt++) {
            apr_time_t hung = hang_time(r);
            int fresh = attempt > 0;

            if (!take_kept(ch, &c, doing, fresh, hung, &kept, &reused)) {
                worked = -1;
            }
            else {
                worked = fn(&c, baton);
                release_kept(ch, &c, kept, worked);
            }
            if (worked > 0 || attempt) {
                break;
            }
            /* a fresh connection: after a kept one failed (unless the
             * server hangs: then it is no cure), or after this request's
             * first timeout */
            if (!try_fresh(r) && (worked < 0 || !reused
                                  || hang_time(r) != hung)) {
                break;
            }
        }
        return worked;
    }
    if (worked <= 0 && try_fresh(r)) {
        worked = on_fresh(r, doing, fn, baton);
    }
    return worked;
}

/* ---- statements ---- */

/* A deadlock's victim was rolled back whole and only has to run again;
 * where summary rows of a busy hour are shared, the same statement can be
 * chosen more than once in a row. */
#define DEADLOCK_ATTEMPTS 4

/* Runs statement id with args, retrying once on a lost session or a lock
 * wait timeout, and up to DEADLOCK_ATTEMPTS - 1 times on a deadlock; 0, or
 * the MySQL error number (-1: no statement).  For a SELECT (res != NULL)
 * the caller reads every row. */
static int run(const db_ctx_t *c, int id, int nargs, const char **args,
               apr_dbd_results_t **res, int *affected, const char *doing)
{
    ap_dbd_t *dbd = c->dbd;
    const char *label = minicc_sql_label(id);
    apr_dbd_prepared_t *stmt = apr_hash_get(dbd->prepared, label,
                                            APR_HASH_KEY_STRING);
    int attempt, err = -1, nrows;
    const char *more;

    if (!stmt) {
        db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30202)
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
        if (session_lost(err) && ran_into_timeout(c->sc, start)) {
            const char *more = outage_more(c->r);

            /* a reconnect would only wait as long again */
            if (more) {
                db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30206)
                       "%s: the database did not answer within %d s "
                       "(MiniCCDBTimeout): error %d: %s; not asked again%s",
                       doing, c->sc->db_timeout, err,
                       apr_dbd_error(dbd->driver, dbd->handle, err), more));
            }
            minicc_dbnative_never_reconnect(dbd->driver, dbd->handle);
            timed_out(c->r, c->sc);
            minicc_metrics_add(c->sc->metrics, MINICC_M_DB_ERRORS, 1);
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
            stmt = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
        }
    }
    /* apr_dbd_error is often "" for statement errors: the number says it.
     * A row refused for good is always told; an outage once a second. */
    minicc_metrics_add(c->sc->metrics, MINICC_M_DB_ERRORS, 1);
    more = minicc_db_error_is_permanent(err) ? "" : outage_more(c->r);
    if (more) {
        db_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30205)
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

static int each_row(const db_ctx_t *c, void *baton)
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
    return with_connection(r, doing, each_row, &e) > 0 ? 0 : -1;
}

typedef struct {
    const minicc_db_steps_t *s;
    const char **row;           /* NULL: no row */
} steps_t;

static int run_steps(const db_ctx_t *c, void *baton)
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
    rc = with_connection(r, s->doing, run_steps, &st) > 0 ? 0 : -1;
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

apr_array_header_t *minicc_db_select(request_rec *r, int id, int nargs,
                                     const char **args, int ncols)
{
    db_ctx_t c;
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

    if (!open_ctx(&c, r, doing)) {
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
static int write_chunk(const db_ctx_t *c, const minicc_row_t *const *rows,
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
static int write_rows(const db_ctx_t *c, void *baton)
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

    if (with_connection(r, n == 1 ? writing(r->pool, rows[0])
                        : apr_psprintf(r->pool, "recording %d %s rows", n,
                                       minicc_table(rows[0]->table)->name),
                        write_rows, &w) < 0) {
        for (i = 0; i < n; i++) {
            errs[i] = -1;
        }
    }
}

/* ---- without a request: the spool's replay ---- */

ap_dbd_t *minicc_db_open(apr_pool_t *p, server_rec *s)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    ap_dbd_t *dbd = sc->db->open(p, s);

    /* a connection of the pool that died in the meantime is dropped by
     * mod_dbd, and the next one is fresh */
    return dbd ? dbd : sc->db->open(p, s);
}

void minicc_db_close(server_rec *s, ap_dbd_t *dbd)
{
    minicc_srv_conf_of(s)->db->close(s, dbd);
}

/* The context of work without a request, on a connection of s's pool. */
static void ctx_on(db_ctx_t *c, server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                   int not_counted)
{
    c->s = s;
    c->r = NULL;
    c->pool = p;
    c->sc = minicc_srv_conf_of(s);
    c->dbd = dbd;
    c->not_counted = not_counted;
}

int minicc_db_write_rows_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                            const minicc_row_t *const *rows, int n,
                            const char *why)
{
    db_ctx_t c;
    int i, err = 0;

    ctx_on(&c, s, p, dbd, 1);
    if (!check_session(&c, why)) {
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
    db_ctx_t c;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int err;

    ctx_on(&c, s, p, dbd, 1);
    if (!check_session(&c, why)) {
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
    db_ctx_t c;
    const char *doing;

    ctx_on(&c, s, p, dbd, 0);
    doing = apr_pstrcat(p, why, ": ", writing(p, row), NULL);
    if (!check_session(&c, doing)) {
        return -1;
    }
    return run(&c, row->table, row->nvalues, row->values, NULL, NULL,
               doing);
}
