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
#include "minicc_rows.h"
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

/* A queue an operator serves (operator_queues), and its priority. */
typedef struct {
    const char *queue;
    int priority;
} skill_t;

/* One reading of the tables, in a pool of its own: replaced whole. */
typedef struct {
    apr_pool_t *pool;
    apr_hash_t *operators;      /* numbers, as stored */
    apr_hash_t *holidays;       /* YYYY-MM-DD, those from "from" on */
    apr_hash_t *queues;         /* queues with call-backs in line */
    apr_hash_t *skills;         /* number -> apr_array of skill_t, by
                                 * priority, then name */
    apr_hash_t *waiting;        /* queue -> long: the longest wait of its
                                 * callers waiting at the read, seconds */
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
 * (kind 1), every queue with call-backs in line (kind 2), every operator's
 * queue and its priority (kind 3) and every queue with callers waiting,
 * with the longest wait (kind 4), into the copy's tables (keys made in p;
 * values "", an operator's PIN hash, their queues, a wait); 0, or -1 when
 * it failed (logged). */
typedef struct {
    apr_pool_t *p;
    apr_hash_t *kinds[5];       /* operators, holidays, queues, skills,
                                 * waiting */
} reading_t;

/* A row of operator_queues, "PRIORITY QUEUE", into the operator's list,
 * in its place. */
static void add_skill(reading_t *rd, const char *telnum, const char *row)
{
    apr_array_header_t *all = apr_hash_get(rd->kinds[3], telnum,
                                           APR_HASH_KEY_STRING);
    const char *queue = strchr(row, ' ');
    skill_t s;
    int i;

    if (!queue || !queue[1]) {
        return;
    }
    s.priority = atoi(row);
    s.queue = apr_pstrdup(rd->p, queue + 1);
    if (!all) {
        all = apr_array_make(rd->p, 2, sizeof(skill_t));
        apr_hash_set(rd->kinds[3], telnum, APR_HASH_KEY_STRING, all);
    }
    apr_array_push(all);
    for (i = all->nelts - 1; i > 0; i--) {
        skill_t *before = &APR_ARRAY_IDX(all, i - 1, skill_t);

        if (before->priority < s.priority
            || (before->priority == s.priority
                && strcmp(before->queue, s.queue) <= 0)) {
            break;
        }
        APR_ARRAY_IDX(all, i, skill_t) = *before;
    }
    APR_ARRAY_IDX(all, i, skill_t) = s;
}

static void one_row(void *baton, const char *const *values)
{
    reading_t *rd = baton;
    const char *kind = values[0], *value = values[1], *pin = values[2];

    if (kind && value && *kind == '3' && pin) {
        add_skill(rd, apr_pstrdup(rd->p, value), pin);
    }
    else if (kind && value && *kind == '4' && pin) {
        long *longest = apr_palloc(rd->p, sizeof(*longest));

        *longest = atol(pin);
        apr_hash_set(rd->kinds[4], apr_pstrdup(rd->p, value),
                     APR_HASH_KEY_STRING, longest);
    }
    else if (kind && value && *kind >= '0' && *kind <= '2') {
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

static int read_callers(request_rec *r, apr_pool_t *p, copy_t *copy)
{
    reading_t rd;
    /* now, in UTC as the rows have it, twice */
    const char *at = minicc_arrival_time(r);
    const char *args[] = { copy->from, at, at };

    copy->operators = apr_hash_make(p);
    copy->holidays = apr_hash_make(p);
    copy->queues = apr_hash_make(p);
    copy->skills = apr_hash_make(p);
    copy->waiting = apr_hash_make(p);
    rd.p = p;
    rd.kinds[0] = copy->operators;
    rd.kinds[1] = copy->holidays;
    rd.kinds[2] = copy->queues;
    rd.kinds[3] = copy->skills;
    rd.kinds[4] = copy->waiting;
    return minicc_db_each_row(r, MINICC_STMT_CALLERS, 3, args, 3,
                              apr_psprintf(r->pool, "reading the operators "
                                           "and the holidays from %s on",
                                           copy->from), one_row, &rd);
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
    apr_cpystrn(copy->from, date, sizeof(copy->from));
    copy->asked = now;
    if (read_callers(r, p, copy)) {
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
    int skills;                 /* ask for telnum's next queue: */
    const char *next;           /* its name (in p), NULL: none */
    int nqueues;                /* how many queues they serve */
} question_t;

/* The queue an operator's loop serves next (doc/contract.txt 15): among
 * their queues with callers waiting or call-backs in line, the lowest
 * priority number, then the longest wait; with none, their first. */
static void choose(const copy_t *copy, question_t *q)
{
    const apr_array_header_t *all = apr_hash_get(copy->skills, q->telnum,
                                                 APR_HASH_KEY_STRING);
    const skill_t *best = NULL;
    long best_wait = -1;
    int i;

    if (!all || !all->nelts) {
        return;
    }
    for (i = 0; i < all->nelts; i++) {
        const skill_t *s = &APR_ARRAY_IDX(all, i, skill_t);
        const long *w = apr_hash_get(copy->waiting, s->queue,
                                     APR_HASH_KEY_STRING);
        long wait = w ? *w : -1;

        if (!w && !apr_hash_get(copy->queues, s->queue, APR_HASH_KEY_STRING)) {
            continue;
        }
        if (!best || s->priority < best->priority
            || (s->priority == best->priority && wait > best_wait)) {
            best = s;
            best_wait = wait;
        }
    }
    if (!best) {
        best = &APR_ARRAY_IDX(all, 0, skill_t);
    }
    q->nqueues = all->nelts;
    q->next = apr_pstrdup(q->p, best->queue);
}

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
    if (q->skills && q->telnum) {
        choose(copy, q);
    }
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

    apr_cpystrn(copy.from, q->date, sizeof(copy.from));
    if (read_callers(r, r->pool, &copy)) {
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
    question_t q = { telnum, date, NULL, 0, 0, 0, NULL, NULL, 0, NULL, 0 };

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
    question_t q = { telnum, date, NULL, 0, 0, 0, r->pool, NULL, 0, NULL,
                     0 };

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
    question_t q = { NULL, date, queue, 0, 0, 0, NULL, NULL, 0, NULL, 0 };

    return ask(r, &q) ? -1 : q.callbacks;
}

int minicc_callers_next_queue(request_rec *r, const char *telnum,
                              const char *date, const char **queue)
{
    question_t q = { telnum, date, NULL, 0, 0, 0, r->pool, NULL, 1, NULL,
                     0 };

    *queue = NULL;
    if (ask(r, &q)) {
        return -1;
    }
    *queue = q.next;
    return q.nqueues;
}
