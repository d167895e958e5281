/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * What the database layer needs from below apr_dbd (dbnative.c): the
 * libmariadb handle of an apr_dbd_mysql connection, given as apr_dbd has
 * it (its driver and handle; mod_dbd's ap_dbd_t holds both).  APR and
 * libmariadb only.  See dbnative.c for why apr_dbd cannot do these, what
 * they were checked against, and what happens with another driver (each
 * of them then does nothing).
 */
#ifndef MINICC_DBNATIVE_H
#define MINICC_DBNATIVE_H

#include <apr_dbd.h>
#include <apr_hash.h>
#include <apr_tables.h>

/* The server session (MySQL thread id) of the connection; 0 when unknown. */
unsigned long minicc_dbnative_session(const apr_dbd_driver_t *driver,
                                      apr_dbd_t *handle);

/* Bounds every wait of the connection to seconds (no bound: 0), on its live
 * socket and for the reconnects to come. */
void minicc_dbnative_bound_waits(const apr_dbd_driver_t *driver,
                                 apr_dbd_t *handle, int seconds);
/* The same on the live socket only, for one long query. */
void minicc_dbnative_live_timeout(const apr_dbd_driver_t *driver,
                                  apr_dbd_t *handle, int seconds);

/* From now on the handle never reconnects by itself. */
void minicc_dbnative_never_reconnect(const apr_dbd_driver_t *driver,
                                     apr_dbd_t *handle);

/* Whether libmariadb let go of the statement (a reconnect marks the old
 * session's statements unprepared, or detaches them). */
int minicc_dbnative_statement_lost(const apr_dbd_driver_t *driver,
                                   apr_dbd_t *handle,
                                   apr_dbd_prepared_t *stmt);

/* Readies the stale statements of the connection (prepared: label ->
 * statement, those of a session that is gone) to be freed without a word
 * to the server; zero when one of them cannot be. */
int minicc_dbnative_stale_freeable(const apr_dbd_driver_t *driver,
                                   apr_dbd_t *handle, apr_hash_t *prepared,
                                   apr_pool_t *p);

#endif /* MINICC_DBNATIVE_H */
