/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Time (time.c): the report's days, the rows' times (UTC) and the local
 * time they are shown in, and the opening hours.  APR only.
 */
#ifndef MINICC_TIME_H
#define MINICC_TIME_H

#include <apr_pools.h>
#include <apr_time.h>

/* ---- days ---- */

typedef struct {
    int y, m, d;
} minicc_date_t;

/* YYYY-MM-DD, a real day from 1970 to 9998: 1, else 0. */
int minicc_time_date_parse(const char *s, minicc_date_t *out);
minicc_date_t minicc_time_date_next(minicc_date_t d);
int minicc_time_date_cmp(minicc_date_t a, minicc_date_t b);
/* The day's number, counted from 1970-01-01 (0). */
long minicc_time_date_days(minicc_date_t d);
const char *minicc_time_date_str(apr_pool_t *p, minicc_date_t d);
/* The moment the local day d begins (the process's zone, TZ; a midnight
 * the clocks repeat: the first; one they skip: the day's first moment). */
apr_time_t minicc_time_day_start(minicc_date_t d);

/* ---- the rows' times: UTC ---- */

/* t as the rows store it: UTC, "YYYY-MM-DD HH:MM:SS.UUUUUU", in p. */
const char *minicc_time_str(apr_pool_t *p, apr_time_t t);
/* A stored time (UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]") to *t: 1, else 0. */
int minicc_time_parse(const char *s, apr_time_t *t);
/* A stored time as local "YYYY-MM-DD?HH:MM:SS" (? is sep), in p; one that
 * does not parse as it is. */
const char *minicc_time_local(apr_pool_t *p, const char *utc, char sep);
/* MiniCCTestClock's "YYYY-MM-DD HH:MM:SS[.ffffff]Z" (a moment, UTC) to
 * *t: 1, else 0. */
int minicc_time_clock_parse(const char *s, apr_time_t *t);
/* MiniCCTestTime's "YYYY-MM-DD HH:MM:SS" (a local time): 1 if it is one. */
int minicc_time_local_check(const char *s);

/* ---- opening hours (MiniCCHours) ---- */

/* The minutes of each day of the week the line is open. */
typedef struct minicc_hours minicc_hours_t;

/* Adds one "DAYS HH:MM-HH:MM" (Mon-Fri, Mon,Wed,Fri; 24:00 may end a
 * range) to *hours (made in pool when NULL): NULL, or what is wrong with
 * it (naming it), in pool. */
const char *minicc_time_hours_add(apr_pool_t *pool, minicc_hours_t **hours,
                                  const char *arg);

/* A moment as the opening hours see it: the local date, the day of the
 * week (0 Sunday) and the minute of the day. */
typedef struct {
    char date[11];              /* YYYY-MM-DD */
    int wday;
    int minute;
} minicc_when_t;

/* t in local time, or the local time test ("YYYY-MM-DD HH:MM:SS",
 * checked by minicc_time_local_check) when not NULL. */
void minicc_time_when(apr_time_t t, const char *test, minicc_when_t *when);
/* Whether hours let customers in at when (NULL hours: always). */
int minicc_time_hours_open(const minicc_hours_t *hours,
                           const minicc_when_t *when);

#endif /* MINICC_TIME_H */
