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

/* Every handler of the module, one line each in handlers.c: its
 * SetHandler name and either a webhook (POST only; the request shell of
 * mod_minicc.c reads the form, checks the signature and sends the TwiML)
 * or a page (a content handler of its own: its methods are its own).
 * The dispatch, and minicc-metrics' rows, come from it. */
typedef struct {
    const char *name;
    minicc_webhook_fn webhook;          /* NULL for a page */
    int (*page)(request_rec *r);        /* NULL for a webhook */
} minicc_handler_t;

extern const minicc_handler_t minicc_handlers[];
extern const int minicc_handlers_count;
/* The handler of a SetHandler name, or NULL. */
const minicc_handler_t *minicc_handlers_find(const char *name);

#endif /* MINICC_HANDLERS_H */
