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

#include <apr_lib.h>
#include <time.h>

#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- dates ---- */

static int days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return days[m - 1] + (m == 2 && leap);
}

int minicc_date_parse(const char *s, minicc_date_t *out)
{
    int i;

    for (i = 0; i < 10; i++) {
        if (i == 4 || i == 7 ? s[i] != '-' : !apr_isdigit(s[i])) {
            return 0;
        }
    }
    if (s[10]) {
        return 0;
    }
    out->y = atoi(s);
    out->m = atoi(s + 5);
    out->d = atoi(s + 8);
    return out->y >= 1970 && out->y <= 9998 && out->m >= 1 && out->m <= 12
        && out->d >= 1 && out->d <= days_in_month(out->y, out->m);
}

minicc_date_t minicc_date_next(minicc_date_t d)
{
    if (++d.d > days_in_month(d.y, d.m)) {
        d.d = 1;
        if (++d.m > 12) {
            d.m = 1;
            d.y++;
        }
    }
    return d;
}

/* Days from 1970-01-01 (the civil calendar's day number, after Howard
 * Hinnant's days_from_civil). */
long minicc_date_days(minicc_date_t d)
{
    long y = d.y - (d.m <= 2);
    long era = y / 400;
    long yoe = y - era * 400;
    long doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

int minicc_date_cmp(minicc_date_t a, minicc_date_t b)
{
    return a.y != b.y ? a.y - b.y : a.m != b.m ? a.m - b.m : a.d - b.d;
}

const char *minicc_date_str(apr_pool_t *p, minicc_date_t d)
{
    return apr_psprintf(p, "%04d-%02d-%02d", d.y, d.m, d.d);
}

/* ---- local days, UTC rows ---- */

static int tm_before(const struct tm *t, minicc_date_t d)
{
    minicc_date_t o;

    o.y = t->tm_year + 1900;
    o.m = t->tm_mon + 1;
    o.d = t->tm_mday;
    return minicc_date_cmp(o, d) < 0;
}

apr_time_t minicc_day_start(minicc_date_t d)
{
    struct tm tm, b;
    time_t t, e;

    /* mktime at 00:00 with the zone deciding on summer time */
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = d.y - 1900;
    tm.tm_mon = d.m - 1;
    tm.tm_mday = d.d;
    tm.tm_isdst = -1;
    t = mktime(&tm);
    /* a midnight the clocks skip: the day's first moment is later; one
     * they repeat: the first of the two (every zone's changes fall on a
     * quarter hour) */
    localtime_r(&t, &b);
    while (tm_before(&b, d)) {
        t += 900;
        localtime_r(&t, &b);
    }
    for (;;) {
        e = t - 900;
        localtime_r(&e, &b);
        if (tm_before(&b, d)) {
            break;
        }
        t = e;
    }
    return apr_time_from_sec(t);
}

int minicc_time_parse(const char *s, apr_time_t *t)
{
    apr_time_exp_t tm;
    int n = 0;

    memset(&tm, 0, sizeof(tm));
    if (!s || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n)
              != 6 || n != 19) {
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return apr_time_exp_gmt_get(t, &tm) == APR_SUCCESS;
}

const char *minicc_local_time(apr_pool_t *p, const char *utc, char sep)
{
    apr_time_t t;
    apr_time_exp_t tm;

    if (!minicc_time_parse(utc, &t)) {
        return utc ? utc : "";
    }
    apr_time_exp_lt(&tm, t);
    return apr_psprintf(p, "%04d-%02d-%02d%c%02d:%02d:%02d",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, sep,
                        tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- the figures ---- */

long minicc_num(const char *s)
{
    return s ? (long)apr_atoi64(s) : 0;
}

int minicc_figures_gather(request_rec *r, const minicc_dir_conf *conf,
                          minicc_date_t from, minicc_date_t to,
                          minicc_figures_t *f)
{
    apr_pool_t *p = r->pool;
    /* the rows' times are UTC: the local days' bounds in UTC */
    const char *lo = minicc_time_str(p, minicc_day_start(from));
    const char *hi = minicc_time_str(p, minicc_day_start(
                                            minicc_date_next(to)));
    const char *sa = apr_itoa(p, minicc_conf_number(conf,
                                                    MINICC_SHORT_ABANDON));
    const char *sl = apr_itoa(p, minicc_conf_number(conf,
                                                    MINICC_SERVICE_LEVEL));
    const char *pickup_args[] = { sl, lo, hi };
    const char *range_args[] = { lo, hi };
    const char *twice_args[] = { lo, hi, lo, hi };
    const char *hour_args[] = { lo, hi, sa, sa, lo, hi };
    const char *abandoned_args[] = { sa, lo, hi };
    apr_array_header_t *rows;
    minicc_date_t d;
    long first = minicc_date_days(from), ndays;
    int i;

    memset(f, 0, sizeof(*f));
    f->from_s = minicc_date_str(p, from);
    f->to_s = minicc_date_str(p, to);
    f->service_level_seconds = minicc_conf_number(conf, MINICC_SERVICE_LEVEL);
    f->short_abandon_seconds = minicc_conf_number(conf, MINICC_SHORT_ABANDON);

    /* every hour of the range, the empty ones too: a chart with gaps
     * would hide exactly the quiet hours a supervisor looks for */
    if (!(rows = minicc_db_select(r, MINICC_STMT_REPORT_HOURS, 6, hour_args,
                                  6))) {
        return 0;
    }
    ndays = minicc_date_days(to) - first + 1;
    f->hours = apr_array_make(p, (int)ndays * 24, sizeof(minicc_counts_t));
    f->days = apr_array_make(p, (int)ndays, sizeof(minicc_counts_t));
    for (d = from; minicc_date_cmp(d, to) <= 0; d = minicc_date_next(d)) {
        const char *day = minicc_date_str(p, d);
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
        long at;

        if (!minicc_time_parse(row[0], &t)) {
            continue;
        }
        apr_time_exp_lt(&tm, t);
        ld.y = tm.tm_year + 1900;
        ld.m = tm.tm_mon + 1;
        ld.d = tm.tm_mday;
        at = minicc_date_days(ld) - first;
        if (at < 0 || at >= ndays) {
            continue;
        }
        h = &APR_ARRAY_IDX(f->hours, at * 24 + tm.tm_hour, minicc_counts_t);
        dc = &APR_ARRAY_IDX(f->days, at, minicc_counts_t);
        h->offered += minicc_num(row[1]);
        h->answered += minicc_num(row[2]);
        h->abandoned += minicc_num(row[3]);
        dc->offered += minicc_num(row[1]);
        dc->answered += minicc_num(row[2]);
        dc->abandoned += minicc_num(row[3]);
        f->offered += minicc_num(row[1]);
        f->answered += minicc_num(row[2]);
        f->abandoned += minicc_num(row[3]);
        f->short_abandoned += minicc_num(row[4]);
        f->longest_wait = MAX(f->longest_wait, minicc_num(row[5]));
    }
    if (!(rows = minicc_db_select(r, MINICC_STMT_REPORT_CALLS, 2, range_args,
                                  1)) || !rows->nelts) {
        return 0;
    }
    f->avg_call = APR_ARRAY_IDX(rows, 0, const char **)[0]
        ? atof(APR_ARRAY_IDX(rows, 0, const char **)[0]) : 0;

    /* the bars; a NULL QueueTime is a pick-up without a bar */
    if (!(rows = minicc_db_select(r, MINICC_STMT_REPORT_WAITS, 3, pickup_args,
                                  5))) {
        return 0;
    }
    {
        long timed = 0, waited = 0;

        for (i = 0; i < rows->nelts; i++) {
            const char **row = APR_ARRAY_IDX(rows, i, const char **);
            long b = row[0] ? minicc_num(row[0]) : -1;

            if (b >= 0 && b < MINICC_WAIT_BUCKETS) {
                f->waits[b] = minicc_num(row[1]);
            }
            f->pickups += minicc_num(row[1]);
            timed += minicc_num(row[2]);
            waited += minicc_num(row[3]);
            f->within_level += minicc_num(row[4]);
        }
        f->asa = timed ? (double)waited / timed : 0;
    }
    f->abandon_rate = (f->answered + f->abandoned)
        ? (double)f->abandoned / (double)(f->answered + f->abandoned) : 0;
    f->service_level = f->pickups ? (double)f->within_level / f->pickups : 0;
    if (!(f->operators = minicc_db_select(r, MINICC_STMT_REPORT_OPERATORS, 2,
                                          range_args, 2))
        || !(f->abandoned_calls = minicc_db_select(r,
                                     MINICC_STMT_REPORT_ABANDONED, 3,
                                     abandoned_args, 3))
        || !(rows = minicc_db_select(r, MINICC_STMT_REPORT_TURNED_AWAY, 4,
                                     twice_args, 2))
        || !(f->voicemail_list = minicc_db_select(r,
                                     MINICC_STMT_REPORT_VOICEMAILS, 2,
                                     range_args, 6))
        || !(f->callback_list = minicc_db_select(r,
                                     MINICC_STMT_REPORT_CALLBACK_LIST, 2,
                                     range_args, 5))) {
        return 0;
    }
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);
        const char *why = row[0] ? row[0] : "";

        if (!strcmp(why, "closed") || !strcmp(why, "holiday")) {
            f->closed_calls += minicc_num(row[1]);
        }
        else if (!strcmp(why, "overflow") || !strcmp(why, "max-wait")
                 || !strcmp(why, "queue-full")) {
            f->overflowed += minicc_num(row[1]);
        }
    }
    f->voicemails = f->voicemail_list->nelts
        ? minicc_num(APR_ARRAY_IDX(f->voicemail_list, 0,
                                   const char **)[5]) : 0;
    if (!(rows = minicc_db_select(r, MINICC_STMT_REPORT_CALLBACKS, 2,
                                  range_args, 5)) || !rows->nelts) {
        return 0;
    }
    {
        const char **row = APR_ARRAY_IDX(rows, 0, const char **);

        f->cb_requested = minicc_num(row[0]);
        f->cb_completed = minicc_num(row[1]);
        f->cb_failed = minicc_num(row[2]);
        f->cb_pending = minicc_num(row[3]);
        f->cb_mean = row[4] ? atof(row[4]) : 0;
    }
    f->spool_backlog = minicc_spool_backlog(p, r->server, NULL);
    if (f->spool_backlog < 0) {
        f->spool_backlog = 0;
    }
    return 1;
}

