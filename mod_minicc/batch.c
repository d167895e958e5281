/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Group commit.  Under load, many threads of a child record rows at the
 * same moment, and each row on its own costs a statement round trip and a
 * flush of the redo log.  Here the rows of a child queue per table: a
 * thread that finds no statement of its table in flight -- or a full
 * batch waiting -- takes its own row and up to MINICC_BATCH_MAX - 1 queued
 * ones and writes them in one multi-row upsert (db.c), while the others
 * sleep.  Every thread returns only when the statement holding its row has
 * returned, so an answer to Twilio still means the row is committed (or,
 * one layer up, spooled).  A thread alone writes at once, as it would
 * without the queue.
 *
 * A request that already holds a connection (mod_authn_dbd's, taken
 * before authentication) never waits for a writer: it writes at once, on
 * that connection, taking the queued rows along; and a writer without
 * one never takes its row.  Otherwise threads asleep on the queue could
 * hold every connection of the pool while their writer waits for one.
 *
 * The queues are made in child_init and live as long as the child; under
 * prefork there is nothing to group, and a row is written alone.
 */
#include "mod_minicc_private.h"
#include "minicc_batch.h"
#include "minicc_child.h"
#include "minicc_config.h"
#include "minicc_db.h"

#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>

#if APR_HAS_THREADS

typedef struct batch_item {
    const minicc_row_t *row;
    struct batch_item *next;
    int taken;                  /* a writer has it */
    int has_connection;         /* its request holds a connection */
    int done;                   /* its statement returned: err is set */
    int err;
    apr_thread_cond_t *wake;    /* its thread sleeps on it (made when it
                                 * first has to) */
} batch_item_t;

typedef struct {
    apr_thread_mutex_t *lock;
    struct {
        batch_item_t *head, *tail;  /* rows waiting for a writer */
        int queued;
        int writing;                /* statements in flight */
    } table[MINICC_TABLE_COUNT];
} batch_t;

void minicc_batch_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *sp;

    if (!minicc_child_threaded()) {
        return;
    }
    for (sp = s; sp; sp = sp->next) {
        batch_t *b = apr_pcalloc(pchild, sizeof(*b));
        apr_status_t rv = apr_thread_mutex_create(&b->lock,
                                                  APR_THREAD_MUTEX_DEFAULT,
                                                  pchild);

        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, sp, APLOGNO(30701)
                         "creating the row queue of this child failed; each "
                         "webhook writes its row alone");
            continue;
        }
        minicc_child_set(pchild, sp, MINICC_CHILD_BATCH, b);
    }
}

static batch_t *batch_of(request_rec *r)
{
    return minicc_child_get(r->server, MINICC_CHILD_BATCH);
}

/* Takes me and up to MINICC_BATCH_MAX - 1 rows from the head of my
 * table's queue, oldest first (those of requests holding a connection
 * only when I hold one too). */
static int take(batch_t *b, batch_item_t *me, batch_item_t **out)
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

        for (; j > 0 && minicc_row_compare(out[j - 1]->row, it->row) > 0; j--) {
            out[j] = out[j - 1];
        }
        out[j] = it;
    }
    return n;
}

int minicc_batch_write(request_rec *r, const minicc_row_t *row)
{
    batch_t *b = batch_of(r);
    minicc_table_e t = row->table;
    int own = minicc_dbconn_holds(r);
    batch_item_t me = { row, NULL, 0, own, 0, 0, NULL };
    batch_item_t *items[MINICC_BATCH_MAX];
    const minicc_row_t *rows[MINICC_BATCH_MAX];
    int errs[MINICC_BATCH_MAX];

    if (!b) {
        minicc_db_write_rows(r, &row, 1, &me.err);
        return me.err;
    }
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
        minicc_db_write_rows(r, rows, n, errs);
        if (n > 1) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                          "wrote %d %s rows for %d webhooks", n,
                          minicc_table(t)->name, n);
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

void minicc_batch_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)pchild;
    (void)s;
}

int minicc_batch_write(request_rec *r, const minicc_row_t *row)
{
    int err;

    minicc_db_write_rows(r, &row, 1, &err);
    return err;
}

#endif
