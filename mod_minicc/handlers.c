/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The webhooks of SPEC §2, one function each, in the order a call meets
 * them.  Each one only decides what TwiML to say and what to record;
 * method, body and response are mod_minicc.c's.
 */
#define MINICC_WITH_HTTPD
#include "mod_minicc.h"

#include <http_protocol.h>

const char *minicc_param(minicc_call_t *call, const char *name)
{
    const minicc_param_t *param = minicc_param_find(call->params, name);
    const char *value;
    int changed;

    if (!param) {
        return NULL;
    }
    value = minicc_text_clean(call->r->pool, param->value, param->value_len,
                              0, &changed);
    if (changed) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, call->r, APLOGNO(30301)
                      "parameter %s: %s%s%s", ap_escape_logitem(call->r->pool,
                      minicc_text_clean(call->r->pool, param->name,
                                        param->name_len, 1, &changed)),
                      (changed & MINICC_CLEAN_NUL) ? "NUL bytes dropped" : "",
                      (changed & MINICC_CLEAN_NUL)
                          && (changed & MINICC_CLEAN_UTF8) ? ", " : "",
                      (changed & MINICC_CLEAN_UTF8)
                          ? "invalid UTF-8 replaced by U+FFFD" : "");
    }
    return value;
}

void minicc_say(minicc_call_t *call, const char *text)
{
    minicc_twiml_open(call->tw, "Say");
    if (call->conf->voice) {
        minicc_twiml_attr(call->tw, "voice", call->conf->voice);
    }
    minicc_twiml_attr(call->tw, "language",
                      minicc_conf_language(call->conf));
    minicc_twiml_text(call->tw, text);
    minicc_twiml_close(call->tw);
}

static void say_message(minicc_call_t *call, minicc_msg_e key)
{
    minicc_say(call, minicc_conf_message(call->conf, key));
}

static void redirect(minicc_call_t *call, minicc_url_e target)
{
    minicc_twiml_open(call->tw, "Redirect");
    minicc_twiml_attr(call->tw, "method", "POST");
    minicc_twiml_text(call->tw, minicc_conf_url(call->conf, target));
    minicc_twiml_close(call->tw);
}

static void enqueue(minicc_call_t *call)
{
    minicc_twiml_open(call->tw, "Enqueue");
    minicc_twiml_attr(call->tw, "waitUrl",
                      minicc_conf_url(call->conf, MINICC_URL_WAIT));
    minicc_twiml_attr(call->tw, "waitUrlMethod", "POST");
    minicc_twiml_attr(call->tw, "action",
                      minicc_conf_url(call->conf, MINICC_URL_EXIT));
    minicc_twiml_attr(call->tw, "method", "POST");
    minicc_twiml_text(call->tw, minicc_conf_queue(call->conf));
    minicc_twiml_close(call->tw);
}

/* The IVR menu; Twilio runs what follows the Gather when no key comes. */
static void menu(minicc_call_t *call, minicc_msg_e prompt)
{
    minicc_twiml_open(call->tw, "Gather");
    minicc_twiml_attr(call->tw, "numDigits", "1");
    minicc_twiml_attr(call->tw, "timeout", apr_itoa(call->r->pool,
                      minicc_conf_gather_timeout(call->conf)));
    minicc_twiml_attr(call->tw, "action",
                      minicc_conf_url(call->conf, MINICC_URL_INCOMING));
    minicc_twiml_attr(call->tw, "method", "POST");
    say_message(call, prompt);
    minicc_twiml_close(call->tw);
    say_message(call, MINICC_MSG_NOINPUT);
    enqueue(call);
}

/* minicc-incoming: the number's Voice URL. */
static int incoming(minicc_call_t *call)
{
    const char *digits = minicc_param(call, "Digits");
    const char *from;

    if (digits) {
        if (!strcmp(digits, "1")) {
            say_message(call, MINICC_MSG_CONNECTING);
            enqueue(call);
        }
        else if (!strcmp(digits, "2")) {
            redirect(call, MINICC_URL_INFORMATION);
        }
        else {
            menu(call, MINICC_MSG_RETRY);
        }
        return OK;
    }

    from = minicc_param(call, "From");
    switch (from && *from ? minicc_db_is_operator(call->r, from)
                          : MINICC_CUSTOMER) {
    case MINICC_OPERATOR:
        redirect(call, MINICC_URL_OPERATOR);
        break;
    case MINICC_CUSTOMER:
        menu(call, MINICC_MSG_WELCOME);
        break;
    case MINICC_LOOKUP_FAILED:
        /* A 5xx would make Twilio play its own "application error"; the
         * caller hears ours, and the cause is in the log already. */
        say_message(call, MINICC_MSG_TROUBLE);
        minicc_twiml_open(call->tw, "Hangup");
        minicc_twiml_close(call->tw);
        break;
    }
    return OK;
}

/* minicc-operator: the operators' loop, one caller after another. */
static int operator(minicc_call_t *call)
{
    minicc_row_t *row = minicc_row_from_call(call,
                                             MINICC_TABLE_OPERATOR_SESSION);

    /* Only reports need this row: the operator is connected regardless. */
    if (row) {
        minicc_record(call->r, row);
    }
    say_message(call, MINICC_MSG_OPERATOR);
    minicc_twiml_open(call->tw, "Dial");
    minicc_twiml_open(call->tw, "Queue");
    minicc_twiml_attr(call->tw, "url",
                      minicc_conf_url(call->conf, MINICC_URL_GUIDANCE));
    minicc_twiml_attr(call->tw, "method", "POST");
    minicc_twiml_text(call->tw, minicc_conf_queue(call->conf));
    minicc_twiml_close(call->tw);
    minicc_twiml_close(call->tw);
    redirect(call, MINICC_URL_OPERATOR);
    return OK;
}

/* minicc-wait: Enqueue's waitUrl, polled while the caller waits. */
static int wait_in_queue(minicc_call_t *call)
{
    apr_pool_t *p = call->r->pool;
    const char *position = minicc_queue_position(p,
                               minicc_param(call, "QueuePosition"));
    int pause = minicc_conf_wait_pause(call->conf);

    if (pause > 0) {
        minicc_twiml_open(call->tw, "Pause");
        minicc_twiml_attr(call->tw, "length", apr_itoa(p, pause));
        minicc_twiml_close(call->tw);
    }
    if (position) {
        minicc_say(call, minicc_fill(p, minicc_conf_message(call->conf,
                                     MINICC_MSG_WAIT), "position", position));
    }
    else {
        say_message(call, MINICC_MSG_WAIT_GENERAL);
    }
    if (minicc_conf_announce_wait(call->conf)) {
        long minutes = minicc_wait_minutes(minicc_param(call,
                                                        "AvgQueueTime"));
        if (minutes > 0) {
            minicc_say(call, minicc_fill(p, minicc_conf_message(call->conf,
                                         MINICC_MSG_ESTIMATE), "minutes",
                                         apr_ltoa(p, minutes)));
        }
    }
    minicc_twiml_open(call->tw, "Play");
    minicc_twiml_text(call->tw, minicc_conf_hold_music(call->conf));
    minicc_twiml_close(call->tw);
    return OK;
}

/* Answers 400 for a recording webhook without a valid CallSid: nothing
 * could be recorded, and only a forged request lacks one. */
static int record_row(minicc_call_t *call, minicc_table_e table)
{
    minicc_row_t *row = minicc_row_from_call(call, table);

    if (!row) {
        return HTTP_BAD_REQUEST;
    }
    minicc_record(call->r, row);
    return OK;
}

/* minicc-guidance: Queue's url, heard as an operator picks up. */
static int guidance(minicc_call_t *call)
{
    int status = record_row(call, MINICC_TABLE_QUEUE);

    if (status == OK) {
        say_message(call, MINICC_MSG_GUIDANCE);
    }
    return status;
}

/* minicc-exit: Enqueue's action; an empty document, or an operator who
 * hangs up hears Twilio's error message. */
static int exit_queue(minicc_call_t *call)
{
    return record_row(call, MINICC_TABLE_ENQUEUE);
}

/* minicc-status: the number's Status Callback URL. */
static int status(minicc_call_t *call)
{
    return record_row(call, MINICC_TABLE_STATUS);
}

/* minicc-information: menu key 2. */
static int information(minicc_call_t *call)
{
    say_message(call, MINICC_MSG_INFORMATION);
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
    { "minicc-information", information }
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
