/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Group commit of the rows that a child's webhooks record at the same
 * moment (batch.c), above the database layer.
 */
#ifndef MINICC_BATCH_H
#define MINICC_BATCH_H

#include <httpd.h>

#include "minicc_sql.h"

/* This child's row queues, one per server_rec (threaded MPMs only). */
void minicc_batch_child_init(apr_pool_t *pchild, server_rec *s);

/* Writes row together with the rows other threads are writing at the same
 * moment; returns when its statement returned: 0, -1 without a connection,
 * else the MySQL error number (logged). */
int minicc_batch_write(request_rec *r, const minicc_row_t *row);

#endif /* MINICC_BATCH_H */
