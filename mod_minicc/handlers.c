/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The webhooks (doc/contract.txt, 2), one function each, in the order a
 * call meets them.  Each one only decides which document to answer with,
 * the values for its slots, and what to record; method, body, signature
 * and response are mod_minicc.c's, the documents docs.c's.
 */
#include "mod_minicc_private.h"
#include "minicc_callers.h"
#include "minicc_handlers.h"
#include "minicc_record.h"
#include "minicc_rows.h"

#include <http_protocol.h>

static const char *param(minicc_call_t *call, const char *name)
{
    return minicc_param(call->r, call->params, name);
}

/* A customer's call not let in: recorded, so that reports count it; the
 * caller hears the answer whatever the database says. */
static int turn_away(minicc_call_t *call, const char *reason)
{
    minicc_row_t *row = minicc_row_from_request(call->r, call->params,
                                                MINICC_TABLE_TURNED_AWAY);

    if (row) {
        minicc_row_set(row, "Reason", reason);
        minicc_record(call->r, row);
    }
    return OK;
}

/* minicc-incoming: the number's Voice URL. */
static int incoming(minicc_call_t *call)
{
    const char *digits = param(call, "Digits");
    const char *from;
    minicc_when_t when;
    int holiday = 0;

    if (digits) {
        call->doc = !strcmp(digits, "1") ? MINICC_DOC_CONNECTING
                  : !strcmp(digits, "2") ? MINICC_DOC_TO_INFORMATION
                  : MINICC_DOC_RETRY;
        return OK;
    }

    from = param(call, "From");
    minicc_conf_when(call->conf, call->r->request_time, &when);
    switch (minicc_callers_lookup(call->r, from ? from : "", when.date,
                                  &holiday)) {
    case MINICC_OPERATOR:
        /* operators are let in at any hour */
        call->doc = MINICC_DOC_TO_OPERATOR;
        break;
    case MINICC_CUSTOMER:
        if (holiday || !minicc_conf_open(call->conf, &when)) {
            call->doc = MINICC_DOC_CLOSED;
            return turn_away(call, holiday ? "holiday" : "closed");
        }
        call->doc = MINICC_DOC_WELCOME;
        break;
    case MINICC_LOOKUP_FAILED:
        /* A 5xx would make Twilio play its own "application error"; the
         * caller hears ours, and the cause is in the log already. */
        call->doc = MINICC_DOC_TROUBLE;
        break;
    }
    return OK;
}

/* minicc-operator: the operators' loop, one caller after another. */
static int operator(minicc_call_t *call)
{
    minicc_row_t *row = minicc_row_from_request(call->r, call->params,
                                                MINICC_TABLE_OPERATOR_SESSION);

    /* Only reports need this row: the operator is connected regardless. */
    if (row) {
        minicc_record(call->r, row);
    }
    call->doc = MINICC_DOC_OPERATOR;
    return OK;
}

/* minicc-wait: Enqueue's waitUrl, polled while the caller waits.  It needs
 * the database only for a caller it makes leave. */
static int wait_in_queue(minicc_call_t *call)
{
    apr_pool_t *p = call->r->pool;
    const char *position = minicc_queue_position(p,
                               param(call, "QueuePosition"));
    int max_queue = minicc_conf_number(call->conf, MINICC_MAX_QUEUE);
    int max_wait = minicc_conf_number(call->conf, MINICC_MAX_WAIT);
    int variant = 0;

    if (max_queue && position && atol(position) > max_queue) {
        call->doc = MINICC_DOC_OVERFLOW;
        return turn_away(call, "overflow");
    }
    if (max_wait) {
        const char *waited = param(call, "QueueTime");

        if (waited && minicc_is_int32(waited) && atol(waited) >= max_wait) {
            call->doc = MINICC_DOC_OVERFLOW;
            return turn_away(call, "max-wait");
        }
    }

    if (position) {
        call->values[MINICC_VALUE_POSITION] = position;
        variant |= 1;
    }
    if (minicc_conf_number(call->conf, MINICC_ANNOUNCE_WAIT)) {
        long minutes = minicc_wait_minutes(param(call, "AvgQueueTime"));

        if (minutes > 0) {
            call->values[MINICC_VALUE_MINUTES] = apr_ltoa(p, minutes);
            variant |= 2;
        }
    }
    call->doc = MINICC_DOC_WAIT + variant;
    return OK;
}

/* Answers 400 for a recording webhook without a valid CallSid: nothing
 * could be recorded, and only a forged request lacks one. */
static int record_row(minicc_call_t *call, minicc_table_e table)
{
    minicc_row_t *row = minicc_row_from_request(call->r, call->params,
                                                table);

    if (!row) {
        return HTTP_BAD_REQUEST;
    }
    minicc_record(call->r, row);
    return OK;
}

/* minicc-guidance: Queue's url, heard as an operator picks up. */
static int guidance(minicc_call_t *call)
{
    call->doc = MINICC_DOC_GUIDANCE;
    return record_row(call, MINICC_TABLE_QUEUE);
}

/* minicc-exit: Enqueue's action.  A valid document always, or an operator
 * who hangs up hears Twilio's error message: empty but for a caller who
 * left the queue without an operator (leave, queue-full, error). */
static int exit_queue(minicc_call_t *call)
{
    const char *result = param(call, "QueueResult");
    int status = record_row(call, MINICC_TABLE_ENQUEUE);

    if (status != OK || !result) {
        return status;
    }
    /* why is in the rows already: turned_away's for a leave (the wait
     * loop's), enqueue_data's QueueResult for the others */
    if (!strcmp(result, "leave") || !strcmp(result, "queue-full")) {
        call->doc = MINICC_DOC_TURNED_AWAY;
    }
    else if (!strcmp(result, "error") || !strcmp(result, "system-error")) {
        call->doc = MINICC_DOC_EXIT_ERROR;
    }
    return OK;
}

/* minicc-voicemail: the Record's action (the caller hears thanks) and its
 * status callback (RecordingStatus; nothing to say), in either order. */
static int voicemail(minicc_call_t *call)
{
    call->doc = param(call, "RecordingStatus") ? MINICC_DOC_EMPTY
                                               : MINICC_DOC_VOICEMAIL_THANKS;
    return record_row(call, MINICC_TABLE_VOICEMAIL);
}

/* minicc-status: the number's Status Callback URL. */
static int status(minicc_call_t *call)
{
    return record_row(call, MINICC_TABLE_STATUS);
}

/* minicc-information: menu key 2. */
static int information(minicc_call_t *call)
{
    call->doc = MINICC_DOC_INFORMATION;
    return OK;
}

static const struct {
    const char *handler;
    minicc_webhook_fn fn;
} webhooks[] = {
    { "minicc-incoming",    incoming },
    { "minicc-operator",    operator },
    { "minicc-wait",        wait_in_queue },
    { "minicc-guidance",    guidance },
    { "minicc-exit",        exit_queue },
    { "minicc-status",      status },
    { "minicc-information", information },
    { "minicc-voicemail",   voicemail }
};

minicc_webhook_fn minicc_find_webhook(const char *handler)
{
    apr_size_t i;

    for (i = 0; i < sizeof(webhooks) / sizeof(webhooks[0]); i++) {
        if (!strcmp(handler, webhooks[i].handler)) {
            return webhooks[i].fn;
        }
    }
    return NULL;
}
