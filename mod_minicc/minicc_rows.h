/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * From a webhook's parameters to the row it records (rows.c).
 */
#ifndef MINICC_ROWS_H
#define MINICC_ROWS_H

#include <httpd.h>

#include "minicc_sql.h"
#include "minicc_text.h"
#include "minicc_time.h"

/* A parameter cleaned for storage (NULs dropped, invalid UTF-8 replaced;
 * the change is logged); NULL when absent. */
const char *minicc_param(request_rec *r, minicc_params_t *params,
                         const char *name);

/* The row of table that this request records, by the rules of each
 * column; NULL when its CallSid is not a Twilio SID (logged). */
minicc_row_t *minicc_row_from_request(request_rec *r, minicc_params_t *params,
                                      minicc_table_e table);

/* When the request arrived (MiniCCTestClock in tests). */
apr_time_t minicc_now(request_rec *r);
/* When the request arrived, in UTC, as the rows store it (YYYY-MM-DD
 * HH:MM:SS.UUUUUU). */
const char *minicc_arrival_time(request_rec *r);

/* Sets column of row to value (a column no parameter fills). */
void minicc_row_set(minicc_row_t *row, const char *column, const char *value);

/* The whole row, for a log line from which a human can restore it. */
const char *minicc_row_describe(apr_pool_t *p, const minicc_row_t *row);

#endif /* MINICC_ROWS_H */
