/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/time.c: days, the rows' UTC times and the local time they are shown
 * in (in Europe/Berlin, across the autumn and spring changes of 2027), and
 * MiniCCHours.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_strings.h>

#include "minicc_time.h"
#include "unit.h"

static apr_time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    apr_time_exp_t tm;
    apr_time_t t;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    apr_time_exp_gmt_get(&t, &tm);
    return t;
}

static int day_is(const char *s, int y, int m, int d)
{
    minicc_date_t out;

    return minicc_time_date_parse(s, &out) && out.y == y && out.m == m
        && out.d == d;
}

static void test_dates(apr_pool_t *p)
{
    minicc_date_t a = { 2024, 2, 28 }, b = { 2024, 12, 31 }, e = { 1970, 1, 1 };
    minicc_date_t x;

    ok(day_is("2024-02-29", 2024, 2, 29) && !day_is("2023-02-29", 0, 0, 0)
       && !day_is("2023-13-01", 0, 0, 0) && !day_is("2023-4-01", 0, 0, 0)
       && !day_is("1969-12-31", 0, 0, 0) && !day_is("2023-01-01x", 0, 0, 0),
       "time: date_parse: a real day from 1970 to 9998, nothing else");
    x = minicc_time_date_next(minicc_time_date_next(a));
    ok(!strcmp(minicc_time_date_str(p, x), "2024-03-01"),
       "time: date_next across a leap day");
    ok(!strcmp(minicc_time_date_str(p, minicc_time_date_next(b)),
               "2025-01-01"), "time: date_next across a year");
    ok(minicc_time_date_days(e) == 0
       && minicc_time_date_days(b) - minicc_time_date_days(
              (minicc_date_t) { 2024, 1, 1 }) == 365,
       "time: date_days from 1970-01-01; 2024 has 366 days");
    ok(minicc_time_date_cmp(a, b) < 0 && minicc_time_date_cmp(b, a) > 0
       && minicc_time_date_cmp(a, a) == 0, "time: date_cmp");
}

static void test_utc(apr_pool_t *p)
{
    apr_time_t t;

    ok(!strcmp(minicc_time_str(p, utc(2027, 10, 31, 0, 30, 0) + 123456),
               "2027-10-31 00:30:00.123456"),
       "time: time_str writes UTC with microseconds");
    ok(minicc_time_parse("2027-10-31 01:10:00.000000", &t)
       && t == utc(2027, 10, 31, 1, 10, 0)
       && minicc_time_parse("2027-10-31 01:10:00", &t)
       && !minicc_time_parse("2027-10-31T01:10", &t)
       && !minicc_time_parse(NULL, &t), "time: time_parse reads UTC");
    ok(minicc_time_clock_parse("2027-10-31 00:59:30.5Z", &t)
       && t == utc(2027, 10, 31, 0, 59, 30) + 500000
       && !minicc_time_clock_parse("2027-10-31 00:59:30", &t)
       && !minicc_time_clock_parse("2027-13-31 00:59:30Z", &t),
       "time: clock_parse: a moment in UTC, Z required");
    ok(minicc_time_local_check("2026-12-13 03:00:00")
       && !minicc_time_local_check("2026-12-13 03:00")
       && !minicc_time_local_check("2026-12-13 24:00:00"),
       "time: local_check: YYYY-MM-DD HH:MM:SS");
}

/* In Europe/Berlin: 2027-10-31 03:00 CEST is 02:00 CET (01:00 UTC), and
 * 2027-03-28 02:00 CET is 03:00 CEST (01:00 UTC). */
static void test_local(apr_pool_t *p)
{
    minicc_date_t autumn = { 2027, 10, 31 }, spring = { 2027, 3, 28 };

    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    ok(minicc_time_day_start(autumn) == utc(2027, 10, 30, 22, 0, 0)
       && minicc_time_day_start(minicc_time_date_next(autumn))
          == utc(2027, 10, 31, 23, 0, 0),
       "time: day_start: the autumn day is 25 hours (22:00 UTC to 23:00 UTC)");
    ok(minicc_time_day_start(spring) == utc(2027, 3, 27, 23, 0, 0)
       && minicc_time_day_start(minicc_time_date_next(spring))
          == utc(2027, 3, 28, 22, 0, 0),
       "time: day_start: the spring day is 23 hours");
    ok(!strcmp(minicc_time_local(p, "2027-10-31 00:30:00.000000", 'T'),
               "2027-10-31T02:30:00")
       && !strcmp(minicc_time_local(p, "2027-10-31 01:30:00.000000", 'T'),
                  "2027-10-31T02:30:00")
       && !strcmp(minicc_time_local(p, "2027-10-31 02:30:00", ' '),
                  "2027-10-31 03:30:00"),
       "time: time_local: both 02:30s of the autumn, then 03:30 CET");
    ok(!strcmp(minicc_time_local(p, "not a time", 'T'), "not a time"),
       "time: time_local: what does not parse, as it is");
    setenv("TZ", "UTC", 1);
    tzset();
}

static int open_at(const minicc_hours_t *h, const char *test)
{
    minicc_when_t w;

    minicc_time_when(0, test, &w);
    return minicc_time_hours_open(h, &w);
}

static void test_hours(apr_pool_t *p)
{
    minicc_hours_t *h = NULL;
    minicc_when_t w;
    const char *err;

    ok(!minicc_time_hours_add(p, &h, "Mon-Fri 09:00-17:00")
       && !minicc_time_hours_add(p, &h, "Sat 10:00-13:00")
       && !minicc_time_hours_add(p, &h, "Sun,Wed 22:00-24:00"),
       "time: hours_add: ranges, a list, 24:00");
    /* 2026-12-14 is a Monday */
    ok(open_at(h, "2026-12-14 09:00:00") && !open_at(h, "2026-12-14 08:59:00")
       && open_at(h, "2026-12-14 16:59:00") && !open_at(h, "2026-12-14 17:00:00")
       && open_at(h, "2026-12-19 12:00:00") && !open_at(h, "2026-12-19 13:00:00")
       && open_at(h, "2026-12-13 23:59:00") && open_at(h, "2026-12-16 22:00:00")
       && !open_at(h, "2026-12-15 22:00:00"),
       "time: hours_open: the minutes each range gives, and no other");
    ok(minicc_time_hours_open(NULL, &w) == 1, "time: no MiniCCHours: open");
    err = minicc_time_hours_add(p, &h, "Mon-Fry 09:00-17:00");
    ok(err && strstr(err, "'Fry' is not a day"), "time: hours_add names a bad day");
    err = minicc_time_hours_add(p, &h, "Mon 09:00-08:00");
    ok(err && strstr(err, "ends before it starts"), "time: hours_add: a range backwards");
    err = minicc_time_hours_add(p, &h, "Mon 24:00-24:00");
    ok(err && strstr(err, "is not a time"), "time: hours_add: 24:00 only ends a range");
    minicc_time_when(0, "2026-12-13 03:00:00", &w);
    ok(!strcmp(w.date, "2026-12-13") && w.wday == 0 && w.minute == 180,
       "time: when of a test time: its date, Sunday, minute 180");
}

void test_time(apr_pool_t *p)
{
    test_dates(p);
    test_utc(p);
    test_local(p);
    test_hours(p);
}
