/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The webhooks of SPEC §2, one function each, in the order a call meets
 * them.  Each one only decides which document to answer with, the values
 * for its slots, and what to record; method, body and response are
 * mod_minicc.c's.  What a document says depends on the configuration
 * alone (the queue position and the minutes of the estimate are slots),
 * so it is written through libxml2 once, at startup, for each <Location>
 * (config.c), and only for a request whose sections startup did not merge
 * (<If>, <Directory>) is it written per request.
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

/* ---- the documents: what each webhook says ---- */

static void say(minicc_twiml *tw, const minicc_dir_conf *conf,
                minicc_msg_e key, const char *slot_name, int slot)
{
    minicc_twiml_open(tw, "Say");
    if (conf->voice) {
        minicc_twiml_attr(tw, "voice", conf->voice);
    }
    minicc_twiml_attr(tw, "language", minicc_conf_language(conf));
    if (slot_name) {
        minicc_twiml_text_slots(tw, minicc_conf_message(conf, key),
                                slot_name, slot);
    }
    else {
        minicc_twiml_text(tw, minicc_conf_message(conf, key));
    }
    minicc_twiml_close(tw);
}

static void say_message(minicc_twiml *tw, const minicc_dir_conf *conf,
                        minicc_msg_e key)
{
    say(tw, conf, key, NULL, 0);
}

static void redirect(minicc_twiml *tw, const minicc_dir_conf *conf,
                     minicc_url_e target)
{
    minicc_twiml_open(tw, "Redirect");
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_text(tw, minicc_conf_url(conf, target));
    minicc_twiml_close(tw);
}

static void enqueue(minicc_twiml *tw, const minicc_dir_conf *conf)
{
    minicc_twiml_open(tw, "Enqueue");
    minicc_twiml_attr(tw, "waitUrl", minicc_conf_url(conf, MINICC_URL_WAIT));
    minicc_twiml_attr(tw, "waitUrlMethod", "POST");
    minicc_twiml_attr(tw, "action", minicc_conf_url(conf, MINICC_URL_EXIT));
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_text(tw, minicc_conf_queue(conf));
    minicc_twiml_close(tw);
}

/* The IVR menu; Twilio runs what follows the Gather when no key comes. */
static void menu(minicc_twiml *tw, const minicc_dir_conf *conf,
                 minicc_msg_e prompt, apr_pool_t *p)
{
    minicc_twiml_open(tw, "Gather");
    minicc_twiml_attr(tw, "numDigits", "1");
    minicc_twiml_attr(tw, "timeout",
                      apr_itoa(p, minicc_conf_gather_timeout(conf)));
    minicc_twiml_attr(tw, "action", minicc_conf_url(conf,
                                                    MINICC_URL_INCOMING));
    minicc_twiml_attr(tw, "method", "POST");
    say_message(tw, conf, prompt);
    minicc_twiml_close(tw);
    say_message(tw, conf, MINICC_MSG_NOINPUT);
    enqueue(tw, conf);
}

/* The operators' loop: one caller after another. */
static void operator_loop(minicc_twiml *tw, const minicc_dir_conf *conf)
{
    say_message(tw, conf, MINICC_MSG_OPERATOR);
    minicc_twiml_open(tw, "Dial");
    minicc_twiml_open(tw, "Queue");
    minicc_twiml_attr(tw, "url", minicc_conf_url(conf, MINICC_URL_GUIDANCE));
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_text(tw, minicc_conf_queue(conf));
    minicc_twiml_close(tw);
    minicc_twiml_close(tw);
    redirect(tw, conf, MINICC_URL_OPERATOR);
}

/* While the caller waits: the position is a slot when it is known, and
 * so are the minutes of the estimate. */
static void waiting(minicc_twiml *tw, const minicc_dir_conf *conf,
                    int with_position, int with_estimate, apr_pool_t *p)
{
    int pause = minicc_conf_wait_pause(conf);

    if (pause > 0) {
        minicc_twiml_open(tw, "Pause");
        minicc_twiml_attr(tw, "length", apr_itoa(p, pause));
        minicc_twiml_close(tw);
    }
    if (with_position) {
        say(tw, conf, MINICC_MSG_WAIT, "position", MINICC_VALUE_POSITION);
    }
    else {
        say_message(tw, conf, MINICC_MSG_WAIT_GENERAL);
    }
    if (with_estimate) {
        say(tw, conf, MINICC_MSG_ESTIMATE, "minutes", MINICC_VALUE_MINUTES);
    }
    minicc_twiml_open(tw, "Play");
    minicc_twiml_text(tw, minicc_conf_hold_music(conf));
    minicc_twiml_close(tw);
}

/* Every setting read on the way is in config.c's docs_key(): objects
 * with the same key share the documents rendered at startup. */
static const minicc_doc_t *render(apr_pool_t *p, const minicc_dir_conf *conf,
                                  minicc_doc_e id)
{
    minicc_twiml *tw = minicc_twiml_start(p);

    switch (id) {
    case MINICC_DOC_EMPTY:
        break;
    case MINICC_DOC_WELCOME:
        menu(tw, conf, MINICC_MSG_WELCOME, p);
        break;
    case MINICC_DOC_RETRY:
        menu(tw, conf, MINICC_MSG_RETRY, p);
        break;
    case MINICC_DOC_CONNECTING:
        say_message(tw, conf, MINICC_MSG_CONNECTING);
        enqueue(tw, conf);
        break;
    case MINICC_DOC_TO_INFORMATION:
        redirect(tw, conf, MINICC_URL_INFORMATION);
        break;
    case MINICC_DOC_TO_OPERATOR:
        redirect(tw, conf, MINICC_URL_OPERATOR);
        break;
    case MINICC_DOC_TROUBLE:
        say_message(tw, conf, MINICC_MSG_TROUBLE);
        minicc_twiml_open(tw, "Hangup");
        minicc_twiml_close(tw);
        break;
    case MINICC_DOC_OPERATOR:
        operator_loop(tw, conf);
        break;
    case MINICC_DOC_WAIT:
    case MINICC_DOC_WAIT_POSITION:
    case MINICC_DOC_WAIT_ESTIMATE:
    case MINICC_DOC_WAIT_POSITION_ESTIMATE:
        waiting(tw, conf, (id - MINICC_DOC_WAIT) & 1,
                (id - MINICC_DOC_WAIT) & 2, p);
        break;
    case MINICC_DOC_GUIDANCE:
        say_message(tw, conf, MINICC_MSG_GUIDANCE);
        break;
    case MINICC_DOC_INFORMATION:
        say_message(tw, conf, MINICC_MSG_INFORMATION);
        break;
    case MINICC_DOC_COUNT:
        break;
    }
    return minicc_twiml_finish_doc(tw);
}

const minicc_doc_t *minicc_docs_render(apr_pool_t *pconf, apr_pool_t *ptemp,
                                       const minicc_dir_conf *conf)
{
    minicc_doc_t *docs = apr_pcalloc(pconf, MINICC_DOC_COUNT
                                            * sizeof(*docs));
    int id;

    for (id = 0; id < MINICC_DOC_COUNT; id++) {
        const minicc_doc_t *doc = render(ptemp, conf, id);

        if (!doc) {
            return NULL;
        }
        docs[id].text = apr_pstrmemdup(pconf, doc->text, doc->len);
        docs[id].len = doc->len;
        docs[id].nslots = doc->nslots;
        docs[id].slots = doc->nslots
            ? apr_pmemdup(pconf, doc->slots, doc->nslots * sizeof(*doc->slots))
            : NULL;
    }
    return docs;
}

const minicc_doc_t *minicc_doc_of(apr_pool_t *p, const minicc_dir_conf *conf,
                                  minicc_doc_e id)
{
    return conf->docs ? &conf->docs[id] : render(p, conf, id);
}

/* ---- the webhooks: which document, and what they record ---- */

/* minicc-incoming: the number's Voice URL. */
static int incoming(minicc_call_t *call)
{
    const char *digits = minicc_param(call, "Digits");
    const char *from;

    if (digits) {
        call->doc = !strcmp(digits, "1") ? MINICC_DOC_CONNECTING
                  : !strcmp(digits, "2") ? MINICC_DOC_TO_INFORMATION
                  : MINICC_DOC_RETRY;
        return OK;
    }

    from = minicc_param(call, "From");
    switch (from && *from ? minicc_db_is_operator(call->r, from)
                          : MINICC_CUSTOMER) {
    case MINICC_OPERATOR:
        call->doc = MINICC_DOC_TO_OPERATOR;
        break;
    case MINICC_CUSTOMER:
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
    minicc_row_t *row = minicc_row_from_call(call,
                                             MINICC_TABLE_OPERATOR_SESSION);

    /* Only reports need this row: the operator is connected regardless. */
    if (row) {
        minicc_record(call->r, row);
    }
    call->doc = MINICC_DOC_OPERATOR;
    return OK;
}

/* minicc-wait: Enqueue's waitUrl, polled while the caller waits. */
static int wait_in_queue(minicc_call_t *call)
{
    apr_pool_t *p = call->r->pool;
    const char *position = minicc_queue_position(p,
                               minicc_param(call, "QueuePosition"));
    int variant = 0;

    if (position) {
        call->values[MINICC_VALUE_POSITION] = position;
        variant |= 1;
    }
    if (minicc_conf_announce_wait(call->conf)) {
        long minutes = minicc_wait_minutes(minicc_param(call,
                                                        "AvgQueueTime"));
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
    call->doc = MINICC_DOC_GUIDANCE;
    return record_row(call, MINICC_TABLE_QUEUE);
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
