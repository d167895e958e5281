/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Nothing lost (doc/contract.txt, 4): a row the database cannot take now
 * is appended to the MiniCCSpool file (record.c) and flushed to disk
 * before the caller hears anything, and a thread in every child writes the
 * spool back once the database answers again, one replayer at a time
 * across the server.
 *
 * Files, all beside the spool and owned by the server's user:
 *   PATH          the rows waiting (spoolfmt.c's records)
 *   PATH.lock     held (flock) while the spool file is appended to or
 *                 compacted: short, never across a database call
 *   PATH.replay   held (flock, non-blocking) by the one replayer at work
 *   PATH.rejects  rows the database refused for good, for a human
 *
 * flock(2), not apr_file_lock: APR takes fcntl locks, which belong to the
 * process, so two threads of one child would both "hold" the same lock.
 * Every flock is taken on a descriptor opened for that purpose, so threads
 * exclude each other as processes do, whatever the MPM.
 */
#include "mod_minicc_private.h"
#include "minicc_child.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_metrics.h"
#include "minicc_spool.h"
#include "minicc_spoolfmt.h"
#include "minicc_worker.h"

#include <http_protocol.h>
#include <unixd.h>
#include <apr_thread_mutex.h>
#include <apr_portable.h>

#include <errno.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often each child looks at the spool: a stat(2), nothing more, while
 * it is empty.  While the database keeps refusing, a child waits longer
 * between attempts (up to 30 seconds), so an outage does not fill the log. */
#define REPLAY_INTERVAL apr_time_from_sec(3)
#define REPLAY_INTERVAL_MAX apr_time_from_sec(30)

static const char *lock_path(apr_pool_t *p, const char *spool)
{
    return apr_pstrcat(p, spool, ".lock", NULL);
}

static const char *replay_lock_path(apr_pool_t *p, const char *spool)
{
    return apr_pstrcat(p, spool, ".replay", NULL);
}

static const char *rejects_path(apr_pool_t *p, const char *spool)
{
    return apr_pstrcat(p, spool, ".rejects", NULL);
}

/* Opens path and takes an exclusive flock on it; closing the file (or its
 * pool going away) releases it.  APR_EAGAIN when nonblocking and taken. */
static apr_status_t lock_file(apr_pool_t *p, const char *path, int nonblock,
                              apr_file_t **out)
{
    apr_file_t *f;
    apr_os_file_t fd;
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ
                                    | APR_FOPEN_CREATE, APR_FPROT_UREAD
                                    | APR_FPROT_UWRITE, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_os_file_get(&fd, f);
    while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) != 0) {
        if (errno != EINTR) {
            rv = (errno == EWOULDBLOCK) ? APR_EAGAIN : APR_FROM_OS_ERROR(errno);
            apr_file_close(f);
            return rv;
        }
    }
    *out = f;
    return APR_SUCCESS;
}

/* Appends one record to path under the spool's lock and flushes it to the
 * disk before returning. */
static apr_status_t append_record(apr_pool_t *p, const char *spool,
                                  const char *path, const char *rec,
                                  apr_size_t len)
{
    apr_file_t *lock, *f;
    apr_status_t rv = lock_file(p, lock_path(p, spool), 0, &lock);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_APPEND
                       | APR_FOPEN_CREATE, APR_FPROT_UREAD | APR_FPROT_UWRITE,
                       p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, rec, len, NULL);
        if (rv == APR_SUCCESS) {
            rv = apr_file_datasync(f);
        }
        apr_file_close(f);
    }
    apr_file_close(lock);
    return rv;
}

static apr_status_t spool_row(apr_pool_t *p, const char *spool,
                              const char *path, const char *table,
                              const char *const *values, int nvalues)
{
    apr_size_t len;
    const char *rec = minicc_spoolfmt_encode(p, table, values, nvalues, &len);

    return append_record(p, spool, path, rec, len);
}

apr_status_t minicc_spool_append(request_rec *r, const minicc_row_t *row,
                                int rejected, const char **path)
{
    const char *spool = minicc_srv_conf_of(r->server)->spool;

    *path = rejected ? rejects_path(r->pool, spool) : spool;
    return spool_row(r->pool, spool, *path, minicc_table(row->table)->name,
                     row->values, row->nvalues);
}

/* ---- the backlog ---- */

/* What this child last counted of the spool (minicc_spool_backlog): the
 * file (device, inode, its first bytes against a reused inode), how far
 * into it, the records up to there and the first one's time.  A spool
 * file only grows: appends add to it, and compact writes a new file and
 * renames it over.  So a live view or a metrics scrape while rows wait
 * reads only what was appended since the last one. */
#define BACKLOG_HEAD 26         /* a record's header: magic, length, CRC */

typedef struct {
    apr_thread_mutex_t *lock;
    apr_dev_t dev;
    apr_ino_t inode;
    char head[BACKLOG_HEAD];
    apr_off_t counted;
    int rows;
    char oldest[40];
} backlog_t;

/* ---- replay ---- */

typedef struct {
    server_rec *s;
    const minicc_srv_conf *sc;
    int last_logged;        /* backlog last reported, to log changes only */
    apr_interval_time_t interval;   /* until the next look at the spool */
} replayer_t;

static apr_status_t read_file(apr_pool_t *p, const char *path,
                              apr_off_t from, char **buf, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p);

    *len = 0;
    *buf = NULL;
    if (APR_STATUS_IS_ENOENT(rv)) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv == APR_SUCCESS && fi.size > from) {
        *len = (apr_size_t)(fi.size - from);
        *buf = apr_palloc(p, *len + 1);
        rv = apr_file_seek(f, APR_SET, &from);
        if (rv == APR_SUCCESS) {
            rv = apr_file_read_full(f, *buf, *len, len);
        }
    }
    apr_file_close(f);
    return rv;
}

/* Drops the first `consumed` bytes of the spool (rows now committed, or
 * damage), keeping whatever was appended since it was read.  The rest is
 * written to a new file that replaces the spool in one rename, so a crash
 * at any point leaves either the old spool or the new one, never neither. */
static apr_status_t compact(apr_pool_t *p, const char *spool,
                            apr_size_t consumed)
{
    apr_file_t *lock, *f;
    char *rest;
    apr_size_t len;
    const char *tmp = apr_pstrcat(p, spool, ".tmp", NULL);
    apr_status_t rv = lock_file(p, lock_path(p, spool), 0, &lock);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* an empty rest too: a spool file only ever grows, which is what
     * lets minicc_spool_backlog count only what was appended */
    rv = read_file(p, spool, (apr_off_t)consumed, &rest, &len);
    if (rv == APR_SUCCESS) {
        rv = apr_file_open(&f, tmp, APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE
                           | APR_FOPEN_CREATE, APR_FPROT_UREAD
                           | APR_FPROT_UWRITE, p);
        if (rv == APR_SUCCESS) {
            rv = len ? apr_file_write_full(f, rest, len, NULL) : APR_SUCCESS;
            if (rv == APR_SUCCESS) {
                rv = apr_file_sync(f);
            }
            apr_file_close(f);
        }
        if (rv == APR_SUCCESS) {
            rv = apr_file_rename(tmp, spool, p);
        }
    }
    apr_file_close(lock);
    return rv;
}

/* Writes the spool to the database in order, each row once: the upsert
 * keeps whichever of two versions of a row arrived later, so a row that
 * a crash makes us replay twice, or that a live webhook already updated,
 * comes out right.  Returns 0 when the database would not take the rows. */
static int replay(replayer_t *rp, apr_pool_t *p)
{
    server_rec *s = rp->s;
    const char *spool = rp->sc->spool;
    apr_file_t *exclusive, *lock;
    ap_dbd_t *dbd;
    char *buf;
    apr_size_t len, off = 0, consumed = 0;
    int written = 0, rejected = 0, waiting = 0, rc, stopped = 0;
    minicc_spoolfmt_rec_t rec;
    apr_status_t rv;

    if (lock_file(p, replay_lock_path(p, spool), 1, &exclusive)
        != APR_SUCCESS) {
        return 1;   /* another child or thread is at it */
    }
    /* the database first (replay_round saw rows): while it is away, the
     * spool is counted (only what was appended since), not read whole */
    if (!(dbd = minicc_dbconn_open(p, s))) {
        const char *oldest = NULL;

        waiting = minicc_spool_backlog(p, s, &oldest);
        if (waiting != rp->last_logged) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, APLOGNO(30506)
                         "spool %s: %d rows waiting for the database, the "
                         "oldest from %s", spool, waiting,
                         oldest ? oldest : "?");
            rp->last_logged = waiting;
        }
        return 0;
    }
    /* a consistent snapshot: appends hold this lock until fsync'ed */
    if ((rv = lock_file(p, lock_path(p, spool), 0, &lock)) == APR_SUCCESS) {
        rv = read_file(p, spool, 0, &buf, &len);
        apr_file_close(lock);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(30505)
                     "reading the spool %s failed", spool);
        minicc_dbconn_close(s, dbd);
        return 0;
    }
    if (!len) {
        minicc_dbconn_close(s, dbd);
        return 1;
    }
    while (!stopped && (rc = minicc_spoolfmt_decode(p, buf, len, &off, &rec))) {
        minicc_table_e table;
        const char **values;
        int err;

        if (rc < 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, APLOGNO(30507)
                         "spool %s: skipped %" APR_SIZE_T_FMT " damaged "
                         "bytes at offset %" APR_SIZE_T_FMT " (a write torn "
                         "by a crash?)", spool, off - consumed, consumed);
            consumed = off;
            continue;
        }
        table = minicc_table_by_name(rec.table);
        values = table == MINICC_TABLE_COUNT ? NULL
               : minicc_table_values(p, table, (const char **)rec.values,
                                     rec.nvalues);
        if (!values) {
            /* not a row this version can write (another version's spool?):
             * a human's to look at, like a refused one */
            err = 1146;     /* ER_NO_SUCH_TABLE */
            table = MINICC_TABLE_COUNT;
        }
        else {
            minicc_row_t row = { table, values,
                                 minicc_table(table)->ncolumns };

            err = minicc_db_write_on(s, p, dbd, &row, "replaying the spool");
        }
        if (!err) {
            written++;
            minicc_metrics_add(minicc_srv_conf_of(s)->metrics,
                               MINICC_M_ROWS_REPLAYED, 1);
        }
        else if (minicc_db_error_is_permanent(err)
                 || table == MINICC_TABLE_COUNT) {
            rv = spool_row(p, spool, rejects_path(p, spool), rec.table,
                           (const char *const *)rec.values, rec.nvalues);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(30508)
                             "spool %s: a refused row could not be moved to "
                             "the rejects file; it stays in the spool",
                             spool);
                break;
            }
            minicc_metrics_add(minicc_srv_conf_of(s)->metrics,
                               MINICC_M_ROWS_REJECTED, 1);
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, APLOGNO(30514)
                         "spool %s: %s row for CallSid %s refused for good "
                         "(%s): moved to %s", spool, rec.table,
                         rec.nvalues && rec.values[0] ? rec.values[0] : "?",
                         table == MINICC_TABLE_COUNT
                             ? "not a row of this version's tables"
                             : apr_psprintf(p, "error %d", err),
                         rejects_path(p, spool));
            rejected++;
        }
        else {
            stopped = 1;    /* the database went away again: keep the rest */
            continue;
        }
        consumed = off;
    }
    minicc_dbconn_close(s, dbd);
    if (consumed) {
        rv = compact(p, spool, consumed);
        if (rv != APR_SUCCESS) {
            /* harmless but noisy: the rows will be written again, and the
             * upsert makes that a no-op */
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(30509)
                         "spool %s: %d rows written but removing them from "
                         "the spool failed", spool, written);
            return 0;
        }
    }
    waiting = minicc_spool_backlog(p, s, NULL);
    if (written || rejected || waiting != rp->last_logged) {
        ap_log_error(APLOG_MARK, waiting ? APLOG_WARNING : APLOG_NOTICE, 0, s,
                     APLOGNO(30510) "spool %s: %d rows written to the "
                     "database, %d refused for good (in %s), %d still "
                     "waiting", spool, written, rejected,
                     rejects_path(p, spool), waiting);
        rp->last_logged = waiting;
    }
    (void)exclusive;   /* held until p is destroyed */
    return !stopped;
}

static int spool_has_rows(apr_pool_t *p, const char *spool)
{
    apr_finfo_t fi;

    return apr_stat(&fi, spool, APR_FINFO_SIZE, p) == APR_SUCCESS
        && fi.size > 0;
}

/* A round of the replay thread (core/worker.c): a look at the spool, and
 * its rows written when there are some; the next round sooner or later as
 * the database answers or not. */
static apr_interval_time_t replay_round(minicc_worker_t *w, void *data)
{
    replayer_t *rp = data;
    /* its own allocator, so that a large backlog read once goes back to
     * the system instead of staying in the child */
    apr_allocator_t *allocator;
    apr_pool_t *p;

    (void)w;
    if (apr_allocator_create(&allocator) != APR_SUCCESS) {
        return rp->interval;
    }
    if (apr_pool_create_ex(&p, NULL, NULL, allocator) != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return rp->interval;
    }
    apr_allocator_owner_set(allocator, p);
    if (!spool_has_rows(p, rp->sc->spool) || replay(rp, p)) {
        rp->interval = REPLAY_INTERVAL;
    }
    else if ((rp->interval *= 2) > REPLAY_INTERVAL_MAX) {
        rp->interval = REPLAY_INTERVAL_MAX;
    }
    apr_pool_destroy(p);
    return rp->interval;
}

void minicc_spool_child_init(apr_pool_t *pchild, server_rec *s)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    minicc_worker_t *worker;
    replayer_t *rp;
    server_rec *sp;
    apr_status_t rv;

    if (!sc->spool) {
        return;
    }
    for (sp = s; sp; sp = sp->next) {
        backlog_t *bl = apr_pcalloc(pchild, sizeof(*bl));

        if (minicc_srv_conf_of(sp)->spool
            && apr_thread_mutex_create(&bl->lock, APR_THREAD_MUTEX_DEFAULT,
                                       pchild) == APR_SUCCESS) {
            minicc_child_set(pchild, sp, MINICC_CHILD_SPOOL, bl);
        }
    }
    rp = apr_pcalloc(pchild, sizeof(*rp));
    rp->s = s;
    rp->sc = sc;
    rp->last_logged = -1;
    rp->interval = REPLAY_INTERVAL;
    if ((rv = minicc_worker_start(pchild, rp->interval, replay_round, rp,
                                  &worker)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(30511)
                     "starting the spool's replay thread failed: rows "
                     "spooled will wait for another child");
    }
}

/* Counts the records of buf from *off: *rows and *off advance past each
 * good one (a torn record at the end, perhaps an append under way, is
 * counted next time); the first one's time goes to oldest (size n). */
static void count_records(const char *buf, apr_size_t len, apr_size_t *off,
                          int *rows, char *oldest, apr_size_t n)
{
    apr_pool_t *p;
    apr_size_t at = *off;
    minicc_spoolfmt_rec_t rec;
    int rc;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return;
    }
    while ((rc = minicc_spoolfmt_decode(p, buf, len, &at, &rec))) {
        if (rc > 0) {
            /* the arrival time is every table's last column */
            if (!*rows && rec.nvalues > 0 && rec.values[rec.nvalues - 1]) {
                apr_cpystrn(oldest, rec.values[rec.nvalues - 1], n);
            }
            ++*rows;
            *off = at;
        }
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
}

int minicc_spool_backlog(apr_pool_t *p, server_rec *s, const char **oldest)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    backlog_t *bl = minicc_child_get(s, MINICC_CHILD_SPOOL);
    apr_file_t *f;
    apr_finfo_t fi;
    char head[BACKLOG_HEAD], *buf;
    apr_pool_t *tmp;
    apr_size_t len, got = 0, off;
    apr_off_t from;
    apr_status_t rv;
    int rows;

    if (oldest) {
        *oldest = NULL;
    }
    if (!sc->spool) {
        return -1;
    }
    rv = apr_file_open(&f, sc->spool, APR_FOPEN_READ, 0, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return 0;
    }
    if (rv != APR_SUCCESS) {
        return -1;
    }
    /* the open file's identity: compact may rename another over the path */
    if ((rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_IDENT, f))
        != APR_SUCCESS) {
        apr_file_close(f);
        return -1;
    }
    if (fi.size > 0) {
        apr_file_read_full(f, head, sizeof(head), &got);
    }
    if (!bl) {
        bl = apr_pcalloc(p, sizeof(*bl));   /* a count of this request's */
    }
    else {
        apr_thread_mutex_lock(bl->lock);
    }
    /* the same file as counted, grown by appends only: from where the
     * count stopped; anything else: from the start */
    if (!(bl->counted && bl->dev == fi.device && bl->inode == fi.inode
          && fi.size >= bl->counted && got == sizeof(head)
          && !memcmp(head, bl->head, sizeof(head)))) {
        bl->counted = 0;
        bl->rows = 0;
        bl->oldest[0] = '\0';
    }
    from = bl->counted;
    if (fi.size > from && apr_pool_create(&tmp, p) == APR_SUCCESS) {
        len = (apr_size_t)(fi.size - from);
        buf = apr_palloc(tmp, len);
        rv = apr_file_seek(f, APR_SET, &from);
        if (rv == APR_SUCCESS) {
            rv = apr_file_read_full(f, buf, len, &len);
        }
        if (rv == APR_SUCCESS || APR_STATUS_IS_EOF(rv)) {
            off = 0;
            count_records(buf, len, &off, &bl->rows, bl->oldest,
                          sizeof(bl->oldest));
            if (off && !bl->counted && got == sizeof(head)) {
                memcpy(bl->head, head, sizeof(head));
                bl->dev = fi.device;
                bl->inode = fi.inode;
            }
            bl->counted += (apr_off_t)off;
        }
        apr_pool_destroy(tmp);  /* what was read is not kept */
    }
    rows = bl->rows;
    if (oldest && bl->oldest[0]) {
        *oldest = apr_pstrdup(p, bl->oldest);
    }
    if (bl->lock) {
        apr_thread_mutex_unlock(bl->lock);
    }
    apr_file_close(f);
    return rows;
}

/* ---- configuration ---- */

static uid_t server_uid(void)
{
    return geteuid() == 0 ? ap_unixd_config.user_id : geteuid();
}

static gid_t server_gid(void)
{
    return geteuid() == 0 ? ap_unixd_config.group_id : getegid();
}

static int writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
    return (st->st_uid == uid && (st->st_mode & S_IWUSR))
        || (st->st_gid == gid && (st->st_mode & S_IWGRP))
        || (st->st_mode & S_IWOTH) || uid == 0;
}

/* `apachectl configtest` must catch a spool the children could not write:
 * they would find out with the database down, the worst time. */
const char *minicc_spool_check(apr_pool_t *ptemp, server_rec *s)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    char *dir;
    struct stat st;

    if (!sc->spool) {
        return NULL;
    }
    dir = ap_make_dirstr_parent(ptemp, sc->spool);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return apr_psprintf(ptemp, "MiniCCSpool %s: the directory %s does "
                            "not exist", sc->spool, dir);
    }
    if (!writable_by(&st, server_uid(), server_gid())
        || !(st.st_mode & S_IXUSR)) {
        return apr_psprintf(ptemp, "MiniCCSpool %s: the directory %s is not "
                            "writable by the server's user (uid %ld)",
                            sc->spool, dir, (long)server_uid());
    }
    if (stat(sc->spool, &st) == 0
        && (!S_ISREG(st.st_mode) || (geteuid() != 0
                                     && !writable_by(&st, server_uid(),
                                                     server_gid())))) {
        return apr_psprintf(ptemp, "MiniCCSpool %s: not a file the server's "
                            "user can write", sc->spool);
    }
    return NULL;
}

/* Creates the spool's files while still root, owned by the server's user,
 * so that children can lock and append without a writable-by-all file. */
int minicc_spool_post_config(apr_pool_t *ptemp, server_rec *s)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    const char *paths[4];
    int i;

    if (!sc->spool) {
        return OK;
    }
    paths[0] = sc->spool;
    paths[1] = lock_path(ptemp, sc->spool);
    paths[2] = replay_lock_path(ptemp, sc->spool);
    paths[3] = rejects_path(ptemp, sc->spool);
    for (i = 0; i < 4; i++) {
        apr_file_t *f;
        apr_status_t rv = apr_file_open(&f, paths[i], APR_FOPEN_WRITE
                                        | APR_FOPEN_CREATE | APR_FOPEN_APPEND,
                                        APR_FPROT_UREAD | APR_FPROT_UWRITE,
                                        ptemp);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, rv, s,
                         APLOGNO(30512) "MiniCCSpool: cannot create %s",
                         paths[i]);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_file_close(f);
        if (geteuid() == 0 && chown(paths[i], ap_unixd_config.user_id,
                                    ap_unixd_config.group_id) != 0) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG,
                         APR_FROM_OS_ERROR(errno), s, APLOGNO(30513)
                         "MiniCCSpool: cannot give %s to the server's user",
                         paths[i]);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}
