/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The webhooks (doc/contract.txt, 2), one function each, in the order a
 * call meets them, and at the end the table of every handler.  Each
 * webhook only decides which document to answer with, the values for its
 * slots, and what to record; method, body, signature and response are
 * mod_minicc.c's, the documents docs.c's.
 */
#include "mod_minicc_private.h"
#include "minicc_agent.h"
#include "minicc_callbacks.h"
#include "minicc_callers.h"
#include "minicc_db.h"
#include "minicc_polls.h"
#include "minicc_handlers.h"
#include "minicc_live.h"
#include "minicc_record.h"
#include "minicc_report.h"
#include "minicc_rows.h"

#include <apr_md5.h>
#include <http_protocol.h>
#include <util_script.h>

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

/* The menu's key: what MiniCCMenu gives it (doc/contract.txt 15). */
static void menu_choice(minicc_call_t *call, const char *digits)
{
    const minicc_menu_t *item = digits[0] && !digits[1]
        ? minicc_conf_menu_key(call->conf, digits[0]) : NULL;

    if (!item) {
        call->doc = MINICC_DOC_RETRY;
        return;
    }
    switch (item->what) {
    case MINICC_MENU_QUEUE:
        call->conf = minicc_conf_queue(call->r->pool, call->conf,
                                       item->target);
        call->doc = MINICC_DOC_CONNECTING;
        break;
    case MINICC_MENU_INFORMATION:
        call->doc = MINICC_DOC_TO_INFORMATION;
        break;
    case MINICC_MENU_VOICEMAIL:
        call->doc = MINICC_DOC_TO_VOICEMAIL;
        break;
    case MINICC_MENU_URL:
        call->own = minicc_doc_menu_url(call->r->pool, item->target);
        break;
    }
}

/* Whether the URL says direct=1: another Location's menu key sent the
 * caller here, into the queue without a menu. */
static int direct(minicc_call_t *call)
{
    const minicc_param_t *d = minicc_query_param(call->r->pool, call->r->args,
                                                 MINICC_DIRECT);

    return d && !strcmp(d->value, "1");
}

/* minicc-incoming: the number's Voice URL. */
static int incoming(minicc_call_t *call)
{
    const char *digits = param(call, "Digits");
    const char *from;
    minicc_when_t when;
    int holiday = 0;

    if (digits) {
        menu_choice(call, digits);
        return OK;
    }

    from = param(call, "From");
    minicc_conf_when(call->conf, minicc_now(call->r), &when);
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
        call->doc = direct(call) ? MINICC_DOC_CONNECTING : MINICC_DOC_WELCOME;
        break;
    case MINICC_LOOKUP_FAILED:
        /* A 5xx would make Twilio play its own "application error"; the
         * caller hears ours, and the cause is in the log already. */
        call->doc = MINICC_DOC_TROUBLE;
        break;
    }
    return OK;
}

/* A Dial's outcome as a call-back counts it; NULL: none to count. */
static const char *dial_outcome(const char *status)
{
    static const char *const failures[] = { "busy", "no-answer", "failed",
                                            "canceled" };
    apr_size_t i;

    if (!status) {
        return NULL;
    }
    if (!strcmp(status, "completed") || !strcmp(status, "answered")) {
        return "completed";
    }
    for (i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
        if (!strcmp(status, failures[i])) {
            return failures[i];
        }
    }
    return NULL;
}

/* The operators' loop with call-backs on (doc/contract.txt, 8): the
 * outcome of the call-back this operator dialled, when the Dial's action
 * URL names one (whatever the child's copy says: an outcome is never
 * lost to it); then, when the operator is ready and the copy says the
 * queue has call-backs in line, the next one if it is due, claimed in the
 * database.  Without the database, or with none due, the loop goes on
 * with the queue. */
static void callback_outcome(minicc_call_t *call, const char *op,
                             apr_table_t *args)
{
    request_rec *r = call->r;
    const char *outcome = dial_outcome(param(call, "DialCallStatus"));

    if (outcome) {
        const char *dialled = apr_table_get(args, "callback");

        if (dialled && minicc_is_sid(dialled)) {
            minicc_callbacks_outcome(r, op, dialled, outcome,
                                     apr_itoa(r->pool, minicc_conf_number(
                                         call->conf,
                                         MINICC_CALLBACK_ATTEMPTS)),
                                     minicc_arrival_time(r));
        }
    }
}

static void callback_turn(minicc_call_t *call, const char *op)
{
    request_rec *r = call->r;
    const char *queue = minicc_conf_text(call->conf, MINICC_QUEUE);
    const char *now = minicc_arrival_time(r);
    const char **claimed;
    minicc_when_t when;
    int failed;

    minicc_conf_when(call->conf, minicc_now(r), &when);
    if (minicc_callers_callbacks_waiting(r, queue, when.date) <= 0) {
        return;
    }
    claimed = minicc_callbacks_claim(r, op, queue, now, &failed);
    if (claimed && claimed[1]) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(30901)
                      "operator call %s sent to call back %s (CallSid %s)",
                      op, ap_escape_logitem(r->pool, claimed[1]),
                      claimed[0]);
        call->own = minicc_doc_callback_dial(r->pool, call->conf,
                                             claimed[0], claimed[1],
                                             claimed[2]);
    }
}

/* ---- operators' states (doc/contract.txt 13) ---- */

#define STATE_READY "ready"
#define STATE_TALKING "talking"
#define STATE_WRAPUP "wrap-up"
#define STATE_BREAK "break"
#define STATE_OFFLINE "offline"

/* How many PINs an operator may key before the call ends. */
#define PIN_TRIES 3
/* The menu after a conversation without wrap-up, and the menu reached
 * from the loop: seconds for a key after the prompt. */
#define MENU_AFTER_CALL 3
#define MENU_TIMEOUT 10
/* A break's Gather: its message again after this many seconds. */
#define BREAK_TIMEOUT 30

/* The operator call of row is in state (reason: a break's; NULL) from
 * since (NULL: now) on: its row of operator_sessions, whose triggers keep
 * operator_states (sql/minicc.sql).  Only reports and the live view need
 * it: the operator hears the answer whatever the database says. */
static void enter_state(minicc_call_t *call, minicc_row_t *row,
                        const char *state, const char *reason,
                        const char *since)
{
    minicc_row_set(row, "State", state);
    minicc_row_set(row, "Reason", reason);
    minicc_row_set(row, "Since", since ? since : minicc_arrival_time(call->r));
    minicc_record(call->r, row);
}

/* An answer written for this operator's request (docs.c); 1: answered
 * (as the functions below return 1 when they answered, 0 when the
 * operator goes back to the callers). */
static int operator_doc(minicc_call_t *call, minicc_msg_e before,
                        minicc_msg_e prompt, const char *action, int timeout,
                        const char *then)
{
    minicc_operator_doc_t d;

    memset(&d, 0, sizeof(d));
    d.before = before;
    d.prompt = prompt;
    d.action = action;
    d.timeout = timeout;
    d.then = then;
    d.reasons = prompt == MINICC_MSG_BREAK_REASONS;
    d.pin = prompt == MINICC_MSG_PIN;
    if (d.reasons) {
        d.prompt = (minicc_msg_e)-1;
    }
    call->own = minicc_doc_operator(call->r->pool, call->conf, &d);
    return 1;
}

/* The menu: 1 ready, 2 a break, 9 log out (doc/contract.txt 13). */
static int operator_menu(minicc_call_t *call, minicc_msg_e before,
                         int timeout)
{
    return operator_doc(call, before, MINICC_MSG_OPERATOR_MENU, "menu=main",
                        timeout, "menu=main");
}

static int on_break(minicc_call_t *call, minicc_row_t *row, const char *key,
                    const char *reason)
{
    const char *q = apr_pstrcat(call->r->pool, "menu=break&reason=", key,
                                NULL);

    enter_state(call, row, STATE_BREAK, reason, NULL);
    return operator_doc(call, (minicc_msg_e)-1, MINICC_MSG_ON_BREAK, q,
                        BREAK_TIMEOUT, q);
}

static int log_out(minicc_call_t *call, minicc_row_t *row)
{
    enter_state(call, row, STATE_OFFLINE, NULL, NULL);
    return operator_doc(call, MINICC_MSG_OPERATOR_GOODBYE, (minicc_msg_e)-1,
                        NULL, 0, NULL);
}

/* A break: its reasons first where there are any. */
static int take_break(minicc_call_t *call, minicc_row_t *row)
{
    if (call->conf->nreasons) {
        return operator_doc(call, (minicc_msg_e)-1, MINICC_MSG_BREAK_REASONS,
                            "menu=reason", MENU_TIMEOUT, "menu=reason");
    }
    return on_break(call, row, "", NULL);
}

/* A key of the operator's menus (menu= of the Gather's action URL).  No
 * key at all comes as the Redirect after the Gather: from the menu, the
 * loop; from a break, the break again. */
static int menu_key(minicc_call_t *call, minicc_row_t *row, const char *menu,
                    apr_table_t *args)
{
    const char *digits = param(call, "Digits");
    char key = digits && strlen(digits) == 1 ? digits[0] : 0;

    if (!strcmp(menu, "break")) {
        const char *k = apr_table_get(args, "reason");
        const char *reason = k && strlen(k) == 1
            ? minicc_conf_reason(call->conf, k[0]) : NULL;

        if (key == '1') {
            return 0;
        }
        if (key == '9') {
            return log_out(call, row);
        }
        return on_break(call, row, reason ? k : "", reason);
    }
    if (!strcmp(menu, "reason")) {
        const char *reason = key ? minicc_conf_reason(call->conf, key) : NULL;
        char k[2] = { key, 0 };

        if (reason) {
            return on_break(call, row, apr_pstrdup(call->r->pool, k), reason);
        }
        return take_break(call, row);
    }
    if (!strcmp(menu, "wrapup") && !digits) {
        return 0;       /* the wrap-up's time is over */
    }
    switch (key) {
    case '1':
    case '#':
        return 0;
    case '2':
        return take_break(call, row);
    case '9':
        return log_out(call, row);
    default:
        if (!digits && !strcmp(menu, "main")) {
            return 0;   /* no key: back to the callers */
        }
        /* a wrong key: the same menu again */
        return operator_menu(call, (minicc_msg_e)-1, MENU_TIMEOUT);
    }
}

/* Back from the loop's Dial (after=dial): a conversation ended (Twilio
 * says DialBridged, or a DialCallDuration), by the caller or by the
 * operator's *, which Twilio tells apart by nothing (doc/contract.txt 13):
 * the wrap-up, or without one a short menu.  Not bridged: the Dial's
 * timeout (no-answer) goes on with the callers; a Dial that "completed"
 * without a bridge is the * of an idle operator: the menu.  0: the loop
 * again. */
static int after_dial(minicc_call_t *call, minicc_row_t *row,
                      apr_table_t *args)
{
    request_rec *r = call->r;
    const char *status = param(call, "DialCallStatus");
    const char *bridged = param(call, "DialBridged");
    const char *duration = param(call, "DialCallDuration");
    long seconds = duration && minicc_is_int32(duration) ? atol(duration) : 0;
    int wrapup = minicc_conf_number(call->conf, MINICC_WRAP_UP);

    if ((bridged && !strcasecmp(bridged, "true")) || seconds > 0) {
        if (apr_table_get(args, "callback") && seconds > 0) {
            /* a call-back's conversation: no guidance request said when
             * it began */
            minicc_row_t *talk = minicc_row_from_request(
                                     r, call->params,
                                     MINICC_TABLE_OPERATOR_SESSION);

            if (talk) {
                enter_state(call, talk, STATE_TALKING, NULL,
                            minicc_time_str(r->pool, minicc_now(r)
                                            - apr_time_from_sec(seconds)));
            }
        }
        if (wrapup > 0) {
            enter_state(call, row, STATE_WRAPUP, NULL, NULL);
            return operator_doc(call, (minicc_msg_e)-1, MINICC_MSG_WRAPUP,
                                "menu=wrapup", wrapup, "menu=wrapup");
        }
        if (minicc_conf_operator_menu(call->conf)) {
            enter_state(call, row, STATE_WRAPUP, NULL, NULL);
            return operator_menu(call, (minicc_msg_e)-1, MENU_AFTER_CALL);
        }
        return 0;
    }
    if (status && (!strcmp(status, "completed") || !strcmp(status, "answered"))
        && minicc_conf_operator_menu(call->conf)) {
        return operator_menu(call, (minicc_msg_e)-1, MENU_TIMEOUT);
    }
    return 0;
}

/* MiniCCOperatorPIN: the PIN keyed (pin=N: the tries before this one).
 * 1 with the answer, or 0 when the operator may take callers. */
static int pin_turn(minicc_call_t *call, minicc_row_t *row, apr_table_t *args)
{
    request_rec *r = call->r;
    const char *tried = apr_table_get(args, "pin");
    const char *from = param(call, "From");
    const char *digits = param(call, "Digits");
    const char *hash = NULL;
    minicc_when_t when;
    int tries;

    if (!tried) {
        return operator_doc(call, (minicc_msg_e)-1, MINICC_MSG_PIN, "pin=0",
                            MENU_TIMEOUT, "pin=0");
    }
    minicc_conf_when(call->conf, minicc_now(r), &when);
    switch (minicc_callers_pin(r, from ? from : "", when.date, &hash)) {
    case MINICC_LOOKUP_FAILED:
        /* the cause is logged */
        return operator_doc(call, MINICC_MSG_TROUBLE, (minicc_msg_e)-1,
                            NULL, 0, NULL);
    case MINICC_CUSTOMER:
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30905)
                      "operator PIN: caller ID %s (CallSid %s) is not in "
                      "operators; hung up", from ? ap_escape_logitem(
                          r->pool, from) : "(none)", row->values[0]);
        return operator_doc(call, MINICC_MSG_TROUBLE, (minicc_msg_e)-1,
                            NULL, 0, NULL);
    case MINICC_OPERATOR:
        break;
    }
    if (!hash) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30906)
                      "operator PIN: operator %s has no PIN and "
                      "MiniCCOperatorPIN is On; hung up.  Set one: UPDATE "
                      "operators SET PIN = '<hash>' WHERE telnum = '%s', the "
                      "hash from htpasswd -nbB x PIN | cut -d: -f2",
                      ap_escape_logitem(r->pool, from),
                      ap_escape_logitem(r->pool, from));
        return operator_doc(call, MINICC_MSG_TROUBLE, (minicc_msg_e)-1,
                            NULL, 0, NULL);
    }
    if (digits && *digits && apr_password_validate(digits, hash)
                             == APR_SUCCESS) {
        return 0;
    }
    tries = atoi(tried) + 1;
    if (tries >= PIN_TRIES) {
        /* the digits are never logged */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30907)
                      "operator PIN: %d wrong PINs from caller ID %s "
                      "(CallSid %s); hung up", tries,
                      ap_escape_logitem(r->pool, from), row->values[0]);
        return operator_doc(call, MINICC_MSG_PIN_WRONG, (minicc_msg_e)-1,
                            NULL, 0, NULL);
    }
    return operator_doc(call, MINICC_MSG_PIN_WRONG, MINICC_MSG_PIN,
                        apr_psprintf(r->pool, "pin=%d", tries), MENU_TIMEOUT,
                        apr_psprintf(r->pool, "pin=%d", tries));
}

/* A browser operator's state as their page asked for it (minicc-agent-
 * state, doc/contract.txt 14), which wins over the loop's own next step:
 * a break or a log-out is answered as the keypad's; ready ends a menu or
 * a break.  The page's key only made Twilio ask now.  1 with the answer,
 * 0 when the loop goes on as it would; a database that cannot say leaves
 * the loop as it is (logged). */
static int asked_by_page(minicc_call_t *call, minicc_row_t *row,
                         const char *menu, int *ready)
{
    const char *from = param(call, "From");
    const char **asked;
    int i;

    *ready = 0;
    if (!from || strncmp(from, "client:", 7)
        || minicc_agent_call(call->r, row->values[0], from, &asked) || !asked
        || !strcmp(asked[MINICC_AGENT_ENDED], "1")) {
        return 0;
    }
    if (!strcmp(asked[MINICC_AGENT_STATE], STATE_BREAK)) {
        const char *reason = asked[MINICC_AGENT_REASON];
        char k[2] = { 0, 0 };

        for (i = 0; reason && i < call->conf->nreasons; i++) {
            if (!strcmp(call->conf->reasons[i].name, reason)) {
                k[0] = call->conf->reasons[i].key;
            }
        }
        return on_break(call, row, apr_pstrdup(call->r->pool, k),
                        k[0] ? reason : NULL);
    }
    if (!strcmp(asked[MINICC_AGENT_STATE], STATE_OFFLINE)) {
        return log_out(call, row);
    }
    *ready = menu && !strcmp(asked[MINICC_AGENT_STATE], STATE_READY);
    return 0;
}

/* The queue the operator's loop serves now: with rows of operator_queues,
 * the one chosen from the child's copy (callers.c; no round trip), heard
 * before the Dial, and the Dial comes back to choose again; without, the
 * Location's MiniCCQueue, as before. */
static void serve_queues(minicc_call_t *call, minicc_row_t *row)
{
    const char *from = param(call, "From"), *queue;
    minicc_when_t when;

    if (!from) {
        return;
    }
    minicc_conf_when(call->conf, minicc_now(call->r), &when);
    if (minicc_callers_next_queue(call->r, from, when.date, &queue) > 0) {
        call->conf = minicc_conf_queue(call->r->pool, call->conf, queue);
        call->doc = MINICC_DOC_OPERATOR_QUEUES;
        minicc_row_set(row, "Queue", queue);
    }
}

/* minicc-operator: the operators' loop, one caller after another; with
 * the states of doc/contract.txt 13, the menu, the wrap-up and breaks
 * too, marked in the query of the URLs the loop writes for itself. */
static int operator(minicc_call_t *call)
{
    request_rec *r = call->r;
    minicc_row_t *row = minicc_row_from_request(r, call->params,
                                                MINICC_TABLE_OPERATOR_SESSION);
    int states = minicc_conf_operator_states(call->conf);
    int callback = minicc_conf_number(call->conf, MINICC_CALLBACK);
    int pin = minicc_conf_number(call->conf, MINICC_OPERATOR_PIN);
    apr_table_t *args = NULL;

    call->doc = MINICC_DOC_OPERATOR;
    if (!row) {
        return OK;      /* no call to follow: the loop, as before */
    }
    minicc_row_set(row, "Queue", minicc_conf_text(call->conf, MINICC_QUEUE));
    /* the query of the URL the loop wrote for itself, read once */
    if (callback || states || pin) {
        ap_args_to_table(r, &args);
    }
    /* a call-back's outcome counts whatever comes next */
    if (callback) {
        callback_outcome(call, row->values[0], args);
    }
    if (states || pin) {
        const char *menu;

        int ready = 0;

        menu = apr_table_get(args, "menu");
        if (pin && !apr_table_get(args, "verified")) {
            if (pin_turn(call, row, args)) {
                return OK;
            }
        }
        else if (states && asked_by_page(call, row, menu, &ready)) {
            return OK;
        }
        else if (ready) {
            /* the page said ready: the callers, whatever the menu */
        }
        else if (states && menu) {
            if (menu_key(call, row, menu, args)) {
                return OK;
            }
        }
        else if (states && apr_table_get(args, "after")
                 && after_dial(call, row, args)) {
            return OK;
        }
    }
    serve_queues(call, row);
    /* before this loop's row: the claim reads when the last one came */
    if (callback) {
        callback_turn(call, row->values[0]);
    }
    /* dialling a call-back is the operator's conversation */
    enter_state(call, row, call->own ? STATE_TALKING : STATE_READY, NULL,
                NULL);
    return OK;
}

/* minicc-client-voice: the TwiML App's Voice URL (doc/contract.txt 14).
 * A browser operator (From client:USER, a row of operators) gets the
 * operators' loop; any other caller takes no one from a queue: the
 * trouble message and the end of the call. */
static int client_voice(minicc_call_t *call)
{
    const char *from = param(call, "From");
    minicc_when_t when;
    int holiday;

    if (from && !strncmp(from, "client:", 7)) {
        minicc_conf_when(call->conf, minicc_now(call->r), &when);
        switch (minicc_callers_lookup(call->r, from, when.date, &holiday)) {
        case MINICC_OPERATOR:
            return operator(call);
        case MINICC_LOOKUP_FAILED:
            /* the cause is in the log already */
            call->doc = MINICC_DOC_TROUBLE;
            return OK;
        case MINICC_CUSTOMER:
            break;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, call->r, APLOGNO(30908)
                  "client-voice: From '%s' is no operator's client (a row "
                  "client:USER of operators): no caller for it",
                  ap_escape_logitem(call->r->pool, from ? from : ""));
    call->doc = MINICC_DOC_TROUBLE;
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
    const char *sid = param(call, "CallSid");
    const char *waited = param(call, "QueueTime");
    int variant = 0;

    if (sid && minicc_is_sid(sid)) {
        minicc_polls_note(call->r, sid, minicc_conf_text(call->conf,
                                                          MINICC_QUEUE),
                          waited && minicc_is_int32(waited) ? waited : NULL);
    }
    if (max_queue && position && atol(position) > max_queue) {
        call->doc = MINICC_DOC_OVERFLOW;
        return turn_away(call, "overflow");
    }
    if (max_wait) {
        if (waited && minicc_is_int32(waited) && atol(waited) >= max_wait) {
            call->doc = MINICC_DOC_OVERFLOW;
            return turn_away(call, "max-wait");
        }
    }

    if (waited && minicc_is_int32(waited) && atol(waited) >= 0
        && minicc_conf_number(call->conf, MINICC_CALLBACK)) {
        call->values[MINICC_VALUE_JOINED] = apr_ltoa(p,
            (long)apr_time_sec(minicc_now(call->r)) - atol(waited));
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
    if (table == MINICC_TABLE_ENQUEUE || table == MINICC_TABLE_QUEUE
        || table == MINICC_TABLE_SURVEY) {
        /* the queue's name: Twilio sends its QueueSid only */
        minicc_row_set(row, "Queue", minicc_conf_text(call->conf,
                                                      MINICC_QUEUE));
    }
    minicc_record(call->r, row);
    return OK;
}

/* minicc-guidance: Queue's url, heard as an operator picks up.  The row
 * makes its operator (DequeingCallSid) talking too, in the database
 * (sql/minicc.sql, minicc_pickup_talking): one write. */
static int guidance(minicc_call_t *call)
{
    call->doc = MINICC_DOC_GUIDANCE;
    return record_row(call, MINICC_TABLE_QUEUE);
}

/* Whether the caller who left the queue asked for a call-back.  When the
 * database cannot say, a leave where the wait loop makes no one leave
 * (no MiniCCMaxQueue, no MiniCCMaxWait) can only be one: its row waits in
 * the spool, and the caller hears the promise it keeps. */
static int asked_callback(minicc_call_t *call)
{
    const char *sid = param(call, "CallSid");
    int asked;

    if (!minicc_conf_number(call->conf, MINICC_CALLBACK) || !sid
        || !minicc_is_sid(sid)) {
        return 0;
    }
    asked = minicc_callbacks_asked(call->r, sid);
    return asked > 0
        || (asked < 0 && !minicc_conf_number(call->conf, MINICC_MAX_QUEUE)
            && !minicc_conf_number(call->conf, MINICC_MAX_WAIT));
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
    if (!strcmp(result, "leave") && asked_callback(call)) {
        call->doc = MINICC_DOC_CALLBACK_CONFIRM;
    }
    else if (!strcmp(result, "leave") || !strcmp(result, "queue-full")) {
        call->doc = MINICC_DOC_TURNED_AWAY;
    }
    else if (!strcmp(result, "error") || !strcmp(result, "system-error")) {
        call->doc = MINICC_DOC_EXIT_ERROR;
    }
    else if (!strcmp(result, "bridged")
             && minicc_conf_number(call->conf, MINICC_SURVEY)) {
        const char *status = param(call, "CallStatus");

        /* the operator ended the conversation: the caller is still on
         * the line, and their call goes on with this answer */
        if (status && !strcmp(status, "in-progress")) {
            call->doc = MINICC_DOC_SURVEY;
        }
    }
    return OK;
}

/* minicc-survey: the survey's Gather.  A key from 1 to 5 is the caller's
 * score, recorded once (a repeated request changes nothing); any other
 * key, or none, records nothing.  Either way: thanks, and the end. */
static int survey(minicc_call_t *call)
{
    const char *digits = param(call, "Digits");

    call->doc = MINICC_DOC_SURVEY_THANKS;
    if (!digits || strlen(digits) != 1 || digits[0] < '1'
        || digits[0] > '5') {
        return OK;
    }
    return record_row(call, MINICC_TABLE_SURVEY);
}

/* minicc-recording: a recording's status callback (MiniCCRecordCalls):
 * its row, in whatever order and however often Twilio sends it. */
static int recording(minicc_call_t *call)
{
    call->doc = MINICC_DOC_EMPTY;
    return record_row(call, MINICC_TABLE_RECORDING);
}

/* minicc-voicemail: the Record's action (the caller hears thanks) and its
 * status callback (RecordingStatus; nothing to say), in either order. */
static int voicemail(minicc_call_t *call)
{
    call->doc = param(call, "RecordingStatus") ? MINICC_DOC_EMPTY
                                               : MINICC_DOC_VOICEMAIL_THANKS;
    return record_row(call, MINICC_TABLE_VOICEMAIL);
}

/* How long the caller has waited, from the "joined" that the wait loop
 * wrote into this action's URL (seconds since 1970): Twilio sends
 * QueueTime to the waitUrl only.  Without it (a document written before
 * this was carried), the request's own QueueTime as stored (otherwise):
 * NULL makes the place in line the moment they asked. */
static const char *waited_so_far(minicc_call_t *call, const char *otherwise)
{
    request_rec *r = call->r;
    apr_table_t *args;
    const char *joined;
    long waited;

    ap_args_to_table(r, &args);
    joined = apr_table_get(args, "joined");
    if (!joined || !*joined) {
        return otherwise;
    }
    waited = minicc_is_int32(joined)
        ? (long)apr_time_sec(minicc_now(r)) - atol(joined) : -1;
    /* Twilio keeps a caller in a queue for at most 4 hours */
    if (waited < 0 || waited > 4 * 3600) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30904)
                      "call-back: joined=%s in the action URL is not a time "
                      "of the last 4 hours; the place in line is now",
                      ap_escape_logitem(r->pool, joined));
        return NULL;
    }
    return apr_ltoa(r->pool, waited);
}

/* minicc-callback: the action of the wait loop's Gather.  The call-back
 * key: the request is recorded (once: a repeated one changes nothing) and
 * the caller leaves the queue, to hear minicc-exit confirm it.  Another
 * key: nothing, and Twilio goes on with the wait loop.  A caller whose
 * number cannot be called (withheld, SIP, client:) is told so and stays in
 * line. */
static int callback(minicc_call_t *call)
{
    const char *digits = param(call, "Digits");
    minicc_row_t *row;

    if (!digits || strcmp(digits, minicc_conf_text(call->conf,
                                                   MINICC_CALLBACK_KEY))) {
        return OK;
    }
    if (!(row = minicc_row_from_request(call->r, call->params,
                                        MINICC_TABLE_CALLBACK))) {
        return HTTP_BAD_REQUEST;
    }
    /* From as stored (values[1], sql.c's callback_columns): one too long
     * for its column is NULL there, and no number could be dialled */
    if (!row->values[1] || !*row->values[1]) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, call->r,
                      APLOGNO(30902)
                      "call-back asked for by CallSid %s without a From "
                      "that can be stored: there is no number to call; the "
                      "caller goes on waiting", row->values[0]);
        return OK;
    }
    if (!minicc_is_dialable(row->values[1])) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, call->r, APLOGNO(30903)
                      "call-back asked for by CallSid %s from '%s', which is "
                      "not a number that can be called (E.164, not withheld);"
                      " the caller is told so and goes on waiting",
                      row->values[0],
                      ap_escape_logitem(call->r->pool, row->values[1]));
        call->doc = MINICC_DOC_CALLBACK_IMPOSSIBLE;
        return OK;
    }
    minicc_row_set(row, "Queue", minicc_conf_text(call->conf, MINICC_QUEUE));
    /* QueueTime as stored (values[4], sql.c's callback_columns) */
    minicc_row_set(row, "QueueTime", waited_so_far(call, row->values[4]));
    minicc_record(call->r, row);
    call->doc = MINICC_DOC_LEAVE;
    return OK;
}

/* minicc-callback-answer: the Number's url, heard by the customer who
 * answers the call-back, before the operator is put through. */
static int callback_answer(minicc_call_t *call)
{
    call->doc = MINICC_DOC_CALLBACK_GREETING;
    return OK;
}

/* Whether a call with this CallStatus has ended. */
static int call_ended(const char *status)
{
    static const char *const ended[] = { "completed", "busy", "failed",
                                         "no-answer", "canceled" };
    apr_size_t i;

    for (i = 0; status && i < sizeof(ended) / sizeof(ended[0]); i++) {
        if (!strcmp(status, ended[i])) {
            return 1;
        }
    }
    return 0;
}

/* minicc-status: the number's Status Callback URL.  An operator's call
 * that ended is offline from then on. */
static int status(minicc_call_t *call)
{
    int rc = record_row(call, MINICC_TABLE_STATUS);
    const char *from = param(call, "From");
    minicc_when_t when;
    int holiday;

    if (rc == OK && call_ended(param(call, "CallStatus")) && from) {
        minicc_conf_when(call->conf, minicc_now(call->r), &when);
        if (minicc_callers_lookup(call->r, from, when.date, &holiday)
            == MINICC_OPERATOR) {
            minicc_row_t *row = minicc_row_from_request(
                                    call->r, call->params,
                                    MINICC_TABLE_OPERATOR_SESSION);

            if (row) {
                enter_state(call, row, STATE_OFFLINE, NULL, NULL);
            }
        }
    }
    return rc;
}

/* minicc-information: menu key 2. */
static int information(minicc_call_t *call)
{
    call->doc = MINICC_DOC_INFORMATION;
    return OK;
}

/* Every handler: a new one is a line here and its function.  The order
 * is minicc-metrics' order. */
const minicc_handler_t minicc_handlers[] = {
    { "minicc-incoming",        incoming,        NULL },
    { "minicc-operator",        operator,        NULL },
    { "minicc-wait",            wait_in_queue,   NULL },
    { "minicc-guidance",        guidance,        NULL },
    { "minicc-exit",            exit_queue,      NULL },
    { "minicc-status",          status,          NULL },
    { "minicc-information",     information,     NULL },
    { "minicc-voicemail",       voicemail,       NULL },
    { "minicc-callback",        callback,        NULL },
    { "minicc-callback-answer", callback_answer, NULL },
    { "minicc-report",          NULL, minicc_report_handler },
    { "minicc-live",            NULL, minicc_live_handler },
    { "minicc-metrics",         NULL, minicc_metrics_handler },
    { "minicc-agent",           NULL, minicc_agent_page_handler },
    { "minicc-agent-token",     NULL, minicc_agent_token_handler },
    { "minicc-agent-state",     NULL, minicc_agent_state_handler },
    { "minicc-client-voice",    client_voice,    NULL },
    { "minicc-recording",       recording,       NULL },
    { "minicc-survey",          survey,          NULL }
};
const int minicc_handlers_count =
    (int)(sizeof(minicc_handlers) / sizeof(minicc_handlers[0]));

const minicc_handler_t *minicc_handlers_find(const char *name)
{
    int i;

    if (!name || strncmp(name, "minicc-", 7)) {
        return NULL;
    }
    for (i = 0; i < minicc_handlers_count; i++) {
        if (!strcmp(name, minicc_handlers[i].name)) {
            return &minicc_handlers[i];
        }
    }
    return NULL;
}
