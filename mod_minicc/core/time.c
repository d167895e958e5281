/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Time, in one place (APR and libc only): the report's days, the times the
 * rows store (UTC) and the local time they are shown in, and MiniCCHours.
 * The rows' times are UTC, so that the hour an autumn repeats neither
 * reverses "the later wins" nor a timer; days, hours and opening hours are
 * the server's local time (its TZ).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "minicc_time.h"

/* ---- dates ---- */

static int days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return days[m - 1] + (m == 2 && leap);
}

int minicc_time_date_parse(const char *s, minicc_date_t *out)
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

minicc_date_t minicc_time_date_next(minicc_date_t d)
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
long minicc_time_date_days(minicc_date_t d)
{
    long y = d.y - (d.m <= 2);
    long era = y / 400;
    long yoe = y - era * 400;
    long doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

int minicc_time_date_cmp(minicc_date_t a, minicc_date_t b)
{
    return a.y != b.y ? a.y - b.y : a.m != b.m ? a.m - b.m : a.d - b.d;
}

const char *minicc_time_date_str(apr_pool_t *p, minicc_date_t d)
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
    return minicc_time_date_cmp(o, d) < 0;
}

apr_time_t minicc_time_day_start(minicc_date_t d)
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

const char *minicc_time_local(apr_pool_t *p, const char *utc, char sep)
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

/* ---- the rows' times (UTC) ---- */

const char *minicc_time_str(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t tm;

    /* UTC: an hour that the clocks repeat in autumn neither reverses "the
     * later wins" nor a timer (doc/contract.txt 17) */
    apr_time_exp_gmt(&tm, t);
    return apr_psprintf(p, "%04d-%02d-%02d %02d:%02d:%02d.%06d",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_usec);
}

int minicc_time_clock_parse(const char *s, apr_time_t *t)
{
    apr_time_exp_t tm;
    int usec = 0, n = 0;
    char frac[7] = "";

    memset(&tm, 0, sizeof(tm));
    if (!s || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n)
              != 6
        || n != 19 || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12
        || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
        || tm.tm_min > 59 || tm.tm_sec > 59) {
        return 0;
    }
    s += 19;
    if (*s == '.') {
        for (s++; apr_isdigit(*s) && usec < 6; s++) {
            frac[usec++] = *s;
        }
        while (usec < 6) {
            frac[usec++] = '0';
        }
        usec = atoi(frac);
    }
    if (strcmp(s, "Z")) {
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_usec = usec;
    return apr_time_exp_gmt_get(t, &tm) == APR_SUCCESS;
}

int minicc_time_local_check(const char *s)
{
    int y, mo, d, h, mi, sec;
    char end;

    return s && strlen(s) == 19
        && sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi,
                  &sec, &end) == 6
        && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59
        && sec <= 59 && y >= 1970;
}

/* ---- opening hours ---- */

struct minicc_hours {
    unsigned char open[7][24 * 60 / 8];     /* a bit a minute, 0 Sunday */
};

static const char *const day_names[7] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};

static int day_of(const char *s, apr_size_t len)
{
    int i;

    for (i = 0; i < 7; i++) {
        if (len == 3 && !strncasecmp(s, day_names[i], 3)) {
            return i;
        }
    }
    return -1;
}

/* "HH:MM" (or "H:MM") into minutes; 24:00 only where allow_24; -1 if not
 * a time. */
static int minute_of(const char *s, int allow_24)
{
    int h = 0, m = 0, n = 0;

    while (apr_isdigit(s[n]) && n < 2) {
        h = h * 10 + s[n++] - '0';
    }
    if (!n || s[n] != ':' || !apr_isdigit(s[n + 1])
        || !apr_isdigit(s[n + 2]) || s[n + 3]) {
        return -1;
    }
    m = (s[n + 1] - '0') * 10 + s[n + 2] - '0';
    if (m > 59 || h > 24 || (h == 24 && (m || !allow_24))) {
        return -1;
    }
    return h * 60 + m;
}

const char *minicc_time_hours_add(apr_pool_t *pool, minicc_hours_t **add,
                                  const char *arg)
{
    minicc_hours_t *hours = *add;
    const char *space = strchr(arg, ' '), *p, *dash;
    const char *what = apr_psprintf(pool, "MiniCCHours '%s'", arg);
    int days[7] = { 0 }, from, to, d, m;

    if (!*arg) {
        return "MiniCCHours: an empty range; say e.g. \"Mon-Fri 09:00-17:00\"";
    }
    if (!space || !(dash = strchr(space + 1, '-'))) {
        return apr_pstrcat(pool, what, ": expected days and a time "
                           "range, e.g. \"Mon-Fri 09:00-17:00\"", NULL);
    }
    /* the days: Mon, Mon-Fri, Mon,Wed,Fri (and ranges in a list) */
    for (p = arg; p < space; ) {
        const char *item_end = memchr(p, ',', space - p);
        const char *range;
        int a, b;

        if (!item_end) {
            item_end = space;
        }
        range = memchr(p, '-', item_end - p);
        a = day_of(p, (range ? range : item_end) - p);
        b = range ? day_of(range + 1, item_end - range - 1) : a;
        if (a < 0 || b < 0) {
            /* name the word that is not a day */
            const char *bad = a < 0 ? p : range + 1;
            const char *bad_end = a < 0 && range ? range : item_end;

            return apr_psprintf(pool, "%s: '%s' is not a day (Mon Tue "
                                "Wed Thu Fri Sat Sun; a range Mon-Fri, a "
                                "list Mon,Wed,Fri)", what,
                                apr_pstrmemdup(pool, bad,
                                               bad_end - bad));
        }
        for (d = a;; d = (d + 1) % 7) {
            days[d] = 1;
            if (d == b) {
                break;
            }
        }
        p = item_end + (item_end < space);
    }
    from = minute_of(apr_pstrmemdup(pool, space + 1,
                                    dash - space - 1), 0);
    to = minute_of(dash + 1, 1);
    if (from < 0 || to < 0) {
        return apr_psprintf(pool, "%s: '%s' is not a time (HH:MM from "
                            "00:00 to 23:59; 24:00 may end a range)", what,
                            from < 0 ? apr_pstrmemdup(pool,
                                                      space + 1,
                                                      dash - space - 1)
                                     : dash + 1);
    }
    if (to <= from) {
        return apr_psprintf(pool, "%s: the range ends before it starts "
                            "(a range past midnight is two: \"Mon "
                            "22:00-24:00\" \"Tue 00:00-06:00\")", what);
    }
    if (!hours) {
        *add = hours = apr_pcalloc(pool, sizeof(*hours));
    }
    for (d = 0; d < 7; d++) {
        for (m = from; days[d] && m < to; m++) {
            hours->open[d][m / 8] |= 1 << (m % 8);
        }
    }
    return NULL;
}

void minicc_time_when(apr_time_t t, const char *test, minicc_when_t *when)
{
    apr_time_exp_t tm;

    if (test) {
        /* the weekday of that date (minicc_time_local_check passed it) */
        memset(&tm, 0, sizeof(tm));
        sscanf(test, "%4d-%2d-%2d %2d:%2d", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min);
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        apr_time_exp_gmt_get(&t, &tm);
        apr_time_exp_gmt(&tm, t);
    }
    else {
        apr_time_exp_lt(&tm, t);
    }
    apr_snprintf(when->date, sizeof(when->date), "%04d-%02d-%02d",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    when->wday = tm.tm_wday;
    when->minute = tm.tm_hour * 60 + tm.tm_min;
}

int minicc_time_hours_open(const minicc_hours_t *hours,
                           const minicc_when_t *when)
{
    return !hours || (hours->open[when->wday][when->minute / 8]
                      & (1 << (when->minute % 8)));
}
