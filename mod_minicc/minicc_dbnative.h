/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * What the database layer needs from below apr_dbd (dbnative.c): the
 * libmariadb handle of an apr_dbd_mysql connection.  See dbnative.c for
 * why apr_dbd cannot do these, what they were checked against, and what
 * happens with another driver (each of them then does nothing).
 */
#ifndef MINICC_DBNATIVE_H
#define MINICC_DBNATIVE_H

#include <apr_dbd.h>     /* mod_dbd.h needs it first */
#include <mod_dbd.h>

/* The server session (MySQL thread id) of the connection; 0 when unknown. */
unsigned long minicc_native_session(ap_dbd_t *dbd);

/* Bounds every wait of the connection to seconds (no bound: 0), on its live
 * socket and for the reconnects to come. */
void minicc_native_bound_waits(ap_dbd_t *dbd, int seconds);
/* The same on the live socket only, for one long query. */
void minicc_native_live_timeout(ap_dbd_t *dbd, int seconds);

/* From now on the handle never reconnects by itself. */
void minicc_native_never_reconnect(ap_dbd_t *dbd);

/* Whether libmariadb let go of the statement (a reconnect marks the old
 * session's statements unprepared, or detaches them). */
int minicc_native_statement_lost(ap_dbd_t *dbd, apr_dbd_prepared_t *stmt);

/* Readies the stale statements of the connection (those of a session that
 * is gone) to be freed without a word to the server; zero when one of them
 * cannot be. */
int minicc_native_stale_freeable(ap_dbd_t *dbd, apr_pool_t *p);

#endif /* MINICC_DBNATIVE_H */
