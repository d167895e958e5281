/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Recording a webhook's row (record.c): in the database now, with the rows
 * of the child's other webhooks (group commit), or else in the spool.
 */
#ifndef MINICC_RECORD_H
#define MINICC_RECORD_H

#include <httpd.h>

#include "minicc_sql.h"

/* This child's memory of the rows it spooled, per server_rec (so that an
 * outage is told in a line a second, not one a row). */
void minicc_record_child_init(apr_pool_t *pchild, server_rec *s);

/* Returns when the row is committed, spooled (flushed to disk), or
 * logged in full as lost (no MiniCCSpool, or the spool failed). */
void minicc_record(request_rec *r, const minicc_row_t *row);

#endif /* MINICC_RECORD_H */
