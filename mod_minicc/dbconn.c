/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The database's connections (under db.c, which runs statements on them):
 * mod_dbd's pooled connections, the ones a child keeps, the memory of a
 * database that hangs, and the sessions whose statements are prepared
 * again.  It knows no statement but by mod_dbd's label and no table; what
 * it needs from below apr_dbd is dbnative.c's.
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
#include "minicc_child.h"
#include "minicc_config.h"
#include "minicc_dbconn.h"
#include "minicc_dbnative.h"
#include "minicc_lock.h"
#include "minicc_sql.h"
#include "minicc_metrics.h"
#include "minicc_throttle.h"

#include <apr_thread_mutex.h>
#include <http_protocol.h>

/* ---- configuration ---- */

/* mod_dbd's functions, found once at check_config. */
struct minicc_dbconn_conf {
    ap_dbd_t *(*acquire)(request_rec *);
    ap_dbd_t *(*open)(apr_pool_t *, server_rec *);
    void (*close)(server_rec *, ap_dbd_t *);
};

const char *minicc_dbconn_configure(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    struct minicc_dbconn_conf *dc = apr_palloc(pconf, sizeof(*dc));
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

void minicc_dbconn_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threaded = minicc_child_threaded();
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

void minicc_dbconn_log(const minicc_dbconn_ctx_t *c, int level, const char *msg)
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
const char *minicc_dbconn_outage_more(request_rec *r)
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
int minicc_dbconn_ran_into_timeout(const minicc_srv_conf *sc, apr_time_t start)
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

void minicc_dbconn_timed_out(request_rec *r, const minicc_srv_conf *sc)
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
    if (!dbd && minicc_dbconn_ran_into_timeout(sc, start)) {
        const char *more = minicc_dbconn_outage_more(r);

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
        const char *more = minicc_dbconn_outage_more(r);

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

int minicc_dbconn_holds(request_rec *r)
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

void minicc_dbconn_register_hooks(void)
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
static int prepare_all_again(const minicc_dbconn_ctx_t *c, dbd_session_t *st,
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
        minicc_dbconn_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30208)
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
            minicc_dbconn_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30203)
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
    minicc_dbconn_log(c, APLOG_INFO, apr_psprintf(c->pool, APLOGNO(30204)
           "%s: the database session was renewed (thread %lu, was %lu); "
           "%d statements prepared again%s", doing,
           minicc_dbnative_session(dbd->driver, dbd->handle), st->session,
           n, stale));
    st->session = minicc_dbnative_session(dbd->driver, dbd->handle);
    return 1;
}

/* Before a connection is used: statements of a session that is gone are
 * prepared again.  Zero when that failed (logged). */
int minicc_dbconn_check_session(const minicc_dbconn_ctx_t *c, const char *doing)
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
int minicc_dbconn_renew_session(const minicc_dbconn_ctx_t *c, const char *doing)
{
    dbd_session_t *st = NULL;

    apr_dbd_check_conn(c->dbd->driver, c->pool, c->dbd->handle);
    apr_pool_userdata_get((void **)&st, CONN_STATE_KEY, c->dbd->pool);
    if (!st) {
        minicc_dbconn_log(c, APLOG_ERR, apr_psprintf(c->pool, APLOGNO(30207)
               "%s: the database session was lost, and this connection "
               "was not opened by a mod_dbd with the post_connect hook: "
               "its statements cannot be prepared again", doing));
        return 0;
    }
    return prepare_all_again(c, st, doing);
}

static void ctx_init(minicc_dbconn_ctx_t *c, request_rec *r, ap_dbd_t *dbd)
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
int minicc_dbconn_open_ctx(minicc_dbconn_ctx_t *c, request_rec *r, const char *doing)
{
    ctx_init(c, r, NULL);
    return may_ask(r, doing)
        && (c->dbd = acquire(r, c->sc, doing, 0)) && minicc_dbconn_check_session(c, doing);
}

int minicc_dbconn_prepare_request(request_rec *r)
{
    minicc_dbconn_ctx_t c;

    return minicc_dbconn_open_ctx(&c, r, "taking a database connection before "
                    "authentication");
}

/* A kept connection that sat idle is pinged, as mod_dbd does when it
 * hands one out, and its statements made current: zero when it is
 * unusable. */
static int recheck(minicc_dbconn_ctx_t *c, const char *doing)
{
    apr_time_t start = apr_time_now();

    if (apr_dbd_check_conn(c->dbd->driver, c->pool, c->dbd->handle)
        == APR_SUCCESS) {
        return minicc_dbconn_check_session(c, doing);
    }
    if (minicc_dbconn_ran_into_timeout(c->sc, start)) {
        const char *more = minicc_dbconn_outage_more(c->r);

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
static void give_back(db_child_t *ch, const minicc_dbconn_ctx_t *c, int kept)
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
static int take_kept(db_child_t *ch, minicc_dbconn_ctx_t *c, const char *doing,
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
    if (!minicc_dbconn_check_session(c, doing)) {
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
static void release_kept(db_child_t *ch, const minicc_dbconn_ctx_t *c, int kept,
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

/* fn once more on a connection of its own, given back after: the first
 * timeout of a request met on the request's connection. */
static int on_fresh(request_rec *r, const char *doing, minicc_dbconn_work_fn fn,
                    void *baton)
{
    minicc_dbconn_ctx_t c;
    int worked;

    ctx_init(&c, r, NULL);
    if (!may_ask(r, doing) || !(c.dbd = acquire(r, c.sc, doing, 1))) {
        return -1;
    }
    worked = minicc_dbconn_check_session(&c, doing) ? fn(&c, baton) : -1;
    c.sc->db->close(r->server, c.dbd);
    return worked;
}

/* Runs fn on the request's own connection, or on one the child keeps
 * (and, when a kept one did not work, once more on a fresh one), or on
 * one taken for this request (prefork); after the request's first
 * timeout, once more on a fresh connection (minicc_dbconn_timed_out).  fn's answer, or
 * -1 when there was no connection (logged). */
int minicc_dbconn_with(request_rec *r, const char *doing, minicc_dbconn_work_fn fn,
                           void *baton)
{
    db_child_t *ch = child_of(r);
    minicc_dbconn_ctx_t c;
    int attempt, kept = 0, reused = 0, worked = -1;

    if (minicc_dbconn_holds(r)) {
        /* taken before authentication, past may_ask then: work on it */
        ctx_init(&c, r, ap_get_module_config(r->request_config,
                                             &minicc_module));
        worked = minicc_dbconn_check_session(&c, doing) ? fn(&c, baton) : -1;
    }
    else if (!ch || !ch->keeps) {
        worked = minicc_dbconn_open_ctx(&c, r, doing) ? fn(&c, baton) : -1;
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

/* ---- without a request: the spool's replay ---- */

ap_dbd_t *minicc_dbconn_open(apr_pool_t *p, server_rec *s)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    ap_dbd_t *dbd = sc->db->open(p, s);

    /* a connection of the pool that died in the meantime is dropped by
     * mod_dbd, and the next one is fresh */
    return dbd ? dbd : sc->db->open(p, s);
}

void minicc_dbconn_close(server_rec *s, ap_dbd_t *dbd)
{
    minicc_srv_conf_of(s)->db->close(s, dbd);
}

/* The context of work without a request, on a connection of s's pool. */
void minicc_dbconn_ctx_on(minicc_dbconn_ctx_t *c, server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                   int not_counted)
{
    c->s = s;
    c->r = NULL;
    c->pool = p;
    c->sc = minicc_srv_conf_of(s);
    c->dbd = dbd;
    c->not_counted = not_counted;
}
