/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Group commit.  Under load, many threads of a child record rows at the
 * same moment, and each row on its own costs a ping of the pooled
 * connection (mod_dbd checks every connection it hands out) and a
 * statement round trip.  Here the rows of a child queue per table: a
 * thread that finds no statement of its table in flight -- or a full
 * batch waiting -- takes its own row and up to MINICC_BATCH_MAX - 1 queued
 * ones and writes them in one multi-row upsert on its own request's
 * connection, while the others sleep.  Every thread returns only when the
 * statement holding its row has returned, so an answer to Twilio still
 * means the row is committed (or spooled).  A thread alone writes at once,
 * as it would without the queue.
 *
 * The writers -- and the operator lookups of first contacts -- keep their
 * connections between requests, as many as DBDKeep and always one fewer
 * than DBDMax (so that mod_authn_dbd still gets one): a connection used
 * within the last second is not pinged again, one idle for longer is, as
 * mod_dbd would.  A kept connection that fails is given back and the
 * statement is tried once more on a fresh one, so that a database restart
 * costs no row and no caller.
 *
 * A request that already holds a connection (mod_authn_dbd's, taken
 * before authentication) never waits for a writer: it writes at once, on
 * that connection, taking the queued rows along; and a writer without
 * one never takes its row.  Otherwise threads asleep on the queue could
 * hold every connection of the pool while their writer waits for one.
 *
 * A writer asks db.c whether it may ask the database at all: after a
 * query of this child went unanswered, it may not for a while, and its
 * rows go to the spool.
 *
 * The queue is made in child_init and lives as long as the child.
 */
#define MINICC_WITH_HTTPD
#include "mod_minicc.h"

#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>

#if APR_HAS_THREADS

typedef struct batch_item {
    const minicc_row_t *row;
    struct batch_item *next;
    int taken;                  /* a writer has it */
    int has_connection;         /* its request holds a connection */
    long order;                 /* minicc_row_order of its row */
    int done;                   /* its statement returned: err is set */
    int err;
    apr_thread_cond_t *wake;    /* its thread sleeps on it (made when it
                                 * first has to) */
} batch_item_t;

#define KEPT_MAX 64
#define BATCH_FRESH apr_time_from_sec(1)

typedef struct {
    ap_dbd_t *dbd;
    apr_time_t used;            /* its last statement */
} kept_conn_t;

struct minicc_batch {
    server_rec *s;
    apr_thread_mutex_t *lock;
    kept_conn_t idle[KEPT_MAX];     /* kept connections not in use */
    int nidle;
    int nkept;                      /* idle or in use by a writer */
    struct {
        batch_item_t *head, *tail;  /* rows waiting for a writer */
        int queued;
        int writing;                /* statements in flight */
    } table[MINICC_TABLE_COUNT];
};

static apr_status_t give_back_kept(void *data)
{
    minicc_batch_t *b = data;

    while (b->nidle) {
        minicc_db_close(b->s, b->idle[--b->nidle].dbd);
    }
    b->nkept = 0;
    return APR_SUCCESS;
}

minicc_batch_t *minicc_batch_create(apr_pool_t *pchild, server_rec *s)
{
    minicc_batch_t *b;
    apr_status_t rv;

    b = apr_pcalloc(pchild, sizeof(*b));
    rv = apr_thread_mutex_create(&b->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(30701)
                     "creating the row queue of this child failed; each "
                     "webhook writes its row alone");
        return NULL;
    }
    b->s = s;
    /* before mod_dbd's pool (in a subpool of pchild) goes: apr_reslist
     * must have every connection back when it is destroyed */
    apr_pool_pre_cleanup_register(pchild, b, give_back_kept);
    return b;
}

/* Takes me and up to MINICC_BATCH_MAX - 1 rows from the head of my
 * table's queue, oldest first (those of requests holding a connection
 * only when I hold one too). */
static int take(minicc_batch_t *b, batch_item_t *me, batch_item_t **out)
{
    minicc_table_e t = me->row->table;
    batch_item_t **link = &b->table[t].head, *prev = NULL;
    int n = 0, i;

    out[n++] = me;
    while (*link) {
        batch_item_t *it = *link;

        if (it == me || (n < MINICC_BATCH_MAX
                         && (me->has_connection || !it->has_connection))) {
            *link = it->next;
            it->taken = 1;
            b->table[t].queued--;
            if (it != me) {
                out[n++] = it;
            }
            continue;
        }
        prev = it;
        link = &it->next;
    }
    b->table[t].tail = prev;
    /* in the order that keeps concurrent statements free of deadlocks */
    for (i = 1; i < n; i++) {
        batch_item_t *it = out[i];
        int j = i;

        for (; j > 0 && out[j - 1]->order > it->order; j--) {
            out[j] = out[j - 1];
        }
        out[j] = it;
    }
    return n;
}

/* A connection that is not to be kept goes back to mod_dbd. */
static void give_back(minicc_batch_t *b, ap_dbd_t *dbd, int kept)
{
    if (kept) {
        apr_thread_mutex_lock(b->lock);
        b->nkept--;
        apr_thread_mutex_unlock(b->lock);
    }
    minicc_db_close(b->s, dbd);
}

/* A connection: unless fresh is asked for, an idle kept one (*reused set;
 * pinged if it sat idle for more than BATCH_FRESH), else a new one from
 * mod_dbd, which *kept says whether to keep.  NULL when there is none, or
 * when db.c says not to ask the database now (logged).  hang: the hang
 * time (minicc_db_hang_time) when the caller began. */
static ap_dbd_t *take_connection(request_rec *r, minicc_batch_t *b,
                                 const char *doing, int fresh,
                                 apr_time_t hang, int *kept, int *reused)
{
    kept_conn_t conn = { NULL, 0 };
    ap_dbd_t *dbd;

    *reused = 0;
    if (!minicc_db_may_ask(r, doing)) {
        return NULL;
    }
    apr_thread_mutex_lock(b->lock);
    if (b->nidle && !fresh) {
        conn = b->idle[--b->nidle];
    }
    apr_thread_mutex_unlock(b->lock);
    if (conn.dbd) {
        if (r->request_time - conn.used < BATCH_FRESH
            || minicc_db_recheck(r, conn.dbd, doing)) {
            *kept = *reused = 1;
            return conn.dbd;
        }
        give_back(b, conn.dbd, 1);
        if (minicc_db_hang_time(r) != hang) {
            /* the ping went unanswered: another connection would be too */
            return NULL;
        }
    }
    if (!(dbd = minicc_db_open(r, doing))) {
        return NULL;
    }
    apr_thread_mutex_lock(b->lock);
    *kept = b->nkept < KEPT_MAX && b->nkept < minicc_db_pool_keep(dbd);
    b->nkept += *kept;
    apr_thread_mutex_unlock(b->lock);
    return dbd;
}

/* After use: a kept connection that worked waits for the next request;
 * any other goes back to mod_dbd. */
static void release_connection(request_rec *r, minicc_batch_t *b,
                               ap_dbd_t *dbd, int kept, int worked)
{
    if (!kept || !worked) {
        give_back(b, dbd, kept);
        return;
    }
    apr_thread_mutex_lock(b->lock);
    b->idle[b->nidle].dbd = dbd;
    b->idle[b->nidle].used = r->request_time;
    b->nidle++;
    apr_thread_mutex_unlock(b->lock);
}

int minicc_batch_run(request_rec *r, minicc_batch_t *b, const char *doing,
                     minicc_batch_fn fn, void *baton)
{
    int attempt, kept = 0, reused = 0, worked = -1;

    for (attempt = 0; attempt < 2; attempt++) {
        apr_time_t hang = minicc_db_hang_time(r);
        ap_dbd_t *dbd = take_connection(r, b, doing, attempt, hang, &kept,
                                        &reused);

        if (!dbd) {
            worked = -1;
            break;
        }
        worked = fn(r, dbd, baton);
        release_connection(r, b, dbd, kept, worked);
        if (worked || !reused || minicc_db_hang_time(r) != hang) {
            /* a fresh connection is no cure for a server that hangs */
            break;
        }
    }
    return worked;
}

typedef struct {
    const minicc_row_t *const *rows;
    int n;
    int *errs;
} rows_baton_t;

/* Zero when a row failed for a reason other than the row itself. */
static int write_rows(request_rec *r, ap_dbd_t *dbd, void *baton)
{
    rows_baton_t *w = baton;
    int i;

    minicc_db_write_rows_on(r, dbd, w->rows, w->n, w->errs);
    for (i = 0; i < w->n; i++) {
        if (w->errs[i] && !minicc_db_error_is_permanent(w->errs[i])) {
            return 0;
        }
    }
    return 1;
}

/* The rows on the request's own connection, or on a kept one. */
static void write_batch(request_rec *r, minicc_batch_t *b, ap_dbd_t *own,
                        const minicc_row_t *const *rows, int n, int *errs)
{
    rows_baton_t w = { rows, n, errs };
    int i;

    if (own) {
        minicc_db_write_rows_on(r, own, rows, n, errs);
        return;
    }
    if (minicc_batch_run(r, b, apr_psprintf(r->pool, "recording %d %s row%s",
                                            n, minicc_table_name(
                                                rows[0]->table),
                                            n == 1 ? "" : "s"),
                         write_rows, &w) < 0) {
        for (i = 0; i < n; i++) {
            errs[i] = -1;
        }
    }
}

int minicc_batch_write(request_rec *r, minicc_batch_t *b,
                       const minicc_row_t *row)
{
    minicc_table_e t = row->table;
    ap_dbd_t *own = minicc_db_request_connection(r);
    batch_item_t me = { row, NULL, 0, own != NULL,
                        minicc_row_order(row), 0, 0, NULL };
    batch_item_t *items[MINICC_BATCH_MAX];
    const minicc_row_t *rows[MINICC_BATCH_MAX];
    int errs[MINICC_BATCH_MAX];

    apr_thread_mutex_lock(b->lock);
    if (b->table[t].tail) {
        b->table[t].tail->next = &me;
    }
    else {
        b->table[t].head = &me;
    }
    b->table[t].tail = &me;
    b->table[t].queued++;
    while (!me.done) {
        int n, i;

        if (me.taken || (!own && b->table[t].writing
                         && b->table[t].queued < MINICC_BATCH_MAX)) {
            if (me.wake || apr_thread_cond_create(&me.wake, r->pool)
                           == APR_SUCCESS) {
                apr_thread_cond_wait(me.wake, b->lock);
            }
            else {
                /* (pthread_cond_init does not fail on Linux) look again
                 * in a moment */
                me.wake = NULL;
                apr_thread_mutex_unlock(b->lock);
                apr_sleep(apr_time_from_msec(1));
                apr_thread_mutex_lock(b->lock);
            }
            continue;
        }
        n = take(b, &me, items);
        b->table[t].writing++;
        apr_thread_mutex_unlock(b->lock);

        for (i = 0; i < n; i++) {
            rows[i] = items[i]->row;
        }
        write_batch(r, b, own, rows, n, errs);
        if (n > 1) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                          "wrote %d %s rows for %d webhooks", n,
                          minicc_table_name(t), n);
        }

        /* Wake just the threads of these rows, and the first in line,
         * who may write next: the others would only wake to sleep again. */
        apr_thread_mutex_lock(b->lock);
        for (i = 0; i < n; i++) {
            items[i]->err = errs[i];
            items[i]->done = 1;
            if (items[i]->wake) {
                apr_thread_cond_signal(items[i]->wake);
            }
        }
        b->table[t].writing--;
        if (b->table[t].head && b->table[t].head->wake) {
            apr_thread_cond_signal(b->table[t].head->wake);
        }
    }
    apr_thread_mutex_unlock(b->lock);
    return me.err;
}

#else /* !APR_HAS_THREADS */

minicc_batch_t *minicc_batch_create(apr_pool_t *pchild, server_rec *s)
{
    (void)pchild;
    (void)s;
    return NULL;
}

int minicc_batch_write(request_rec *r, minicc_batch_t *b,
                       const minicc_row_t *row)
{
    int err;

    (void)b;
    minicc_db_write_rows(r, &row, 1, &err);
    return err;
}

#endif
