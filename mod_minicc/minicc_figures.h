/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The figures of a range of days (figures.c), for the report and the live
 * view.
 */
#ifndef MINICC_FIGURES_H
#define MINICC_FIGURES_H

#include <httpd.h>

#include "minicc_config.h"
#include "minicc_sql.h"

/* The longest range a report covers (doc/contract.txt 17): a year, a leap
 * day included.  Each day of a range costs 24 hours of figures. */
#define MINICC_REPORT_MAX_DAYS 366

/* A number the database gave as text (NULL: 0). */
long minicc_num(const char *s);

/* An hour's or a day's calls. */
typedef struct {
    const char *when;       /* YYYY-MM-DDTHH, or YYYY-MM-DD */
    long offered, answered, abandoned;
} minicc_counts_t;

/* An operator's figures (doc/contract.txt 13), as text: the pick-ups and
 * the seconds of each state in the range; handle: (talk + wrap-up) per
 * pick-up; occupancy: talk / (talk + ready). */
enum {
    MINICC_OPF_TELNUM, MINICC_OPF_ANSWERED, MINICC_OPF_TALK,
    MINICC_OPF_WRAPUP, MINICC_OPF_BREAK, MINICC_OPF_BREAKS,
    MINICC_OPF_LOGGED_IN, MINICC_OPF_HANDLE, MINICC_OPF_OCCUPANCY,
    MINICC_OPF_COLS
};
/* A queue's figures (doc/contract.txt 15): the queue, offered, answered,
 * abandoned, the abandon rate, the ASA and the service level (with the
 * queue's MiniCCQueueServiceLevel) and its threshold. */
enum {
    MINICC_QF_QUEUE, MINICC_QF_OFFERED, MINICC_QF_ANSWERED,
    MINICC_QF_ABANDONED, MINICC_QF_RATE, MINICC_QF_ASA, MINICC_QF_LEVEL,
    MINICC_QF_LEVEL_SECONDS, MINICC_QF_COLS
};
/* An operator's breaks of one reason: how many, how long. */
enum {
    MINICC_BRK_TELNUM, MINICC_BRK_REASON, MINICC_BRK_COUNT,
    MINICC_BRK_SECONDS, MINICC_BRK_COLS
};

typedef struct {
    const char *from_s, *to_s;
    const char *queue;              /* the filter; NULL: none */
    long offered, answered, abandoned, short_abandoned, longest_wait;
    long pickups, within_level;
    double asa, avg_call, abandon_rate, service_level;
    int service_level_seconds, short_abandon_seconds;
    apr_array_header_t *hours;      /* minicc_counts_t, every hour of the
                                     * range */
    apr_array_header_t *days;       /* minicc_counts_t, every day: the
                                     * hours' sums */
    long waits[MINICC_WAIT_BUCKETS];    /* pick-ups per bar of queue time */
    apr_array_header_t *operators;  /* const char *[MINICC_OPF_COLS] */
    apr_array_header_t *breaks;     /* const char *[MINICC_BRK_COLS] */
    apr_array_header_t *queues;     /* const char *[MINICC_QF_COLS] */
    apr_array_header_t *abandoned_calls; /* const char *[3]: from, time, wait */
    long closed_calls;              /* turned away: closed, holiday */
    long overflowed;                /* overflow, max-wait, queue-full */
    long voicemails;
    apr_array_header_t *voicemail_list; /* const char *[6]: from, time,
                                         * reason, duration, url, total */
    apr_array_header_t *recording_list; /* const char *[MINICC_REC_COLS] */
    double csat_mean;               /* the callers' mean score, 1..5 */
    long csat_responses;
    apr_array_header_t *csat_operators; /* const char *[MINICC_CSAT_COLS] */
    apr_array_header_t *csat_queues;    /* the same, per queue */
    long cb_requested, cb_completed, cb_failed, cb_pending;
    double cb_mean;                 /* seconds from asking to dialling */
    apr_array_header_t *callback_list;  /* const char *[5]: from, time,
                                         * status, attempts, outcome */
    int spool_backlog;
} minicc_figures_t;

/* The figures of the days from .. to (inclusive); with a queue (NULL:
 * every queue), the callers' figures, hours, days and waits of that
 * queue alone, with its service level, and its item of queues (the
 * operators, the calls' length and the lists stay the whole center's:
 * doc/contract.txt 15); 0 when a statement failed (logged). */
int minicc_figures_gather(request_rec *r, const minicc_dir_conf *conf,
                          minicc_date_t from, minicc_date_t to,
                          const char *queue, minicc_figures_t *f);

#endif /* MINICC_FIGURES_H */
