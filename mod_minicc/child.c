/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * A child's state of each layer: the connections it keeps (dbconn.c), its
 * row queues (batch.c), its copy of the callers (callers.c), its threads
 * (spool.c, polls.c).  Each layer's child_init makes its own and files it
 * here, per server_rec, in a hash of the server's configuration that
 * lives in pchild; after child_init it is only read.
 */
#include "mod_minicc_private.h"
#include "minicc_child.h"
#include "minicc_config.h"

#include <ap_mpm.h>

typedef struct {
    server_rec *s;
    minicc_child_e layer;
} child_key_t;

int minicc_child_threaded(void)
{
    int threaded = 0;

    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS
        || threaded == AP_MPMQ_NOT_SUPPORTED) {
        threaded = 0;
    }
    return threaded;
}

void minicc_child_set(apr_pool_t *pchild, server_rec *s, minicc_child_e layer,
                      void *state)
{
    minicc_srv_conf *sc = minicc_srv_conf_of(s);
    child_key_t *key = apr_pcalloc(pchild, sizeof(*key));

    if (!sc->child) {
        sc->child = apr_hash_make(pchild);
    }
    key->s = s;
    key->layer = layer;
    apr_hash_set(sc->child, key, sizeof(*key), state);
}

void *minicc_child_get(server_rec *s, minicc_child_e layer)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(s);
    child_key_t key;

    if (!sc->child) {
        return NULL;
    }
    memset(&key, 0, sizeof(key));
    key.s = s;
    key.layer = layer;
    return apr_hash_get(sc->child, &key, sizeof(key));
}
