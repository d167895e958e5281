/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * MiniCCRetention (doc/contract.txt 16): once a local day, one server of a
 * cluster deletes the rows that began before the retention's first day,
 * at most 1,000 rows a statement (the trigger of sql/minicc.sql on
 * housekeeping: the module's user may not DELETE), and logs how many of
 * each table.  Each child of the main server has a thread that looks now
 * and then whether the day's run is due; the lock is a row (housekeeping
 * 'retention': a holder and a lease, which the holder renews as it goes),
 * not GET_LOCK, which Galera does not replicate.  A server that dies in
 * the middle leaves a lease that ends: another takes the run over.  The
 * spool's rows are not the database's: none is lost to it.
 */
#include "mod_minicc_private.h"
#include "minicc_retention.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_dbconn.h"
#include "minicc_time.h"
#include "minicc_worker.h"

#include <apr_hash.h>
#include <apr_strings.h>
#include <unistd.h>

/* How often a child looks whether the day's run is due; how long a lease
 * lasts, and how many batches between its renewals. */
#define LOOK_EVERY apr_time_from_sec(600)
#define LEASE apr_time_from_sec(300)
#define RENEW_EVERY 20

#if APR_HAS_THREADS
typedef struct {
    server_rec *s;
    int days;
} retention_t;

/* The run's lock: 1 when it is this round's (token), 0 when not (another
 * server's, or today's run is done), -1 when the database failed
 * (logged).  The same statement renews a lease this round holds. */
static int claim(retention_t *rt, apr_pool_t *p, ap_dbd_t *dbd,
                 const char *token, const char *today)
{
    apr_time_t now = apr_time_now();
    const char *args[5], *holder = NULL;

    args[0] = token;
    args[1] = minicc_time_str(p, now + LEASE);
    args[2] = today;
    args[3] = minicc_time_str(p, now);
    args[4] = token;
    if (minicc_db_run_on(rt->s, p, dbd, MINICC_STMT_RETENTION_CLAIM, 5, args,
                         NULL, "taking the day's retention run")
        || minicc_db_run_on(rt->s, p, dbd, MINICC_STMT_RETENTION_HOLDER, 0,
                            NULL, &holder, "reading who holds the day's "
                            "retention run")) {
        return -1;
    }
    return holder && !strcmp(holder, token);
}

/* The deleted rows of each table, as "table N, ..." in the order met. */
static const char *counts_text(apr_pool_t *p, apr_array_header_t *names,
                               apr_hash_t *counts)
{
    const char *text = "";
    int i;

    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);

        text = apr_psprintf(p, "%s%s%s %ld", text, i ? ", " : "", name,
                            *(long *)apr_hash_get(counts, name,
                                                  APR_HASH_KEY_STRING));
    }
    return text;
}

/* The run, under the lock: batches until none is left, the lease renewed
 * as it goes; the day marked done; one log line. */
static void run(minicc_worker_t *wk, retention_t *rt, apr_pool_t *p,
                ap_dbd_t *dbd, const char *token, const char *today,
                const char *bound)
{
    apr_hash_t *counts = apr_hash_make(p);
    apr_array_header_t *names = apr_array_make(p, 16, sizeof(const char *));
    apr_time_t began = apr_time_now();
    long total = 0;
    int batches, failed = 0;

    for (batches = 1; !minicc_worker_stopping(wk); batches++) {
        const char *got = NULL, *name;
        long *count, n;

        if (batches % RENEW_EVERY == 0 && claim(rt, p, dbd, token, today) != 1) {
            failed = 1;     /* the lease ended: another may have the run */
            break;
        }
        if (minicc_db_run_on(rt->s, p, dbd, MINICC_STMT_RETENTION_BATCH, 1,
                             &bound, NULL, "deleting a batch of the rows "
                             "older than MiniCCRetention")
            || minicc_db_run_on(rt->s, p, dbd, MINICC_STMT_RETENTION_BATCHED,
                                0, NULL, &got, "reading what the retention's "
                                "batch deleted") || !got) {
            failed = 1;
            break;
        }
        n = atol(got);
        name = strchr(got, ' ');
        if (n <= 0 || !name || !name[1]) {
            break;          /* nothing older is left */
        }
        name++;
        if (!(count = apr_hash_get(counts, name, APR_HASH_KEY_STRING))) {
            count = apr_pcalloc(p, sizeof(*count));
            name = apr_pstrdup(p, name);
            apr_hash_set(counts, name, APR_HASH_KEY_STRING, count);
            APR_ARRAY_PUSH(names, const char *) = name;
        }
        *count += n;
        total += n;
    }
    if (failed || minicc_worker_stopping(wk)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, rt->s, APLOGNO(31302)
                     "MiniCCRetention %d days: stopped after deleting %ld "
                     "rows older than %s (UTC)%s%s (%s); the run is taken "
                     "up again within %d minutes, here or by another server",
                     rt->days, total, bound, total ? ": " : "",
                     total ? counts_text(p, names, counts) : "",
                     failed ? "the cause is logged above" : "Apache stops",
                     (int)(apr_time_sec(LOOK_EVERY + LEASE) / 60));
        return;
    }
    {
        const char *args[2] = { today, token };

        minicc_db_run_on(rt->s, p, dbd, MINICC_STMT_RETENTION_DONE, 2, args,
                         NULL, "marking the day's retention run done");
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, rt->s, APLOGNO(31301)
                 "MiniCCRetention %d days: deleted %ld rows older than %s "
                 "(UTC) in %.1f s%s%s", rt->days, total, bound,
                 (double)(apr_time_now() - began) / APR_USEC_PER_SEC,
                 total ? ": " : "",
                 total ? counts_text(p, names, counts) : "");
}

/* A round: when the day's run is due and the lock is this round's, the
 * run. */
static apr_interval_time_t retention_round(minicc_worker_t *wk, void *baton)
{
    retention_t *rt = baton;
    apr_time_t now = apr_time_now();
    apr_time_exp_t lt;
    minicc_date_t today, first;
    apr_pool_t *p;
    ap_dbd_t *dbd;
    const char *token;

    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) {
        return LOOK_EVERY;
    }
    apr_time_exp_lt(&lt, now);
    today.y = lt.tm_year + 1900;
    today.m = lt.tm_mon + 1;
    today.d = lt.tm_mday;
    /* the oldest day kept: its first moment is the bound */
    apr_time_exp_lt(&lt, now - apr_time_from_sec((apr_int64_t)rt->days
                                                 * 86400));
    first.y = lt.tm_year + 1900;
    first.m = lt.tm_mon + 1;
    first.d = lt.tm_mday;
    /* unique to this round, whatever the server and the child */
    token = apr_psprintf(p, "%.32s:%ld:%" APR_TIME_T_FMT,
                         rt->s->server_hostname ? rt->s->server_hostname
                                                : "-", (long)getpid(), now);
    if ((dbd = minicc_dbconn_open(p, rt->s))) {
        const char *day = minicc_time_date_str(p, today);

        /* on the hour (UTC), the summaries' unit: a zone half an hour
         * off keeps that half hour a day longer */
        apr_time_t bound = minicc_time_day_start(first);

        bound -= bound % apr_time_from_sec(3600);
        if (claim(rt, p, dbd, token, day) == 1) {
            /* a batch and its triggers may take longer than a webhook's
             * MiniCCDBTimeout on a loaded server */
            minicc_db_wait_on(rt->s, dbd, 1);
            run(wk, rt, p, dbd, token, day, minicc_time_str(p, bound));
            minicc_db_wait_on(rt->s, dbd, 0);
        }
        minicc_dbconn_close(rt->s, dbd);
    }
    apr_pool_destroy(p);
    return LOOK_EVERY;
}
#endif

void minicc_retention_child_init(apr_pool_t *pchild, server_rec *s)
{
#if APR_HAS_THREADS
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    retention_t *rt;
    minicc_worker_t *worker;
    apr_status_t rv;

    if (!sc->retention_days) {
        return;
    }
    rt = apr_pcalloc(pchild, sizeof(*rt));
    rt->s = s;
    rt->days = sc->retention_days;
    /* a child's first look within seconds of its start, not all at once */
    if ((rv = minicc_worker_start(pchild, apr_time_from_sec(2 + getpid() % 5),
                                  retention_round, rt, &worker))
        != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(31303)
                     "starting the thread of MiniCCRetention failed: this "
                     "child deletes no old rows (another child or server "
                     "will)");
    }
#else
    (void)pchild;
    (void)s;
#endif
}
