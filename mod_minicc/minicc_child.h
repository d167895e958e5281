/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * A child's state of each layer (child.c): made by the layer's child_init,
 * kept per server_rec in the server's configuration, read by its requests.
 */
#ifndef MINICC_CHILD_H
#define MINICC_CHILD_H

#include <httpd.h>

/* A layer's state in this child for server s, made by its child_init and
 * read-only after.  A virtual host without directives of ours shares the
 * main server's settings, but may have a mod_dbd pool (and database) of
 * its own: the state is kept per server_rec. */
typedef enum { MINICC_CHILD_DB, MINICC_CHILD_BATCH,
               MINICC_CHILD_RECORD, MINICC_CHILD_CALLERS,
               MINICC_CHILD_POLLS, MINICC_CHILD_SPOOL } minicc_child_e;
/* Whether the MPM runs threads (a child's state then needs locks). */
int minicc_child_threaded(void);
void minicc_child_set(apr_pool_t *pchild, server_rec *s, minicc_child_e layer,
                      void *state);
void *minicc_child_get(server_rec *s, minicc_child_e layer);

#endif /* MINICC_CHILD_H */
