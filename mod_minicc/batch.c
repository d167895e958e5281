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
 * The queue is the child's only shared state besides the spool's; it is
 * made in child_init and lives as long as the child.
 */
#define MINICC_WITH_HTTPD
#include "mod_minicc.h"

#include <ap_mpm.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>

#if APR_HAS_THREADS

typedef struct batch_item {
    const minicc_row_t *row;
    struct batch_item *next;
    int taken;                  /* a writer has it */
    int done;                   /* its statement returned: err is set */
    int err;
} batch_item_t;

struct minicc_batch {
    apr_thread_mutex_t *lock;
    struct {
        apr_thread_cond_t *wake;    /* a statement of this table returned */
        batch_item_t *head, *tail;  /* rows waiting for a writer */
        int queued;
        int writing;                /* statements in flight */
    } table[MINICC_TABLE_COUNT];
};

minicc_batch_t *minicc_batch_create(apr_pool_t *pchild, server_rec *s)
{
    minicc_batch_t *b;
    apr_status_t rv;
    int threaded = 0, i;

    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS
        || threaded == AP_MPMQ_NOT_SUPPORTED) {
        return NULL;
    }
    b = apr_pcalloc(pchild, sizeof(*b));
    rv = apr_thread_mutex_create(&b->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    for (i = 0; i < MINICC_TABLE_COUNT && rv == APR_SUCCESS; i++) {
        rv = apr_thread_cond_create(&b->table[i].wake, pchild);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(30701)
                     "creating the row queue of this child failed; each "
                     "webhook writes its row alone");
        return NULL;
    }
    return b;
}

/* Takes me and up to MINICC_BATCH_MAX - 1 rows from the head of my
 * table's queue, oldest first. */
static int take(minicc_batch_t *b, batch_item_t *me, batch_item_t **out)
{
    minicc_table_e t = me->row->table;
    batch_item_t **link = &b->table[t].head, *prev = NULL;
    int n = 0;

    out[n++] = me;
    while (*link) {
        batch_item_t *it = *link;

        if (it == me || n < MINICC_BATCH_MAX) {
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
    return n;
}

int minicc_batch_write(request_rec *r, minicc_batch_t *b,
                       const minicc_row_t *row)
{
    minicc_table_e t = row->table;
    batch_item_t me = { row, NULL, 0, 0, 0 };
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

        if (me.taken || (b->table[t].writing
                         && b->table[t].queued < MINICC_BATCH_MAX)) {
            apr_thread_cond_wait(b->table[t].wake, b->lock);
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
                          minicc_table_name(t), n);
        }

        apr_thread_mutex_lock(b->lock);
        for (i = 0; i < n; i++) {
            items[i]->err = errs[i];
            items[i]->done = 1;
        }
        b->table[t].writing--;
        apr_thread_cond_broadcast(b->table[t].wake);
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
