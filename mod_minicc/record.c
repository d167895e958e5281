/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Recording a row: the webhook's answer waits for it, so that an answer to
 * Twilio means the row is kept.  In the database now, in one statement
 * with the rows the child's other webhooks write at the same moment
 * (batch.c); when the database cannot take it, in the spool until it can
 * (spool.c); when the database refuses the row itself, in the rejects file
 * for a human.  Each outcome but the first is logged once, here.
 */
#include "mod_minicc_private.h"
#include "minicc_batch.h"
#include "minicc_child.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_metrics.h"
#include "minicc_record.h"
#include "minicc_rows.h"
#include "minicc_spool.h"
#include "minicc_throttle.h"


void minicc_record_child_init(apr_pool_t *pchild, server_rec *s)
{
    int threaded = minicc_child_threaded();
    server_rec *sp;

    for (sp = s; sp; sp = sp->next) {
        minicc_child_set(pchild, sp, MINICC_CHILD_RECORD,
                         minicc_throttle_create(pchild, threaded));
    }
}

void minicc_record(request_rec *r, const minicc_row_t *row)
{
    const char *table = minicc_table(row->table)->name;
    const char *path;
    apr_status_t rv;
    int err = minicc_batch_write(r, row);

    if (!err) {
        return;
    }
    if (!minicc_srv_conf_of(r->server)->spool) {
        /* the full row in the error log is what lets an administrator put
         * it back by hand */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30501)
                      "row NOT recorded (no MiniCCSpool), keep this line to "
                      "restore it: %s", minicc_row_describe(r->pool, row));
        return;
    }
    rv = minicc_spool_append(r, row, minicc_db_error_is_permanent(err),
                             &path);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, rv, r, APLOGNO(30502)
                      "row NOT recorded: appending it to %s failed; keep "
                      "this line to restore it: %s", path,
                      minicc_row_describe(r->pool, row));
    }
    else if (!minicc_db_error_is_permanent(err)) {
        int held;

        minicc_metrics_add(minicc_srv_conf_of(r->server)->metrics,
                           MINICC_M_ROWS_SPOOLED, 1);
        /* the spool's replay says how many rows wait, and when they are
         * written: here one line a second is enough */
        if (minicc_throttle_pass(minicc_child_get(r->server,
                                                  MINICC_CHILD_RECORD),
                                 apr_time_now(), apr_time_from_sec(1),
                                 &held)) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30503)
                          "%s row for CallSid %s kept in the spool %s until "
                          "the database answers (%d more rows kept since "
                          "the last such line)", table, row->values[0], path,
                          held);
        }
    }
    else {
        minicc_metrics_add(minicc_srv_conf_of(r->server)->metrics,
                           MINICC_M_ROWS_REJECTED, 1);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30504)
                      "the database refused the %s row for CallSid %s for "
                      "good (error %d): kept in %s", table, row->values[0],
                      err, path);
    }
}
