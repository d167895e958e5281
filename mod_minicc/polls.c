/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The wait loop's polls, for the live view (doc/contract.txt, 9): who is
 * waiting now, in which queue, since when.  The wait loop answers from
 * memory and must stay so; so a poll only goes into the child's table of
 * the calls it saw, and a thread of the child writes that table once a
 * second (live_waiting, one row per call: the latest poll).  A write that
 * fails is dropped, not spooled: the caller's next poll brings them back,
 * and a figure of the past is of no use to a live view.
 */
#include "mod_minicc_private.h"
#include "minicc_child.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_lock.h"
#include "minicc_polls.h"
#include "minicc_rows.h"
#include "minicc_worker.h"

#include <apr_hash.h>
#include <stdlib.h>
#include <unistd.h>

/* How often the table is written; after a failed write, the next not
 * before AWAY (the database is down: leave it and the log alone). */
#define EVERY apr_time_from_sec(1)
#define AWAY apr_time_from_sec(5)
/* Callers a child notes in a second, at most: far more than it sees wait
 * (each polls every few seconds at most), so that a flood of made-up
 * CallSids cannot make the writer a burden to the database. */
#define MAX_CALLERS 1000
/* live_waiting keeps no caller whose last poll is older than PURGE_AGE
 * (the live view counts 15 minutes; the rest is for clocks of several
 * servers that differ): a child that wrote callers there in the last
 * PURGE_AFTER has a batch of at most 1,000 such rows deleted every
 * PURGE_EVERY (doc/contract.txt 17): every row is written by such a child,
 * and 1,000 a minute is far more callers than a call center sees.  A
 * child that saw no caller waiting asks nothing of the database. */
#define PURGE_EVERY apr_time_from_sec(60)
#define PURGE_AGE apr_time_from_sec(20 * 60)
#define PURGE_AFTER apr_time_from_sec(40 * 60)
#define PURGE_BATCH 1000            /* sql/minicc.sql's trigger's LIMIT */

typedef struct {
    const char *queue;
    char queue_time[12];        /* an int32 (minicc_is_int32) */
    int has_queue_time;         /* 0: not sent */
    apr_time_t at;
} poll_t;

/* One thread per child (core/worker.c) writes the tables of all its
 * servers. */
typedef struct {
    minicc_mutex_t *lock;       /* of every server's table */
    apr_array_header_t *tables; /* polls_t *, a server each */
} writer_t;

typedef struct {
    server_rec *s;
    writer_t *w;
    apr_pool_t *pool;           /* the polls since the last write (own
                                 * pool, swapped whole) */
    apr_hash_t *polls;          /* CallSid -> poll_t */
    apr_time_t next;            /* no write before */
    apr_time_t purge_next;      /* no purge before */
    apr_time_t written;         /* the last write of callers (0: none) */
} polls_t;

static apr_pool_t *new_table(polls_t *ps)
{
    apr_pool_t *p;

    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) {
        return NULL;
    }
    ps->pool = p;
    ps->polls = apr_hash_make(p);
    return p;
}

void minicc_polls_note(request_rec *r, const char *callsid,
                       const char *queue, const char *queue_time)
{
    polls_t *ps = minicc_child_get(r->server, MINICC_CHILD_POLLS);
    poll_t *poll;

    if (!ps || !callsid) {
        return;
    }
    minicc_lock(ps->w->lock);
    if (ps->pool) {
        poll = apr_hash_get(ps->polls, callsid, APR_HASH_KEY_STRING);
        if (!poll && apr_hash_count(ps->polls) >= MAX_CALLERS) {
            minicc_unlock(ps->w->lock);
            return;
        }
        if (!poll) {
            poll = apr_pcalloc(ps->pool, sizeof(*poll));
            apr_hash_set(ps->polls, apr_pstrdup(ps->pool, callsid),
                         APR_HASH_KEY_STRING, poll);
        }
        /* the caller's queue and wait of the latest poll, copied (the
         * table outlives the request) only when new: a known caller's
         * polls add nothing to the table's pool, however long the writer
         * is held up */
        if (!queue) {
            poll->queue = NULL;
        }
        else if (!poll->queue || strcmp(poll->queue, queue)) {
            poll->queue = apr_pstrdup(ps->pool, queue);
        }
        poll->has_queue_time = queue_time != NULL;
        if (queue_time) {
            apr_cpystrn(poll->queue_time, queue_time,
                        sizeof(poll->queue_time));
        }
        poll->at = minicc_now(r);
    }
    minicc_unlock(ps->w->lock);
}

/* Rows by CallSid: two children writing the same caller lock its row in
 * the same order as every other, and do not deadlock. */
static int by_callsid(const void *a, const void *b)
{
    return strcmp((*(const minicc_row_t *const *)a)->values[0],
                  (*(const minicc_row_t *const *)b)->values[0]);
}

/* Writes the polls of table (a pool and its hash), MINICC_BATCH_MAX rows
 * a statement; 0, or -1 when the database could not be had or refused
 * them (logged by db.c). */
static int write_table(polls_t *ps, apr_pool_t *p, apr_hash_t *polls)
{
    int n = apr_hash_count(polls), i = 0, failed;
    const minicc_row_t **rows = apr_palloc(p, sizeof(*rows) * n);
    apr_hash_index_t *hi;
    ap_dbd_t *dbd;

    for (hi = apr_hash_first(p, polls); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *val;
        const poll_t *poll;
        minicc_row_t *row = apr_palloc(p, sizeof(*row));
        const char **values = apr_palloc(p, sizeof(char *) * 4);

        apr_hash_this(hi, &key, NULL, &val);
        poll = val;
        values[0] = key;
        values[1] = poll->queue;
        values[2] = poll->has_queue_time ? poll->queue_time : NULL;
        values[3] = minicc_time_str(p, poll->at);
        row->table = MINICC_TABLE_LIVE;
        row->values = values;
        row->nvalues = 4;
        rows[i++] = row;
    }
    qsort(rows, n, sizeof(*rows), by_callsid);
    if (!(dbd = minicc_dbconn_open(p, ps->s))) {
        return -1;
    }
    failed = minicc_db_write_rows_on(ps->s, p, dbd, rows, n,
                                     "writing who waits, for the live view")
             != 0;
    minicc_dbconn_close(ps->s, dbd);
    return failed ? -1 : 0;
}

#if APR_HAS_THREADS
/* Has a batch of the callers no live view will count again deleted (a
 * failure is logged by db.c; the next purge tries again); when the batch
 * was full, the next is a second away. */
static apr_time_t purge(polls_t *ps, apr_time_t now)
{
    apr_pool_t *p;
    ap_dbd_t *dbd;
    const char *before, *deleted = NULL;
    int full = 0;

    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) {
        return now + PURGE_EVERY;
    }
    before = minicc_time_str(p, now - PURGE_AGE);
    if ((dbd = minicc_dbconn_open(p, ps->s))) {
        full = !minicc_db_run_on(ps->s, p, dbd, MINICC_STMT_LIVE_PURGE, 1,
                                 &before, NULL, "removing from live_waiting "
                                 "the callers no longer waiting")
            && !minicc_db_run_on(ps->s, p, dbd, MINICC_STMT_LIVE_PURGED, 0,
                                 NULL, &deleted, "reading how many callers "
                                 "were removed from live_waiting")
            && deleted && atoi(deleted) >= PURGE_BATCH;
        minicc_dbconn_close(ps->s, dbd);
    }
    apr_pool_destroy(p);
    return now + (full ? EVERY : PURGE_EVERY);
}

/* Under the lock: purges live_waiting when that is due. */
static void purge_due(polls_t *ps, apr_time_t now)
{
    if (now < ps->purge_next || !ps->written
        || now - ps->written > PURGE_AFTER) {
        return;
    }
    minicc_unlock(ps->w->lock);
    ps->purge_next = purge(ps, now);
    minicc_lock(ps->w->lock);
}

/* Under the lock: writes ps's table when it is due and not empty. */
static void write_due(polls_t *ps, apr_time_t now)
{
    apr_pool_t *p = ps->pool;
    apr_hash_t *polls = ps->polls;

    if (now < ps->next || !p || !apr_hash_count(polls) || !new_table(ps)) {
        return;
    }
    minicc_unlock(ps->w->lock);
    ps->next = now + (write_table(ps, p, polls) ? AWAY : EVERY);
    ps->written = now;
    apr_pool_destroy(p);
    minicc_lock(ps->w->lock);
}

/* A round of the writer: each server's table written when due, and
 * live_waiting purged when that is due. */
static apr_interval_time_t write_round(minicc_worker_t *wk, void *data)
{
    writer_t *w = data;
    int i;

    minicc_lock(w->lock);
    for (i = 0; i < w->tables->nelts && !minicc_worker_stopping(wk); i++) {
        write_due(APR_ARRAY_IDX(w->tables, i, polls_t *), apr_time_now());
        purge_due(APR_ARRAY_IDX(w->tables, i, polls_t *), apr_time_now());
    }
    minicc_unlock(w->lock);
    return EVERY;
}

/* A plain cleanup: it runs after the worker's pre-cleanup joined the
 * thread, so no round uses the tables any more. */
static apr_status_t free_tables(void *data)
{
    writer_t *w = data;
    int i;

    for (i = 0; i < w->tables->nelts; i++) {
        polls_t *ps = APR_ARRAY_IDX(w->tables, i, polls_t *);

        if (ps->pool) {
            apr_pool_destroy(ps->pool);
            ps->pool = NULL;
        }
    }
    return APR_SUCCESS;
}
#endif

void minicc_polls_child_init(apr_pool_t *pchild, server_rec *s)
{
#if APR_HAS_THREADS
    writer_t *w = apr_pcalloc(pchild, sizeof(*w));
    minicc_worker_t *worker;
    server_rec *sp;
    apr_status_t rv;
    int i;

    w->tables = apr_array_make(pchild, 1, sizeof(polls_t *));
    for (sp = s; sp; sp = sp->next) {
        polls_t *ps = apr_pcalloc(pchild, sizeof(*ps));

        ps->s = sp;
        ps->w = w;
        /* a child's first purge within 5 s of its first write, not all
         * children's at once */
        ps->purge_next = apr_time_now()
                         + apr_time_from_sec(1 + (apr_time_now() / 1000
                                                  + getpid()) % 5);
        if (!new_table(ps)) {
            continue;
        }
        APR_ARRAY_PUSH(w->tables, polls_t *) = ps;
    }
    /* a lock under every MPM: the writer is a thread of its own */
    apr_pool_cleanup_register(pchild, w, free_tables,
                              apr_pool_cleanup_null);
    if ((rv = minicc_mutex_create(&w->lock, pchild)) != APR_SUCCESS
        || (rv = minicc_worker_start(pchild, EVERY, write_round, w,
                                     &worker)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(31001)
                     "starting the thread that writes who waits failed: "
                     "the live view does not count this child's waiting "
                     "callers");
        return;
    }
    for (i = 0; i < w->tables->nelts; i++) {
        polls_t *ps = APR_ARRAY_IDX(w->tables, i, polls_t *);

        minicc_child_set(pchild, ps->s, MINICC_CHILD_POLLS, ps);
    }
#else
    (void)pchild;
    (void)s;
#endif
}
