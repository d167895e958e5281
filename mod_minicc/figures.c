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
#include "minicc_spool.h"

#include <apr_lib.h>

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
    const char *lo = apr_pstrcat(p, minicc_date_str(p, from), " 00:00:00",
                                 NULL);
    const char *hi = apr_pstrcat(p, minicc_date_str(p, minicc_date_next(to)),
                                 " 00:00:00",
                                 NULL);
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
    int i, j;

    memset(f, 0, sizeof(*f));
    f->from_s = minicc_date_str(p, from);
    f->to_s = minicc_date_str(p, to);
    f->service_level_seconds = minicc_conf_number(conf, MINICC_SERVICE_LEVEL);
    f->short_abandon_seconds = minicc_conf_number(conf, MINICC_SHORT_ABANDON);

    /* every hour of the range, the empty ones too: a chart with gaps
     * would hide exactly the quiet hours a supervisor looks for */
    if (!(rows = minicc_db_select(r, MINICC_STMT_REPORT_HOURS, 6, hour_args,
                                  7))) {
        return 0;
    }
    f->hours = apr_array_make(p, 24, sizeof(minicc_counts_t));
    f->days = apr_array_make(p, 1, sizeof(minicc_counts_t));
    for (d = from, j = 0; minicc_date_cmp(d, to) <= 0;
         d = minicc_date_next(d)) {
        const char *day = minicc_date_str(p, d);
        minicc_counts_t *dc = apr_array_push(f->days);

        memset(dc, 0, sizeof(*dc));
        dc->when = day;
        for (i = 0; i < 24; i++) {
            minicc_counts_t *h = apr_array_push(f->hours);

            memset(h, 0, sizeof(*h));
            h->when = apr_psprintf(p, "%sT%02d", day, i);
            if (j < rows->nelts) {
                const char **row = APR_ARRAY_IDX(rows, j, const char **);

                if (row[0] && !strcmp(row[0], day)
                    && minicc_num(row[1]) == i) {
                    h->offered = minicc_num(row[2]);
                    h->answered = minicc_num(row[3]);
                    h->abandoned = minicc_num(row[4]);
                    dc->offered += h->offered;
                    dc->answered += h->answered;
                    dc->abandoned += h->abandoned;
                    f->offered += h->offered;
                    f->answered += h->answered;
                    f->abandoned += h->abandoned;
                    f->short_abandoned += minicc_num(row[5]);
                    f->longest_wait = MAX(f->longest_wait, minicc_num(row[6]));
                    j++;
                }
            }
        }
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

