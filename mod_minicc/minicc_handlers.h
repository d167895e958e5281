/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The webhooks (handlers.c), one per SetHandler name.
 */
#ifndef MINICC_HANDLERS_H
#define MINICC_HANDLERS_H

#include <httpd.h>

#include "minicc_config.h"
#include "minicc_docs.h"
#include "minicc_text.h"

/* A webhook request on its way through. */
typedef struct {
    request_rec *r;
    const minicc_dir_conf *conf;
    minicc_params_t *params;
    minicc_doc_e doc;                           /* the answer */
    const minicc_doc_t *own;    /* or one written for this request alone
                                 * (a call-back to dial); NULL: doc */
    const char *values[MINICC_VALUE_COUNT];     /* digits, for its slots */
} minicc_call_t;

/* A webhook sets call->doc and its values and returns OK, or an HTTP
 * status for a request it refuses. */
typedef int (*minicc_webhook_fn)(minicc_call_t *call);

/* The webhook behind a SetHandler name, or NULL. */
minicc_webhook_fn minicc_find_webhook(const char *handler);

#endif /* MINICC_HANDLERS_H */
