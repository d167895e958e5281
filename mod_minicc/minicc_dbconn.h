/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The database's connections (dbconn.c): mod_dbd's pooled connections,
 * those a child keeps, the memory of a database that hangs, and sessions
 * whose statements are prepared again after a reconnect.  db.c runs its
 * statements on them; the rest of the module opens none but through
 * minicc_dbconn_open (work without a request).
 */
#ifndef MINICC_DBCONN_H
#define MINICC_DBCONN_H

#include <apr_dbd.h>     /* mod_dbd.h needs it first */
#include <mod_dbd.h>

#include "minicc_config.h"

/* check_config: registers every statement with mod_dbd for every server;
 * an error string when mod_dbd is not loaded. */
const char *minicc_dbconn_configure(apr_pool_t *pconf, server_rec *s);
/* Hooks mod_dbd's post_connect, so that connections remember their
 * session. */
void minicc_dbconn_register_hooks(void);
/* This child's state for every server_rec: its memory of a database that
 * hangs and, under a threaded MPM, the connections it keeps. */
void minicc_dbconn_child_init(apr_pool_t *pchild, server_rec *s);

/* Takes this request's pooled connection early, its statements made
 * current: mod_authn_dbd, which runs before the handler, then gets a
 * connection whose statements survived a database restart.  Zero when
 * there is none. */
int minicc_dbconn_prepare_request(request_rec *r);
/* Whether the request holds a connection of its own (taken early). */
int minicc_dbconn_holds(request_rec *r);

/* For work without a request (the spool's replay, the polls' writer): a
 * connection of s's pool, its statements current, or NULL; given back by
 * minicc_dbconn_close. */
ap_dbd_t *minicc_dbconn_open(apr_pool_t *p, server_rec *s);
void minicc_dbconn_close(server_rec *s, ap_dbd_t *dbd);

/* ---- for db.c: what its statements run on ---- */

/* What a statement runs for: a webhook request, or the spool's replay,
 * which has no request and logs against the server. */
typedef struct {
    server_rec *s;
    request_rec *r;
    apr_pool_t *pool;
    const minicc_srv_conf *sc;
    ap_dbd_t *dbd;
    int not_counted;            /* its statements are not group commit's
                                 * (minicc_batch_rows) */
} minicc_dbconn_ctx_t;

/* Work on a connection: 1 when it worked; 0 when it failed for a reason
 * a fresh connection may cure. */
typedef int (*minicc_dbconn_work_fn)(const minicc_dbconn_ctx_t *c, void *baton);

/* Runs fn on the request's own connection, or on one the child keeps
 * (and, when a kept one did not work, once more on a fresh one), or on
 * one taken for this request (prefork); after the request's first
 * timeout, once more on a fresh connection.  fn's answer, or -1 when
 * there was no connection (logged, with doing). */
int minicc_dbconn_with(request_rec *r, const char *doing,
                       minicc_dbconn_work_fn fn, void *baton);
/* A connection taken for this request alone, its session checked: 1, or
 * 0 (logged). */
int minicc_dbconn_open_ctx(minicc_dbconn_ctx_t *c, request_rec *r,
                           const char *doing);
/* The context of work without a request, on dbd of s's pool. */
void minicc_dbconn_ctx_on(minicc_dbconn_ctx_t *c, server_rec *s,
                          apr_pool_t *p, ap_dbd_t *dbd, int not_counted);
/* The statements of c's connection current for its session: 1, or 0
 * (logged).  renew: the session is gone: a new one, prepared again. */
int minicc_dbconn_check_session(const minicc_dbconn_ctx_t *c,
                                const char *doing);
int minicc_dbconn_renew_session(const minicc_dbconn_ctx_t *c,
                                const char *doing);
/* A statement that ran into MiniCCDBTimeout (started at start); then the
 * request asks no more but once on a fresh connection. */
int minicc_dbconn_ran_into_timeout(const minicc_srv_conf *sc,
                                   apr_time_t start);
void minicc_dbconn_timed_out(request_rec *r, const minicc_srv_conf *sc);
/* A line of c's request or server; the suffix an outage's line gets (how
 * many were held back), or NULL: hold this one back. */
void minicc_dbconn_log(const minicc_dbconn_ctx_t *c, int level,
                       const char *msg);
const char *minicc_dbconn_outage_more(request_rec *r);

#endif /* MINICC_DBCONN_H */
