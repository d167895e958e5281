/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The first contact's question, operator or customer, open or holiday,
 * answered from memory: a SELECT per call made the first contact wait for
 * the database (doc/performance.txt, "The first contact's copy").  Each
 * child keeps a copy of the operators, of the holidays from some day on
 * and of the queues with call-backs in line (for the operators' loop), and
 * the first request that finds the copy older than FRESH reads them again,
 * in one statement, while the others go on answering from the copy, or
 * wait for the read when the copy is older than a second: a change is seen
 * within a second.  When the database cannot be read, the last copy
 * answers (logged), and a read is tried again every RETRY; a child that
 * never read the tables has no answer (the trouble message of
 * doc/contract.txt, 2).
 */
#include "mod_minicc_private.h"
#include "minicc_callers.h"
#include "minicc_child.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_lock.h"
#include "minicc_throttle.h"

#include <apr_hash.h>
#include <apr_lib.h>
#if APR_HAS_THREADS
#include <apr_thread_cond.h>
#endif

/* Read again after FRESH, so that a change committed just after a read is
 * seen by the first contacts of the next second, the read included. */
#define FRESH apr_time_from_msec(900)
/* A copy this old does not answer while a read is on its way: the
 * request waits for the read (RETRY at most), so that a change is seen
 * within the second promised. */
#define STALE apr_time_from_sec(1)
/* After a read failed, the next not before RETRY: a database that is away
 * is asked twice a second per child, not by every caller. */
#define RETRY apr_time_from_msec(500)

/* One reading of the tables, in a pool of its own: replaced whole. */
typedef struct {
    apr_pool_t *pool;
    apr_hash_t *operators;      /* numbers, as stored */
    apr_hash_t *holidays;       /* YYYY-MM-DD, those from "from" on */
    apr_hash_t *queues;         /* queues with call-backs in line */
    char from[16];
    apr_time_t asked;           /* when the statement was sent */
} copy_t;

typedef struct {
    minicc_mutex_t *lock;       /* NULL under a MPM without threads */
#if APR_HAS_THREADS
    apr_thread_cond_t *read;    /* a read ended */
#endif
    copy_t *copy;               /* NULL until a read worked */
    int reading;                /* a request reads the tables now */
    int failed;                 /* the last read failed */
    apr_time_t tried;           /* when the last read began */
    minicc_throttle_t *old;     /* AH30801, once a second */
} callers_t;

/* While another request reads, when the copy cannot answer (a child that
 * starts, a date before the copy's) or is older than STALE. */
static void wait_for_read(callers_t *c)
{
#if APR_HAS_THREADS
    if (c->lock) {
        apr_thread_cond_timedwait(c->read, c->lock, RETRY);
    }
#else
    (void)c;
#endif
}

static void read_ended(callers_t *c)
{
#if APR_HAS_THREADS
    if (c->lock) {
        apr_thread_cond_broadcast(c->read);
    }
#else
    (void)c;
#endif
}

static apr_status_t drop_copy(void *data)
{
    callers_t *c = data;

    if (c->copy) {
        apr_pool_destroy(c->copy->pool);
        c->copy = NULL;
    }
    return APR_SUCCESS;
}

void minicc_callers_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threaded = minicc_child_threaded();
    server_rec *sp;

    for (sp = s; sp; sp = sp->next) {
        callers_t *c = apr_pcalloc(pchild, sizeof(*c));

#if APR_HAS_THREADS
        if (threaded) {
            apr_status_t rv = minicc_mutex_create(&c->lock, pchild);

            if (rv == APR_SUCCESS) {
                rv = apr_thread_cond_create(&c->read, pchild);
            }
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_ERR, rv, sp, APLOGNO(30802)
                             "creating the lock of this child's copy of the "
                             "operators and holidays failed: each first "
                             "contact reads the tables");
                continue;
            }
        }
#endif
        c->old = minicc_throttle_create(pchild, threaded);
        /* the copies live in pools of their own (unmanaged: made and
         * destroyed while other threads make subpools of pchild) */
        apr_pool_cleanup_register(pchild, c, drop_copy,
                                  apr_pool_cleanup_null);
        minicc_child_set(pchild, sp, MINICC_CHILD_CALLERS, c);
    }
}

/* The one statement of the copy (sql.c's MINICC_STMT_CALLERS): every
 * operator's number and PIN hash (kind 0), every holiday on or after from
 * (kind 1) and every queue with call-backs in line (kind 2), into the
 * copy's tables (keys made in p; values "", or an operator's PIN hash);
 * 0, or -1 when it failed (logged). */
typedef struct {
    apr_pool_t *p;
    apr_hash_t *kinds[3];       /* operators, holidays, queues */
} reading_t;

static void one_row(void *baton, const char *const *values)
{
    reading_t *rd = baton;
    const char *kind = values[0], *value = values[1], *pin = values[2];

    if (kind && value && *kind >= '0' && *kind <= '2') {
        char *hash = NULL;

        value = apr_pstrdup(rd->p, value);
        if (*kind == '0' && pin) {
            /* a hash pasted with the line's end: htpasswd -nbB prints
             * two */
            apr_size_t n = strlen(pin);

            while (n && apr_isspace(pin[n - 1])) {
                n--;
            }
            hash = apr_pstrmemdup(rd->p, pin, n);
        }
        apr_hash_set(rd->kinds[*kind - '0'], value, APR_HASH_KEY_STRING,
                     hash ? hash : "");
    }
}

static int read_callers(request_rec *r, apr_pool_t *p, const char *from,
                        apr_hash_t *operators, apr_hash_t *holidays,
                        apr_hash_t *queues)
{
    reading_t rd;

    rd.p = p;
    rd.kinds[0] = operators;
    rd.kinds[1] = holidays;
    rd.kinds[2] = queues;
    return minicc_db_each_row(r, MINICC_STMT_CALLERS, 1, &from, 3,
                              apr_psprintf(r->pool, "reading the operators "
                                           "and the holidays from %s on",
                                           from), one_row, &rd);
}

/* A new copy read from the database, from the date on; NULL when the read
 * failed (logged by db.c). */
static copy_t *read_copy(request_rec *r, const char *date, apr_time_t now)
{
    apr_pool_t *p;
    copy_t *copy;

    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) {
        return NULL;
    }
    copy = apr_pcalloc(p, sizeof(*copy));
    copy->pool = p;
    copy->operators = apr_hash_make(p);
    copy->holidays = apr_hash_make(p);
    copy->queues = apr_hash_make(p);
    apr_cpystrn(copy->from, date, sizeof(copy->from));
    copy->asked = now;
    if (read_callers(r, p, copy->from, copy->operators, copy->holidays,
                     copy->queues)) {
        apr_pool_destroy(p);
        return NULL;
    }
    return copy;
}

/* Whether the copy knows about date: its holidays are those from its
 * "from" on (dates compare as strings). */
static int covers(const copy_t *copy, const char *date)
{
    return copy && strcmp(date, copy->from) >= 0;
}

/* A question to the copy, asked under the lock. */
typedef struct {
    const char *telnum;         /* is this an operator's number */
    const char *date;           /* is this day a holiday */
    const char *queue;          /* has this queue call-backs in line */
    int operator, holiday, callbacks;
    apr_pool_t *p;              /* where the answer's PIN is copied */
    const char *pin;            /* the operator's PIN hash, or NULL */
} question_t;

static void answer(const copy_t *copy, question_t *q)
{
    const char *pin = q->telnum ? apr_hash_get(copy->operators, q->telnum,
                                               APR_HASH_KEY_STRING) : NULL;

    q->holiday = q->date && apr_hash_get(copy->holidays, q->date,
                                         APR_HASH_KEY_STRING) != NULL;
    q->operator = pin != NULL;
    q->pin = pin && *pin && q->p ? apr_pstrdup(q->p, pin) : NULL;
    q->callbacks = q->queue && apr_hash_get(copy->queues, q->queue,
                                            APR_HASH_KEY_STRING) != NULL;
}

/* The last copy answers although it is older than FRESH: a read failed. */
static void log_old(request_rec *r, callers_t *c, apr_time_t now)
{
    int held;

    if (minicc_throttle_pass(c->old, now, apr_time_from_sec(1), &held)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30801)
                      "answered from the operators, holidays and call-backs "
                      "read %" APR_TIME_T_FMT " s ago: reading them again "
                      "failed or is slow (%d more answers since the last "
                      "such line)", apr_time_sec(now - c->copy->asked),
                      held);
    }
}

/* Without a copy of the child's (no lock): the tables are read for this
 * request alone.  0, or -1 when that failed. */
static int read_alone(request_rec *r, question_t *q)
{
    copy_t copy;

    copy.operators = apr_hash_make(r->pool);
    copy.holidays = apr_hash_make(r->pool);
    copy.queues = apr_hash_make(r->pool);
    apr_cpystrn(copy.from, q->date, sizeof(copy.from));
    if (read_callers(r, r->pool, copy.from, copy.operators, copy.holidays,
                     copy.queues)) {
        return -1;
    }
    answer(&copy, q);
    return 0;
}

/* Answers q from the child's copy, read again first when it is older than
 * FRESH or does not hold q->date; 0, or -1 when there is no copy to answer
 * from. */
static int ask(request_rec *r, question_t *q)
{
    callers_t *c = minicc_child_get(r->server, MINICC_CHILD_CALLERS);
    const char *date = q->date;
    apr_time_t now = apr_time_now();
    copy_t *copy;
    int found, waited = 0;

    if (!c) {
        return read_alone(r, q);
    }
    minicc_lock(c->lock);
    for (;;) {
        int known = covers(c->copy, date);
        int resting = c->failed && now - c->tried < RETRY;
        apr_interval_time_t age = known ? now - c->copy->asked : 0;

        /* while another request reads, a copy within the promised second
         * answers; an older one after the read (or, when the database is
         * slow, after RETRY of waiting for it) */
        if (known && (age < FRESH || resting
                      || (c->reading && (age < STALE || waited)))) {
            if (age >= FRESH && (resting || waited)) {
                log_old(r, c, now);
            }
            answer(c->copy, q);
            minicc_unlock(c->lock);
            return 0;
        }
        if (!c->reading) {
            if (resting) {
                /* no copy to answer from, and the database was away a
                 * moment ago (logged then) */
                minicc_unlock(c->lock);
                return -1;
            }
            break;
        }
        wait_for_read(c);
        waited = 1;
        now = apr_time_now();
    }
    c->reading = 1;
    c->tried = now;
    minicc_unlock(c->lock);

    copy = read_copy(r, date, now);

    minicc_lock(c->lock);
    c->reading = 0;
    c->failed = !copy;
    if (copy) {
        drop_copy(c);
        c->copy = copy;
    }
    read_ended(c);
    found = covers(c->copy, date);
    if (found) {
        if (!copy) {
            log_old(r, c, now);
        }
        answer(c->copy, q);
    }
    minicc_unlock(c->lock);
    return found ? 0 : -1;
}

minicc_caller_e minicc_callers_lookup(request_rec *r, const char *telnum,
                                      const char *date, int *holiday)
{
    question_t q = { telnum, date, NULL, 0, 0, 0, NULL, NULL };

    *holiday = 0;
    if (ask(r, &q)) {
        return MINICC_LOOKUP_FAILED;
    }
    *holiday = q.holiday;
    return q.operator ? MINICC_OPERATOR : MINICC_CUSTOMER;
}

minicc_caller_e minicc_callers_pin(request_rec *r, const char *telnum,
                                   const char *date, const char **pin)
{
    question_t q = { telnum, date, NULL, 0, 0, 0, r->pool, NULL };

    *pin = NULL;
    if (ask(r, &q)) {
        return MINICC_LOOKUP_FAILED;
    }
    *pin = q.pin;
    return q.operator ? MINICC_OPERATOR : MINICC_CUSTOMER;
}

int minicc_callers_callbacks_waiting(request_rec *r, const char *queue,
                                     const char *date)
{
    question_t q = { NULL, date, queue, 0, 0, 0, NULL, NULL };

    return ask(r, &q) ? -1 : q.callbacks;
}
