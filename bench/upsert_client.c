/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * bench/upsert_client: the baseline for minicc-exit, -status, -guidance and
 * -operator.  It runs the module's own upsert (the SQL text is given, as
 * captured from MariaDB's general log while Apache prepared it) from N
 * threads, one connection each, as a prepared statement through libmariadb:
 * what a plain C program would do, with no HTTP and no pool.
 *
 *   upsert_client -P port -t threads -d seconds -w warmup -f sqlfile
 *                 -r runid [-H host] [--ping] [--same] [-b rows]
 *
 * Values mirror bench/webhook.lua's bodies, and are bound the way
 * apr_dbd_mysql binds them: every value as a string (MYSQL_TYPE_VAR_STRING),
 * missing ones as NULL, Time as "YYYY-MM-DD HH:MM:SS.uuuuuu" local time.
 * Every execution has a fresh CallSid ("CA" + runid + thread + counter),
 * so that each one inserts a row, like the webhooks in the benchmark.
 * operator_sessions rows are those of a loop request: State ready, Since
 * the request's time, Queue the default MiniCCQueue (support), so that
 * its triggers store the call's first state as the module's rows do.
 *
 * --same gives each thread one CallSid for all its executions: the loop
 * requests of an operator call already on the line, which update its row
 * (bench/run's "on the line" rows).
 *
 * --ping adds mysql_ping() before every execution: what mod_dbd's
 * ap_dbd_acquire() does on every request, to show what that round trip
 * costs.
 *
 * -b N writes N rows per statement (the VALUES group repeated N times: one
 * round trip and one commit for N rows), to show what batching the rows
 * of concurrent requests could gain.  Rates are still rows per second.
 *
 * Prints one line:
 *   RESULT requests=N duration_s=S rps=R p50_ms=.. p99_ms=.. errors=E
 *
 * Build: cc -O2 -o upsert_client upsert_client.c $(mariadb_config --cflags --libs) -lpthread
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#define MAX_COLS 32             /* columns of one row */
#define HIST_US 200000          /* latency histogram: 1 µs buckets to 200 ms */

static const char *host = "127.0.0.1", *user = "minicc", *pass = "minicc",
                  *dbname = "minicc", *runid = "00000000";
static unsigned int port = 3306;
static int do_ping, same, batch = 1;
static char *sql;
static char columns[MAX_COLS][64];
static int ncolumns;

static atomic_int measuring, stopping, ready;

typedef struct {
    int id;
    pthread_t thread;
    unsigned long long requests, errors;
    uint32_t *hist;             /* latency, µs */
    unsigned long long over;    /* beyond the histogram */
    unsigned int seed;
} worker_t;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The column list of "INSERT INTO `t` (`a`, `b`, ...) VALUES": which value
 * goes to which placeholder. */
static int parse_columns(const char *s)
{
    const char *p = strchr(s, '('), *end = p ? strchr(p, ')') : NULL;

    if (!p || !end) {
        return -1;
    }
    for (p++; p < end && ncolumns < MAX_COLS;) {
        const char *a = strchr(p, '`'), *b = a ? strchr(a + 1, '`') : NULL;

        if (!a || !b || a > end) {
            break;
        }
        snprintf(columns[ncolumns], sizeof(columns[0]), "%.*s",
                 (int)(b - a - 1), a + 1);
        ncolumns++;
        p = b + 1;
    }
    return ncolumns;
}

static void arrival(char *buf, size_t len)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%06ld",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

/* The value bench/webhook.lua would send for this column (NULL: a
 * parameter Twilio does not send there, stored as NULL by the module). */
static const char *value_for(worker_t *w, const char *col, char *scratch,
                             size_t len, const char *callsid,
                             const char *when, const char *from)
{
    if (!strcmp(col, "CallSid")) return callsid;
    if (!strcmp(col, "From") || !strcmp(col, "telnum")) return from;
    if (!strcmp(col, "To")) return "+18005551212";
    if (!strcmp(col, "CallStatus")) return "completed";
    if (!strcmp(col, "ApiVersion")) return "2010-04-01";
    if (!strcmp(col, "Direction")) return "inbound";
    if (!strcmp(col, "QueueResult"))
        return rand_r(&w->seed) % 10 < 7 ? "bridged" : "hangup";
    if (!strcmp(col, "QueueSid")) return "QUfedcba9876543210fedcba9876543210";
    if (!strcmp(col, "QueueTime")) {
        snprintf(scratch, len, "%d", rand_r(&w->seed) % 301);
        return scratch;
    }
    if (!strcmp(col, "CallDuration")) {
        snprintf(scratch, len, "%d", 10 + rand_r(&w->seed) % 891);
        return scratch;
    }
    if (!strcmp(col, "DequeingCallSid")) {
        snprintf(scratch, len, "CA%08x%08x%08x%08x", rand_r(&w->seed),
                 rand_r(&w->seed), rand_r(&w->seed), rand_r(&w->seed));
        return scratch;
    }
    if (!strcmp(col, "Time") || !strcmp(col, "Started")
        || !strcmp(col, "LastSeen") || !strcmp(col, "Since")) return when;
    if (!strcmp(col, "State")) return "ready";
    if (!strcmp(col, "Queue")) return "support";
    return NULL;        /* ForwardedFrom, CallerName, Recording* */
}

static void *work(void *arg)
{
    worker_t *w = arg;
    MYSQL *my = mysql_init(NULL);
    MYSQL_STMT *st;
    int nparams = ncolumns * batch;
    MYSQL_BIND *bind = calloc(nparams, sizeof(*bind));
    unsigned long *lens = calloc(nparams, sizeof(*lens));
    char (*scratch)[48] = calloc(nparams, 48);
    char (*sids)[40] = calloc(batch, 40);
    char when[96], from[24];
    unsigned long long counter = 0;

    if (!mysql_real_connect(my, host, user, pass, dbname, port, NULL, 0)) {
        fprintf(stderr, "upsert_client: connect: %s\n", mysql_error(my));
        exit(1);
    }
    st = mysql_stmt_init(my);
    if (mysql_stmt_prepare(st, sql, strlen(sql))) {
        fprintf(stderr, "upsert_client: prepare: %s\n", mysql_stmt_error(st));
        exit(1);
    }
    if ((int)mysql_stmt_param_count(st) != nparams) {
        fprintf(stderr, "upsert_client: %lu placeholders, %d expected\n",
                mysql_stmt_param_count(st), nparams);
        exit(1);
    }
    atomic_fetch_add(&ready, 1);
    while (!atomic_load(&stopping)) {
        double t0, t1;
        int i, m = atomic_load(&measuring);

        /* what mod_minicc does per request: build the row(s) ... */
        for (i = 0; i < batch; i++) {
            snprintf(sids[i], sizeof(sids[i]), "CA%s%04x%020llx", runid,
                     w->id & 0xffff, same ? (unsigned long long)i + 1
                                          : ++counter);
        }
        snprintf(from, sizeof(from), "+1415%07d", rand_r(&w->seed) % 10000000);
        arrival(when, sizeof(when));
        memset(bind, 0, sizeof(*bind) * nparams);
        for (i = 0; i < nparams; i++) {
            const char *v = value_for(w, columns[i % ncolumns], scratch[i],
                                      sizeof(scratch[i]), sids[i / ncolumns],
                                      when, from);
            if (!v) {
                bind[i].buffer_type = MYSQL_TYPE_NULL;
            }
            else {
                lens[i] = strlen(v);
                bind[i].buffer_type = MYSQL_TYPE_VAR_STRING;
                bind[i].buffer = (void *)v;
                bind[i].buffer_length = lens[i];
                bind[i].length = &lens[i];
            }
        }
        /* ... and run it (timed) */
        t0 = now_s();
        if (do_ping && mysql_ping(my)) {
            w->errors += m;
            continue;
        }
        if (mysql_stmt_bind_param(st, bind) || mysql_stmt_execute(st)) {
            if (m) {
                w->errors++;
                if (w->errors <= 3) {
                    fprintf(stderr, "upsert_client: %s\n", mysql_stmt_error(st));
                }
            }
            continue;
        }
        t1 = now_s();
        if (m) {
            unsigned long us = (unsigned long)((t1 - t0) * 1e6);

            w->requests += batch;
            if (us < HIST_US) {
                w->hist[us] += batch;
            }
            else {
                w->over += batch;
            }
        }
    }
    mysql_stmt_close(st);
    mysql_close(my);
    mysql_thread_end();
    return NULL;
}

/* The statement with its VALUES group repeated n times:
 * "INSERT ... VALUES (?, ?) ON ..." -> "... VALUES (?, ?), (?, ?) ON ...". */
static char *batched(const char *s, int n)
{
    const char *v = strstr(s, "VALUES ("), *close;
    char *out;
    size_t glen, len;
    int i;

    if (n <= 1 || !v || !(close = strchr(v, ')'))) {
        return (char *)s;
    }
    v += strlen("VALUES ");
    glen = (size_t)(close + 1 - v);
    len = strlen(s) + (glen + 2) * (n - 1) + 1;
    out = malloc(len);
    memcpy(out, s, (size_t)(close + 1 - s));
    len = (size_t)(close + 1 - s);
    for (i = 1; i < n; i++) {
        memcpy(out + len, ", ", 2);
        memcpy(out + len + 2, v, glen);
        len += glen + 2;
    }
    strcpy(out + len, close + 1);
    return out;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;

    if (!f) {
        fprintf(stderr, "upsert_client: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, n + 1);
    if (fread(buf, 1, n, f) != (size_t)n) {
        exit(2);
    }
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    return buf;
}

static double percentile(uint32_t *hist, unsigned long long total,
                         double pct)
{
    unsigned long long want = (unsigned long long)(total * pct / 100.0), seen = 0;
    int us;

    for (us = 0; us < HIST_US; us++) {
        seen += hist[us];
        if (seen > want) {
            return us / 1000.0;
        }
    }
    return HIST_US / 1000.0;
}

int main(int argc, char **argv)
{
    int nthreads = 1, i, us;
    double seconds = 10, warmup = 2, t0, t1;
    const char *sqlfile = NULL;
    worker_t *w;
    uint32_t *hist;
    unsigned long long total = 0, errors = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--ping")) { do_ping = 1; continue; }
        if (!strcmp(a, "--same")) { same = 1; continue; }
        if (!v) { fprintf(stderr, "upsert_client: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-b")) batch = atoi(v);
        else if (!strcmp(a, "-P")) port = atoi(v);
        else if (!strcmp(a, "-t")) nthreads = atoi(v);
        else if (!strcmp(a, "-d")) seconds = atof(v);
        else if (!strcmp(a, "-w")) warmup = atof(v);
        else if (!strcmp(a, "-f")) sqlfile = v;
        else if (!strcmp(a, "-r")) runid = v;
        else if (!strcmp(a, "-u")) user = v;
        else if (!strcmp(a, "-p")) pass = v;
        else if (!strcmp(a, "-D")) dbname = v;
        else { fprintf(stderr, "upsert_client: unknown option %s\n", a); return 2; }
        i++;
    }
    if (!sqlfile || nthreads < 1 || strlen(runid) != 8 || batch < 1) {
        fprintf(stderr, "usage: upsert_client -f sqlfile -r 8hexrunid [-P port] "
                "[-t threads] [-d seconds] [-w warmup] [--ping] [--same] [-b rows]\n");
        return 2;
    }
    sql = slurp(sqlfile);
    if (parse_columns(sql) < 1) {
        fprintf(stderr, "upsert_client: no column list in: %s\n", sql);
        return 2;
    }
    sql = batched(sql, batch);
    mysql_library_init(0, NULL, NULL);
    w = calloc(nthreads, sizeof(*w));
    for (i = 0; i < nthreads; i++) {
        w[i].id = i;
        w[i].seed = (unsigned int)time(NULL) ^ (i * 2654435761u);
        w[i].hist = calloc(HIST_US, sizeof(uint32_t));
        pthread_create(&w[i].thread, NULL, work, &w[i]);
    }
    while (atomic_load(&ready) < nthreads) {
        usleep(10000);
    }
    usleep((useconds_t)(warmup * 1e6));
    atomic_store(&measuring, 1);
    t0 = now_s();
    usleep((useconds_t)(seconds * 1e6));
    atomic_store(&measuring, 0);
    t1 = now_s();
    atomic_store(&stopping, 1);
    hist = calloc(HIST_US, sizeof(uint32_t));
    for (i = 0; i < nthreads; i++) {
        pthread_join(w[i].thread, NULL);
        total += w[i].requests + w[i].over;
        errors += w[i].errors;
        for (us = 0; us < HIST_US; us++) {
            hist[us] += w[i].hist[us];
        }
    }
    printf("RESULT requests=%llu duration_s=%.3f rps=%.1f p50_ms=%.3f "
           "p90_ms=%.3f p99_ms=%.3f errors=%llu\n", total, t1 - t0,
           total / (t1 - t0), percentile(hist, total, 50),
           percentile(hist, total, 90), percentile(hist, total, 99), errors);
    mysql_library_end();
    return 0;
}
