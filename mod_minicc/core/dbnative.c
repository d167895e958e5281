/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Below apr_dbd: the libmariadb handle behind an apr_dbd_mysql connection.
 *
 * Why apr_dbd cannot do these: apr_dbd_mysql (apr-util 1.6) has no
 * DBDParams key for read and write timeouts, no way to turn the driver's
 * automatic reconnect off for one handle, and no way to ask whether a
 * prepared statement survived a reconnect -- yet a reconnect inside mod_dbd's
 * ping silently throws away every statement of the session (error 2030 on
 * the next execution), and a hung server makes a query wait for ever.  So
 * this file reaches the MYSQL handle (apr_dbd_native_handle) and, for the
 * statements, the MYSQL_STMT that apr_dbd_mysql's apr_dbd_prepared_t
 * starts with.
 *
 * Checked against: apr-util 1.6.3 (apr_dbd_mysql.c, whose
 * apr_dbd_prepared_t begins with its MYSQL_STMT *) and MariaDB
 * Connector/C 3.3 (libmariadb 3.3.20 of MariaDB 10.11: MYSQL.net.pvio and
 * ma_pvio.h's set_timeout, MYSQL_STMT.state, .mysql and .stmt_id).
 * ./configure fails, saying so, without mysql.h and ma_pvio.h.
 *
 * With another apr_dbd driver (pgsql, sqlite3, odbc) every function here
 * does nothing: the module works, but MiniCCDBTimeout bounds no wait, and
 * a session renewed under a connection is noticed only when a statement
 * fails (then db.c prepares again and runs it once more).
 */
#include "minicc_dbnative.h"

#include <string.h>
#include <mysql.h>
#include <ma_pvio.h>

/* The libmariadb handle behind the connection; NULL for another driver. */
static MYSQL *mysql_of(const apr_dbd_driver_t *driver, apr_dbd_t *handle)
{
    if (strcmp(apr_dbd_name(driver), "mysql")) {
        return NULL;
    }
    return apr_dbd_native_handle(driver, handle);
}

/* The MYSQL_STMT behind a statement of the connection, or NULL. */
static MYSQL_STMT *mysql_stmt_of(const apr_dbd_driver_t *driver,
                                 apr_dbd_t *handle, void *prepared)
{
    return prepared && mysql_of(driver, handle) ? *(MYSQL_STMT **)prepared
                                                : NULL;
}

unsigned long minicc_dbnative_session(const apr_dbd_driver_t *driver,
                                      apr_dbd_t *handle)
{
    MYSQL *m = mysql_of(driver, handle);

    return m ? mysql_thread_id(m) : 0;
}

/* libmariadb applies its timeout options only when it connects: the live
 * socket gets them here. */
void minicc_dbnative_live_timeout(const apr_dbd_driver_t *driver,
                                  apr_dbd_t *handle, int seconds)
{
    MYSQL *m = mysql_of(driver, handle);

    if (m && m->net.pvio && m->net.pvio->methods
        && m->net.pvio->methods->set_timeout) {
        m->net.pvio->methods->set_timeout(m->net.pvio, PVIO_READ_TIMEOUT,
                                          seconds);
        m->net.pvio->methods->set_timeout(m->net.pvio, PVIO_WRITE_TIMEOUT,
                                          seconds);
    }
}

/* As options too, which a reconnect (inside mod_dbd's ping) copies. */
void minicc_dbnative_bound_waits(const apr_dbd_driver_t *driver,
                                 apr_dbd_t *handle, int seconds)
{
    unsigned int t = (unsigned int)seconds;
    MYSQL *m = mysql_of(driver, handle);

    if (seconds <= 0 || !m) {
        return;
    }
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t);
    minicc_dbnative_live_timeout(driver, handle, seconds);
}

void minicc_dbnative_never_reconnect(const apr_dbd_driver_t *driver,
                                     apr_dbd_t *handle)
{
    my_bool off = 0;
    MYSQL *m = mysql_of(driver, handle);

    if (m) {
        mysql_options(m, MYSQL_OPT_RECONNECT, &off);
    }
}

/* When libmariadb reconnects a handle it marks every statement of the old
 * session unprepared (MYSQL_STMT_INITTED), or detaches it (stmt->mysql =
 * NULL).  The thread id alone does not tell: after a restart MariaDB
 * counts from 1 again, and a new session can get the old one's id. */
int minicc_dbnative_statement_lost(const apr_dbd_driver_t *driver,
                                   apr_dbd_t *handle,
                                   apr_dbd_prepared_t *prepared)
{
    MYSQL_STMT *stmt = mysql_stmt_of(driver, handle, prepared);

    return stmt && (!stmt->mysql || stmt->state == MYSQL_STMT_INITTED);
}

/* A stale statement still attached to the handle keeps the old session's
 * statement id: mysql_stmt_close would send COM_STMT_CLOSE with it, and the
 * new session may have given that id to a statement just prepared.  Such an
 * id names nothing any more, so it is cleared. */
int minicc_dbnative_stale_freeable(const apr_dbd_driver_t *driver,
                                   apr_dbd_t *handle, apr_hash_t *prepared,
                                   apr_pool_t *p)
{
    apr_array_header_t *attached = apr_array_make(p, 32, sizeof(MYSQL_STMT *));
    apr_hash_index_t *hi;
    int i;

    if (!mysql_of(driver, handle)) {
        return 0;
    }
    for (hi = apr_hash_first(p, prepared); hi; hi = apr_hash_next(hi)) {
        void *one;
        MYSQL_STMT *stmt;

        apr_hash_this(hi, NULL, NULL, &one);
        stmt = mysql_stmt_of(driver, handle, one);
        if (!stmt || !stmt->mysql) {
            continue;
        }
        if (stmt->state != MYSQL_STMT_INITTED) {
            return 0;
        }
        APR_ARRAY_PUSH(attached, MYSQL_STMT *) = stmt;
    }
    for (i = 0; i < attached->nelts; i++) {
        APR_ARRAY_IDX(attached, i, MYSQL_STMT *)->stmt_id = 0;
    }
    return 1;
}
