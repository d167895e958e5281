/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The supervisors' figures for a range of days (doc/contract.txt, 5, 7, 8),
 * read from the summaries MariaDB keeps and the tables, through sql.c's
 * statements: what minicc-report shows for any range and minicc-live for
 * today.
 */
#include "mod_minicc_private.h"
#include "minicc_db.h"
#include "minicc_figures.h"
#include "minicc_rows.h"
#include "minicc_spool.h"

#include <apr_hash.h>
#include <apr_lib.h>
#include <time.h>

#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- the figures ---- */

long minicc_num(const char *s)
{
    return s ? (long)apr_atoi64(s) : 0;
}

/* A decimal the database gave as text (NULL: 0). */
static double number(const char *s)
{
    return s ? atof(s) : 0;
}

/* ---- the operators' figures ---- */

typedef struct {
    const char *telnum;
    long answered;
    double talk, wrapup, brk, ready, logged;
    long breaks;
} op_t;

static op_t *op_of(apr_pool_t *p, apr_hash_t *ops, apr_array_header_t *order,
                   const char *telnum)
{
    op_t *op = apr_hash_get(ops, telnum, APR_HASH_KEY_STRING);

    if (!op) {
        op = apr_pcalloc(p, sizeof(*op));
        op->telnum = telnum;
        apr_hash_set(ops, telnum, APR_HASH_KEY_STRING, op);
        APR_ARRAY_PUSH(order, op_t *) = op;
    }
    return op;
}

/* Most pick-ups first, then by number. */
static int by_answered(const void *a, const void *b)
{
    const op_t *x = *(op_t *const *)a, *y = *(op_t *const *)b;

    if (x->answered != y->answered) {
        return x->answered > y->answered ? -1 : 1;
    }
    return strcmp(x->telnum, y->telnum);
}

/* f->operators and f->breaks, from the pick-ups per operator and the
 * seconds of their states; 0 when a statement failed (logged). */
static int operator_figures(request_rec *r, const char *lo, const char *hi,
                            minicc_figures_t *f)
{
    apr_pool_t *p = r->pool;
    const char *now = minicc_arrival_time(r);
    const char *range_args[] = { lo, hi };
    const char *state_args[] = { lo, now, now, hi, lo, hi, hi, lo };
    apr_array_header_t *picked, *states;
    apr_array_header_t *order = apr_array_make(p, 16, sizeof(op_t *));
    apr_hash_t *ops = apr_hash_make(p);
    int i;

    if (!(picked = minicc_db_select(r, MINICC_STMT_REPORT_OPERATORS, 2,
                                    range_args, MINICC_OPS_COLS))
        || !(states = minicc_db_select(r, MINICC_STMT_REPORT_OPERATOR_STATES,
                                       8, state_args, MINICC_OPST_COLS))) {
        return 0;
    }
    for (i = 0; i < picked->nelts; i++) {
        const char **row = APR_ARRAY_IDX(picked, i, const char **);

        op_of(p, ops, order, row[MINICC_OPS_TELNUM]
                             ? row[MINICC_OPS_TELNUM] : "")->answered
            = minicc_num(row[MINICC_OPS_ANSWERED]);
    }
    f->breaks = apr_array_make(p, 8, sizeof(const char **));
    for (i = 0; i < states->nelts; i++) {
        const char **row = APR_ARRAY_IDX(states, i, const char **);
        op_t *op = op_of(p, ops, order, row[MINICC_OPST_TELNUM]);
        const char *state = row[MINICC_OPST_STATE];
        double seconds = number(row[MINICC_OPST_SECONDS]);

        op->logged += seconds;
        if (!strcmp(state, "talking")) {
            op->talk += seconds;
        }
        else if (!strcmp(state, "wrap-up")) {
            op->wrapup += seconds;
        }
        else if (!strcmp(state, "ready")) {
            op->ready += seconds;
        }
        else if (!strcmp(state, "break")) {
            const char **b = apr_pcalloc(p, sizeof(char *) * MINICC_BRK_COLS);

            op->brk += seconds;
            op->breaks += minicc_num(row[MINICC_OPST_ENTERED]);
            b[MINICC_BRK_TELNUM] = op->telnum;
            b[MINICC_BRK_REASON] = row[MINICC_OPST_REASON];
            b[MINICC_BRK_COUNT] = row[MINICC_OPST_ENTERED];
            b[MINICC_BRK_SECONDS] = apr_psprintf(p, "%.0f", seconds);
            APR_ARRAY_PUSH(f->breaks, const char **) = b;
        }
    }
    qsort(order->elts, order->nelts, sizeof(op_t *), by_answered);
    f->operators = apr_array_make(p, order->nelts, sizeof(const char **));
    for (i = 0; i < order->nelts; i++) {
        const op_t *op = APR_ARRAY_IDX(order, i, op_t *);
        const char **row = apr_pcalloc(p, sizeof(char *) * MINICC_OPF_COLS);

        row[MINICC_OPF_TELNUM] = *op->telnum ? op->telnum : NULL;
        row[MINICC_OPF_ANSWERED] = apr_ltoa(p, op->answered);
        row[MINICC_OPF_TALK] = apr_psprintf(p, "%.0f", op->talk);
        row[MINICC_OPF_WRAPUP] = apr_psprintf(p, "%.0f", op->wrapup);
        row[MINICC_OPF_BREAK] = apr_psprintf(p, "%.0f", op->brk);
        row[MINICC_OPF_BREAKS] = apr_ltoa(p, op->breaks);
        row[MINICC_OPF_LOGGED_IN] = apr_psprintf(p, "%.0f", op->logged);
        row[MINICC_OPF_HANDLE] = apr_psprintf(
            p, "%.1f", op->answered ? (op->talk + op->wrapup) / op->answered
                                    : 0.0);
        row[MINICC_OPF_OCCUPANCY] = apr_psprintf(
            p, "%.4f", op->talk + op->ready > 0
                       ? op->talk / (op->talk + op->ready) : 0.0);
        APR_ARRAY_PUSH(f->operators, const char **) = row;
    }
    return 1;
}

/* A queue's counts while its rows are read (report_queues). */
typedef struct {
    const char *queue;
    long offered, answered, abandoned, pickups, timed, waited, within;
} queue_counts_t;

static void queue_row(apr_pool_t *p, apr_array_header_t *out,
                      const minicc_dir_conf *conf, const queue_counts_t *q)
{
    const char **row = apr_pcalloc(p, sizeof(char *) * MINICC_QF_COLS);
    long settled = q->answered + q->abandoned;

    row[MINICC_QF_QUEUE] = q->queue;
    row[MINICC_QF_OFFERED] = apr_ltoa(p, q->offered);
    row[MINICC_QF_ANSWERED] = apr_ltoa(p, q->answered);
    row[MINICC_QF_ABANDONED] = apr_ltoa(p, q->abandoned);
    row[MINICC_QF_RATE] = apr_psprintf(p, "%.4f", settled
                                       ? (double)q->abandoned / settled : 0);
    row[MINICC_QF_ASA] = apr_psprintf(p, "%.1f", q->timed
                                      ? (double)q->waited / q->timed : 0);
    row[MINICC_QF_LEVEL] = apr_psprintf(p, "%.4f", q->pickups
                                        ? (double)q->within / q->pickups : 0);
    row[MINICC_QF_LEVEL_SECONDS] = apr_itoa(p, minicc_conf_service_level(
                                                   conf, q->queue));
    APR_ARRAY_PUSH(out, const char **) = row;
}

/* Per queue (doc/contract.txt 15), each with its own service level: the
 * rows of report_queues, in the queues' order; 0 when the statement
 * failed (logged). */
static int queue_figures(request_rec *r, const minicc_dir_conf *conf,
                         const char **range_args, minicc_figures_t *f)
{
    apr_array_header_t *rows = minicc_db_select(r, MINICC_STMT_REPORT_QUEUES,
                                                2, range_args,
                                                MINICC_QUEUES_COLS);
    queue_counts_t q;
    int i, level = 0;

    if (!rows) {
        return 0;
    }
    f->queues = apr_array_make(r->pool, 4, sizeof(const char **));
    memset(&q, 0, sizeof(q));
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);
        const char *queue = row[MINICC_QUEUES_QUEUE];
        long kind = minicc_num(row[MINICC_QUEUES_KIND]);
        long secs = minicc_num(row[MINICC_QUEUES_SECONDS]);
        long n = minicc_num(row[MINICC_QUEUES_N]);

        if (!queue || (f->queue && strcmp(queue, f->queue))) {
            continue;
        }
        if (!q.queue || strcmp(q.queue, queue)) {
            if (q.queue) {
                queue_row(r->pool, f->queues, conf, &q);
            }
            memset(&q, 0, sizeof(q));
            q.queue = queue;
            level = minicc_conf_service_level(conf, queue);
        }
        switch (kind) {
        case MINICC_QUEUE_OFFERED:
            q.offered += n;
            break;
        case MINICC_QUEUE_ANSWERED:
            q.answered += n;
            break;
        case MINICC_QUEUE_HANGUP:
            if (secs >= f->short_abandon_seconds) {
                q.abandoned += n;
            }
            break;
        case MINICC_QUEUE_PICKUP:
            q.pickups += n;
            if (secs >= 0) {
                q.timed += n;
                q.waited += secs * n;
                q.within += secs <= level ? n : 0;
            }
            break;
        }
    }
    if (q.queue) {
        queue_row(r->pool, f->queues, conf, &q);
    }
    return 1;
}

/* The callers' scores (doc/contract.txt 16): the range's, and per
 * operator and per queue; 0 when the statement failed (logged). */
static int csat_figures(request_rec *r, const char **range_args,
                        minicc_figures_t *f)
{
    const char *args[6] = { range_args[0], range_args[1], range_args[0],
                            range_args[1], range_args[0], range_args[1] };
    apr_array_header_t *rows = minicc_db_select(r, MINICC_STMT_REPORT_CSAT, 6,
                                                args, MINICC_CSAT_COLS);
    int i;

    if (!rows) {
        return 0;
    }
    f->csat_operators = apr_array_make(r->pool, 8, sizeof(const char **));
    f->csat_queues = apr_array_make(r->pool, 8, sizeof(const char **));
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);

        switch (atoi(row[MINICC_CSAT_KIND])) {
        case MINICC_CSAT_ALL:
            f->csat_mean = number(row[MINICC_CSAT_MEAN]);
            f->csat_responses = minicc_num(row[MINICC_CSAT_RESPONSES]);
            break;
        case MINICC_CSAT_OPERATOR:
            APR_ARRAY_PUSH(f->csat_operators, const char **) = row;
            break;
        default:
            APR_ARRAY_PUSH(f->csat_queues, const char **) = row;
            break;
        }
    }
    return 1;
}

int minicc_figures_gather(request_rec *r, const minicc_dir_conf *conf,
                          minicc_date_t from, minicc_date_t to,
                          const char *queue, minicc_figures_t *f)
{
    apr_pool_t *p = r->pool;
    /* the rows' times are UTC: the local days' bounds in UTC */
    const char *lo = minicc_time_str(p, minicc_time_day_start(from));
    const char *hi = minicc_time_str(p, minicc_time_day_start(
                                            minicc_time_date_next(to)));
    const char *sa = apr_itoa(p, minicc_conf_number(conf,
                                                    MINICC_SHORT_ABANDON));
    const char *sl = apr_itoa(p, minicc_conf_service_level(conf, queue));
    const char *pickup_args[] = { sl, lo, hi };
    const char *queue_pickup_args[] = { sl, queue, lo, hi };
    const char *queue_hour_args[] = { sa, sa, queue, lo, hi };
    const char *range_args[] = { lo, hi };
    const char *twice_args[] = { lo, hi, lo, hi };
    const char *hour_args[] = { lo, hi, sa, sa, lo, hi };
    const char *abandoned_args[] = { sa, lo, hi };
    apr_array_header_t *rows;
    minicc_date_t d;
    long first = minicc_time_date_days(from), ndays;
    int i;

    memset(f, 0, sizeof(*f));
    f->from_s = minicc_time_date_str(p, from);
    f->to_s = minicc_time_date_str(p, to);
    f->queue = queue;
    f->service_level_seconds = minicc_conf_service_level(conf, queue);
    f->short_abandon_seconds = minicc_conf_number(conf, MINICC_SHORT_ABANDON);

    /* every hour of the range, the empty ones too: a chart with gaps
     * would hide exactly the quiet hours a supervisor looks for */
    if (!(rows = queue
          ? minicc_db_select(r, MINICC_STMT_REPORT_QUEUE_HOURS, 5,
                             queue_hour_args, MINICC_HOURS_COLS)
          : minicc_db_select(r, MINICC_STMT_REPORT_HOURS, 6, hour_args,
                             MINICC_HOURS_COLS))) {
        return 0;
    }
    ndays = minicc_time_date_days(to) - first + 1;
    f->hours = apr_array_make(p, (int)ndays * 24, sizeof(minicc_counts_t));
    f->days = apr_array_make(p, (int)ndays, sizeof(minicc_counts_t));
    for (d = from; minicc_time_date_cmp(d, to) <= 0; d = minicc_time_date_next(d)) {
        const char *day = minicc_time_date_str(p, d);
        minicc_counts_t *dc = apr_array_push(f->days);

        memset(dc, 0, sizeof(*dc));
        dc->when = day;
        for (i = 0; i < 24; i++) {
            minicc_counts_t *h = apr_array_push(f->hours);

            memset(h, 0, sizeof(*h));
            h->when = apr_psprintf(p, "%sT%02d", day, i);
        }
    }
    /* each UTC hour of the summaries into the local hour it begins in: in
     * the hour that autumn repeats, both real hours count in the one the
     * clock shows twice (each call once); the hour spring skips stays
     * empty */
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);
        minicc_counts_t *h, *dc;
        apr_time_exp_t tm;
        apr_time_t t;
        minicc_date_t ld;
        long at, offered, answered, abandoned;

        if (!minicc_time_parse(row[MINICC_HOURS_HOUR], &t)) {
            continue;
        }
        apr_time_exp_lt(&tm, t);
        ld.y = tm.tm_year + 1900;
        ld.m = tm.tm_mon + 1;
        ld.d = tm.tm_mday;
        at = minicc_time_date_days(ld) - first;
        if (at < 0 || at >= ndays) {
            continue;
        }
        h = &APR_ARRAY_IDX(f->hours, at * 24 + tm.tm_hour, minicc_counts_t);
        dc = &APR_ARRAY_IDX(f->days, at, minicc_counts_t);
        offered = minicc_num(row[MINICC_HOURS_OFFERED]);
        answered = minicc_num(row[MINICC_HOURS_ANSWERED]);
        abandoned = minicc_num(row[MINICC_HOURS_ABANDONED]);
        h->offered += offered;
        h->answered += answered;
        h->abandoned += abandoned;
        dc->offered += offered;
        dc->answered += answered;
        dc->abandoned += abandoned;
        f->offered += offered;
        f->answered += answered;
        f->abandoned += abandoned;
        f->short_abandoned += minicc_num(row[MINICC_HOURS_SHORT]);
        f->longest_wait = MAX(f->longest_wait,
                              minicc_num(row[MINICC_HOURS_LONGEST]));
    }
    if (!(rows = minicc_db_select(r, MINICC_STMT_REPORT_CALLS, 2, range_args,
                                  MINICC_CALLS_COLS)) || !rows->nelts) {
        return 0;
    }
    f->avg_call = number(APR_ARRAY_IDX(rows, 0,
                                       const char **)[MINICC_CALLS_AVG]);

    /* the bars; a NULL QueueTime is a pick-up without a bar */
    if (!(rows = queue
          ? minicc_db_select(r, MINICC_STMT_REPORT_QUEUE_WAITS, 4,
                             queue_pickup_args, MINICC_WAITS_COLS)
          : minicc_db_select(r, MINICC_STMT_REPORT_WAITS, 3, pickup_args,
                             MINICC_WAITS_COLS))) {
        return 0;
    }
    {
        long timed = 0, waited = 0;

        for (i = 0; i < rows->nelts; i++) {
            const char **row = APR_ARRAY_IDX(rows, i, const char **);
            long b = row[MINICC_WAITS_BAR]
                ? minicc_num(row[MINICC_WAITS_BAR]) : -1;

            if (b >= 0 && b < MINICC_WAIT_BUCKETS) {
                f->waits[b] = minicc_num(row[MINICC_WAITS_PICKUPS]);
            }
            f->pickups += minicc_num(row[MINICC_WAITS_PICKUPS]);
            timed += minicc_num(row[MINICC_WAITS_TIMED]);
            waited += minicc_num(row[MINICC_WAITS_SECONDS]);
            f->within_level += minicc_num(row[MINICC_WAITS_WITHIN]);
        }
        f->asa = timed ? (double)waited / timed : 0;
    }
    f->abandon_rate = (f->answered + f->abandoned)
        ? (double)f->abandoned / (double)(f->answered + f->abandoned) : 0;
    f->service_level = f->pickups ? (double)f->within_level / f->pickups : 0;
    if (!queue_figures(r, conf, range_args, f) || !operator_figures(r, lo, hi, f)
        || !(f->abandoned_calls = minicc_db_select(r,
                                     MINICC_STMT_REPORT_ABANDONED, 3,
                                     abandoned_args, MINICC_ABANDONED_COLS))
        || !(rows = minicc_db_select(r, MINICC_STMT_REPORT_TURNED_AWAY, 4,
                                     twice_args, MINICC_AWAY_COLS))
        || !(f->voicemail_list = minicc_db_select(r,
                                     MINICC_STMT_REPORT_VOICEMAILS, 2,
                                     range_args, MINICC_VM_COLS))
        || !(f->callback_list = minicc_db_select(r,
                                     MINICC_STMT_REPORT_CALLBACK_LIST, 2,
                                     range_args, MINICC_CBL_COLS))
        || !(f->recording_list = minicc_db_select(r,
                                     MINICC_STMT_REPORT_RECORDINGS, 2,
                                     range_args, MINICC_REC_COLS))
        || !csat_figures(r, range_args, f)) {
        return 0;
    }
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);
        const char *why = row[MINICC_AWAY_REASON]
            ? row[MINICC_AWAY_REASON] : "";

        if (!strcmp(why, "closed") || !strcmp(why, "holiday")) {
            f->closed_calls += minicc_num(row[MINICC_AWAY_CALLS]);
        }
        else if (!strcmp(why, "overflow") || !strcmp(why, "max-wait")
                 || !strcmp(why, "queue-full")) {
            f->overflowed += minicc_num(row[MINICC_AWAY_CALLS]);
        }
    }
    f->voicemails = f->voicemail_list->nelts
        ? minicc_num(APR_ARRAY_IDX(f->voicemail_list, 0,
                                   const char **)[MINICC_VM_TOTAL]) : 0;
    if (!(rows = minicc_db_select(r, MINICC_STMT_REPORT_CALLBACKS, 2,
                                  range_args, MINICC_CBS_COLS))
        || !rows->nelts) {
        return 0;
    }
    {
        const char **row = APR_ARRAY_IDX(rows, 0, const char **);

        f->cb_requested = minicc_num(row[MINICC_CBS_REQUESTED]);
        f->cb_completed = minicc_num(row[MINICC_CBS_COMPLETED]);
        f->cb_failed = minicc_num(row[MINICC_CBS_FAILED]);
        f->cb_pending = minicc_num(row[MINICC_CBS_PENDING]);
        f->cb_mean = number(row[MINICC_CBS_MEAN]);
    }
    f->spool_backlog = minicc_spool_backlog(p, r->server, NULL);
    if (f->spool_backlog < 0) {
        f->spool_backlog = 0;
    }
    return 1;
}

