/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The spool (spool.c): where rows wait while the database cannot take
 * them, and the thread in each child that writes them back.
 */
#ifndef MINICC_SPOOL_H
#define MINICC_SPOOL_H

#include <httpd.h>

#include "minicc_sql.h"

/* Appends row to the spool (or, rejected, to the rejects file beside it),
 * flushed to disk before it returns; *path says which file.  Only with a
 * MiniCCSpool. */
apr_status_t minicc_spool_append(request_rec *r, const minicc_row_t *row,
                                 int rejected, const char **path);

/* Rows waiting in the spool, and the arrival time of the oldest (NULL
 * when none); -1 when there is no spool or it cannot be read. */
int minicc_spool_backlog(apr_pool_t *p, server_rec *s, const char **oldest);

/* check_config: an error string for a spool the children could not write. */
const char *minicc_spool_check(apr_pool_t *ptemp, server_rec *s);
/* post_config: its files, made while still root. */
int minicc_spool_post_config(apr_pool_t *ptemp, server_rec *s);
/* child_init: the replay thread. */
void minicc_spool_child_init(apr_pool_t *pchild, server_rec *s);

#endif /* MINICC_SPOOL_H */
