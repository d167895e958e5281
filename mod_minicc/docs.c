/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * What each webhook says, as TwiML (doc/contract.txt, 2), and the writing
 * of it once per configuration at startup: for every <Location>, the
 * merges the location walk of a request to its URL will make are made
 * now (config.c remembers them), and the documents of each distinct
 * configuration written.  Only a request whose sections startup did not
 * merge (<If>, <Directory>) has its document written for it.
 */
#include "mod_minicc_private.h"
#include "minicc_docs.h"
#include "minicc_text.h"

#include <apr_fnmatch.h>
#include <http_core.h>

/* The documents of one configuration. */
struct minicc_docs {
    minicc_doc_t doc[MINICC_DOC_COUNT];
};

static void say_text(minicc_twiml *tw, const minicc_dir_conf *conf,
                     const char *text, const char *slot_name, int slot)
{
    const char *voice = minicc_conf_text(conf, MINICC_VOICE);

    minicc_twiml_open(tw, "Say");
    if (voice) {
        minicc_twiml_attr(tw, "voice", voice);
    }
    minicc_twiml_attr(tw, "language", minicc_conf_text(conf,
                                                       MINICC_LANGUAGE));
    if (slot_name) {
        minicc_twiml_text_slots(tw, text, slot_name, slot);
    }
    else {
        minicc_twiml_text(tw, text);
    }
    minicc_twiml_close(tw);
}

static void say(minicc_twiml *tw, const minicc_dir_conf *conf,
                minicc_msg_e key, const char *slot_name, int slot)
{
    say_text(tw, conf, minicc_conf_message(conf, key), slot_name, slot);
}

static void say_message(minicc_twiml *tw, const minicc_dir_conf *conf,
                        minicc_msg_e key)
{
    say(tw, conf, key, NULL, 0);
}

static void redirect_to(minicc_twiml *tw, const char *url)
{
    minicc_twiml_open(tw, "Redirect");
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_text(tw, url);
    minicc_twiml_close(tw);
}

static void redirect(minicc_twiml *tw, const minicc_dir_conf *conf,
                     minicc_url_e target)
{
    redirect_to(tw, minicc_conf_url(conf, target));
}

static void enqueue(minicc_twiml *tw, const minicc_dir_conf *conf)
{
    minicc_twiml_open(tw, "Enqueue");
    minicc_twiml_attr(tw, "waitUrl", minicc_conf_url(conf, MINICC_URL_WAIT));
    minicc_twiml_attr(tw, "waitUrlMethod", "POST");
    minicc_twiml_attr(tw, "action", minicc_conf_url(conf, MINICC_URL_EXIT));
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_text(tw, minicc_conf_text(conf, MINICC_QUEUE));
    minicc_twiml_close(tw);
}

/* One key, asked for by prompt, for the URL target to hear within
 * timeout seconds; Twilio runs what follows when none comes. */
static void gather_key(minicc_twiml *tw, const minicc_dir_conf *conf,
                       const char *timeout, minicc_url_e target,
                       minicc_msg_e prompt)
{
    minicc_twiml_open(tw, "Gather");
    minicc_twiml_attr(tw, "numDigits", "1");
    minicc_twiml_attr(tw, "timeout", timeout);
    minicc_twiml_attr(tw, "action", minicc_conf_url(conf, target));
    minicc_twiml_attr(tw, "method", "POST");
    say_message(tw, conf, prompt);
    minicc_twiml_close(tw);
}

/* The IVR menu; Twilio runs what follows the Gather when no key comes. */
static void menu(minicc_twiml *tw, const minicc_dir_conf *conf,
                 minicc_msg_e prompt, apr_pool_t *p)
{
    gather_key(tw, conf, apr_itoa(p, minicc_conf_number(
                                          conf, MINICC_GATHER_TIMEOUT)),
               MINICC_URL_INCOMING, prompt);
    say_message(tw, conf, MINICC_MSG_NOINPUT);
    enqueue(tw, minicc_conf_queue(p, conf, minicc_conf_first_queue(conf)));
}

static void hangup(minicc_twiml *tw)
{
    minicc_twiml_open(tw, "Hangup");
    minicc_twiml_close(tw);
}

/* url with query added to its own. */
static const char *with_query(apr_pool_t *p, const char *url,
                              const char *query)
{
    return apr_pstrcat(p, url, strchr(url, '?') ? "&" : "?", query, NULL);
}

/* The loop's URL for the PIN's own requests: never marked verified. */
static const char *pin_url(apr_pool_t *p, const minicc_dir_conf *conf,
                           const char *query)
{
    return with_query(p, minicc_conf_url(conf, MINICC_URL_OPERATOR), query);
}

const char *minicc_docs_loop_url(apr_pool_t *p, const minicc_dir_conf *conf,
                                 const char *query)
{
    const char *url = minicc_conf_url(conf, MINICC_URL_OPERATOR);

    if (minicc_conf_number(conf, MINICC_OPERATOR_PIN)) {
        url = with_query(p, url, MINICC_LOOP_VERIFIED);
    }
    return query ? with_query(p, url, query) : url;
}

/* MiniCCRecordCalls: the conversation a <Dial> bridges is recorded, the
 * caller and the operator on channels of their own (Twilio: the parent
 * call, the operator's, on the first), and Twilio tells minicc-recording
 * when the recording is there. */
static void record_dial(minicc_twiml *tw, const minicc_dir_conf *conf)
{
    if (minicc_conf_number(conf, MINICC_RECORD_CALLS)) {
        minicc_twiml_attr(tw, "record", "record-from-answer-dual");
        minicc_twiml_attr(tw, "recordingStatusCallback",
                          minicc_conf_url(conf, MINICC_URL_RECORDING));
        minicc_twiml_attr(tw, "recordingStatusCallbackMethod", "POST");
    }
}

/* What a caller hears first when the conversation is recorded. */
static void say_recording_notice(minicc_twiml *tw, const minicc_dir_conf *conf)
{
    if (minicc_conf_number(conf, MINICC_RECORD_CALLS)) {
        say_message(tw, conf, MINICC_MSG_RECORDING_NOTICE);
    }
}

/* The operators' loop: one caller after another.  With call-backs on, the
 * Dial comes back to the loop after each conversation and after
 * MiniCCCallbackIdle seconds without a caller, so that the loop can send
 * the operator to a call-back (handlers.c).  With operators' states
 * (doc/contract.txt 13) it comes back after each conversation too, marked
 * after=dial, and with the menu * ends it (hangupOnStar).  With
 * MiniCCOperatorPIN, the loop's own URLs say that the PIN was keyed. */
static void operator_loop(minicc_twiml *tw, const minicc_dir_conf *conf,
                          int skills, apr_pool_t *p)
{
    int states = minicc_conf_operator_states(conf);
    int back = skills || minicc_conf_number(conf, MINICC_CALLBACK);

    if (skills) {
        say_text(tw, conf, minicc_fill(p, minicc_conf_message(
                                              conf, MINICC_MSG_WHISPER),
                                       "queue", minicc_conf_text(
                                                    conf, MINICC_QUEUE)),
                 NULL, 0);
    }
    else {
        say_message(tw, conf, MINICC_MSG_OPERATOR);
    }
    minicc_twiml_open(tw, "Dial");
    if (minicc_conf_operator_menu(conf)) {
        minicc_twiml_attr(tw, "hangupOnStar", "true");
    }
    record_dial(tw, conf);
    /* an operator of several queues comes back to choose again */
    if (back) {
        minicc_twiml_attr(tw, "timeout",
                          apr_itoa(p, minicc_conf_number(
                                          conf, MINICC_CALLBACK_IDLE)));
    }
    if (states || back) {
        minicc_twiml_attr(tw, "action", minicc_docs_loop_url(
                              p, conf, states ? MINICC_LOOP_AFTER_DIAL
                                              : NULL));
        minicc_twiml_attr(tw, "method", "POST");
    }
    minicc_twiml_open(tw, "Queue");
    minicc_twiml_attr(tw, "url", minicc_conf_url(conf, MINICC_URL_GUIDANCE));
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_text(tw, minicc_conf_text(conf, MINICC_QUEUE));
    minicc_twiml_close(tw);
    minicc_twiml_close(tw);
    redirect_to(tw, minicc_docs_loop_url(p, conf, NULL));
}

/* The break reasons, each by the break-reasons message: "{reason}" its
 * name, "{key}" its key. */
static void say_reasons(minicc_twiml *tw, const minicc_dir_conf *conf,
                        apr_pool_t *p)
{
    const char *text = minicc_conf_message(conf, MINICC_MSG_BREAK_REASONS);
    int i;

    for (i = 0; i < conf->nreasons; i++) {
        char key[2] = { conf->reasons[i].key, 0 };

        say_text(tw, conf, minicc_fill(p, minicc_fill(p, text, "reason",
                                                      conf->reasons[i].name),
                                       "key", key), NULL, 0);
    }
}

/* The loop's URL with query, for d (the PIN's are not verified). */
static const char *operator_url(apr_pool_t *p, const minicc_dir_conf *conf,
                                const minicc_operator_doc_t *d,
                                const char *query)
{
    return d->pin ? pin_url(p, conf, query)
                  : minicc_docs_loop_url(p, conf, query);
}

const minicc_doc_t *minicc_doc_operator(apr_pool_t *p,
                                        const minicc_dir_conf *conf,
                                        const minicc_operator_doc_t *d)
{
    minicc_twiml *tw = minicc_twiml_start(p);

    if ((int)d->before >= 0) {
        say_message(tw, conf, d->before);
    }
    if (d->action) {
        minicc_twiml_open(tw, "Gather");
        if (d->pin) {
            minicc_twiml_attr(tw, "finishOnKey", "#");
        }
        else {
            minicc_twiml_attr(tw, "numDigits", "1");
        }
        minicc_twiml_attr(tw, "timeout", apr_itoa(p, d->timeout));
        minicc_twiml_attr(tw, "action", operator_url(p, conf, d, d->action));
        minicc_twiml_attr(tw, "method", "POST");
        if ((int)d->prompt >= 0) {
            say_message(tw, conf, d->prompt);
        }
        if (d->reasons) {
            say_reasons(tw, conf, p);
        }
        minicc_twiml_close(tw);
    }
    if (d->then) {
        redirect_to(tw, operator_url(p, conf, d, d->then));
    }
    else {
        hangup(tw);
    }
    return minicc_twiml_finish_doc(tw);
}

/* The call-back offer: its "{key}" is MiniCCCallbackKey. */
static void say_offer(minicc_twiml *tw, const minicc_dir_conf *conf,
                      apr_pool_t *p)
{
    const char *text = minicc_conf_message(conf, MINICC_MSG_CALLBACK_OFFER);
    const char *key = minicc_conf_text(conf, MINICC_CALLBACK_KEY);
    const char *at;

    while ((at = strstr(text, "{key}"))) {
        text = apr_psprintf(p, "%.*s%s%s", (int)(at - text), text, key,
                            at + 5);
    }
    say_text(tw, conf, text, NULL, 0);
}

/* While the caller waits: the position is a slot when it is known, and
 * so are the minutes of the estimate.  With call-backs on, what follows
 * the pause is a Gather of one key, whose action is the call-back URL. */
static void waiting(minicc_twiml *tw, const minicc_dir_conf *conf,
                    int with_position, int with_estimate, apr_pool_t *p)
{
    int pause = minicc_conf_number(conf, MINICC_WAIT_PAUSE);
    int callback = minicc_conf_number(conf, MINICC_CALLBACK);

    if (pause > 0) {
        minicc_twiml_open(tw, "Pause");
        minicc_twiml_attr(tw, "length", apr_itoa(p, pause));
        minicc_twiml_close(tw);
    }
    if (callback) {
        const char *url = minicc_conf_url(conf, MINICC_URL_CALLBACK);

        minicc_twiml_open(tw, "Gather");
        minicc_twiml_attr(tw, "numDigits", "1");
        minicc_twiml_attr(tw, "timeout", "1");
        /* Twilio posts QueueTime to the waitUrl only, not to this
         * Gather's action: the place in line goes with the action URL
         * (which the signature covers) */
        minicc_twiml_attr_slot(tw, "action", with_query(p, url, "joined="),
                               MINICC_VALUE_JOINED);
        minicc_twiml_attr(tw, "method", "POST");
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
    if (callback) {
        say_offer(tw, conf, p);
    }
    minicc_twiml_open(tw, "Play");
    minicc_twiml_text(tw, minicc_conf_text(conf, MINICC_HOLD_MUSIC));
    minicc_twiml_close(tw);
    if (callback) {
        minicc_twiml_close(tw);
    }
}

static void say_and_hang_up(minicc_twiml *tw, const minicc_dir_conf *conf,
                            minicc_msg_e key)
{
    say_message(tw, conf, key);
    hangup(tw);
}

/* Out of the queue: Twilio then asks the Enqueue action (exit) with
 * QueueResult leave. */
static void leave(minicc_twiml *tw)
{
    minicc_twiml_open(tw, "Leave");
    minicc_twiml_close(tw);
}

/* What a caller turned away hears last: with MiniCCVoicemail On, the
 * invitation and a Record whose action and status callback are the
 * voicemail URL; then the call ends. */
static void voicemail_at(minicc_twiml *tw, const minicc_dir_conf *conf,
                         apr_pool_t *p)
{
    const char *url = minicc_conf_url(conf, MINICC_URL_VOICEMAIL);

    say_message(tw, conf, MINICC_MSG_VOICEMAIL);
    minicc_twiml_open(tw, "Record");
    minicc_twiml_attr(tw, "action", url);
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_attr(tw, "maxLength",
                      apr_itoa(p, minicc_conf_number(
                                      conf, MINICC_VOICEMAIL_LENGTH)));
    minicc_twiml_attr(tw, "finishOnKey", "#");
    minicc_twiml_attr(tw, "playBeep", "true");
    minicc_twiml_attr(tw, "recordingStatusCallback", url);
    minicc_twiml_attr(tw, "recordingStatusCallbackMethod", "POST");
    minicc_twiml_close(tw);
    hangup(tw);
}

static void voicemail_or_hangup(minicc_twiml *tw, const minicc_dir_conf *conf,
                                apr_pool_t *p)
{
    if (minicc_conf_number(conf, MINICC_VOICEMAIL)) {
        voicemail_at(tw, conf, p);
        return;
    }
    hangup(tw);
}

/* Configurations with the same minicc_conf_key() share the documents
 * written at startup: every setting is in the key. */
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
        say_and_hang_up(tw, conf, MINICC_MSG_TROUBLE);
        break;
    case MINICC_DOC_OPERATOR:
        operator_loop(tw, conf, 0, p);
        break;
    case MINICC_DOC_OPERATOR_QUEUES:
        operator_loop(tw, conf, 1, p);
        break;
    case MINICC_DOC_TO_VOICEMAIL:
        voicemail_at(tw, conf, p);
        break;
    case MINICC_DOC_WAIT:
    case MINICC_DOC_WAIT_POSITION:
    case MINICC_DOC_WAIT_ESTIMATE:
    case MINICC_DOC_WAIT_POSITION_ESTIMATE:
        waiting(tw, conf, (id - MINICC_DOC_WAIT) & 1,
                (id - MINICC_DOC_WAIT) & 2, p);
        break;
    case MINICC_DOC_GUIDANCE:
        say_recording_notice(tw, conf);
        say_message(tw, conf, MINICC_MSG_GUIDANCE);
        break;
    case MINICC_DOC_INFORMATION:
        say_message(tw, conf, MINICC_MSG_INFORMATION);
        break;
    case MINICC_DOC_CLOSED:
        say_message(tw, conf, MINICC_MSG_CLOSED);
        voicemail_or_hangup(tw, conf, p);
        break;
    case MINICC_DOC_OVERFLOW:
        say_message(tw, conf, MINICC_MSG_OVERFLOW);
        leave(tw);
        break;
    case MINICC_DOC_TURNED_AWAY:
        voicemail_or_hangup(tw, conf, p);
        break;
    case MINICC_DOC_EXIT_ERROR:
        say_message(tw, conf, MINICC_MSG_TROUBLE);
        voicemail_or_hangup(tw, conf, p);
        break;
    case MINICC_DOC_VOICEMAIL_THANKS:
        say_and_hang_up(tw, conf, MINICC_MSG_VOICEMAIL_THANKS);
        break;
    case MINICC_DOC_LEAVE:
        leave(tw);
        break;
    case MINICC_DOC_CALLBACK_CONFIRM:
        say_and_hang_up(tw, conf, MINICC_MSG_CALLBACK_CONFIRM);
        break;
    case MINICC_DOC_CALLBACK_GREETING:
        say_message(tw, conf, MINICC_MSG_CALLBACK_GREETING);
        say_recording_notice(tw, conf);
        break;
    case MINICC_DOC_SURVEY:
        gather_key(tw, conf, "10", MINICC_URL_SURVEY, MINICC_MSG_SURVEY);
        say_and_hang_up(tw, conf, MINICC_MSG_SURVEY_THANKS);
        break;
    case MINICC_DOC_SURVEY_THANKS:
        say_and_hang_up(tw, conf, MINICC_MSG_SURVEY_THANKS);
        break;
    case MINICC_DOC_CALLBACK_IMPOSSIBLE:
        /* then Twilio goes on with the wait loop */
        say_message(tw, conf, MINICC_MSG_CALLBACK_IMPOSSIBLE);
        break;
    case MINICC_DOC_COUNT:
        break;
    }
    return minicc_twiml_finish_doc(tw);
}

const minicc_doc_t *minicc_doc_callback_dial(apr_pool_t *p,
                                             const minicc_dir_conf *conf,
                                             const char *callsid,
                                             const char *from, const char *to)
{
    minicc_twiml *tw = minicc_twiml_start(p);
    const char *loop = minicc_docs_loop_url(
                           p, conf, minicc_conf_operator_states(conf)
                                    ? MINICC_LOOP_AFTER_DIAL : NULL);

    say_message(tw, conf, MINICC_MSG_CALLBACK_OPERATOR);
    minicc_twiml_open(tw, "Dial");
    if (to && *to) {
        minicc_twiml_attr(tw, "callerId", to);
    }
    minicc_twiml_attr(tw, "timeout", "30");
    record_dial(tw, conf);
    /* the outcome that comes back to the loop names its call-back */
    minicc_twiml_attr(tw, "action", with_query(p, loop,
                                               apr_pstrcat(p, "callback=",
                                                           callsid, NULL)));
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_open(tw, "Number");
    minicc_twiml_attr(tw, "url", minicc_conf_url(conf,
                                                 MINICC_URL_CALLBACK_ANSWER));
    minicc_twiml_attr(tw, "method", "POST");
    minicc_twiml_text(tw, from);
    minicc_twiml_close(tw);
    minicc_twiml_close(tw);
    return minicc_twiml_finish_doc(tw);
}

/* Every document for conf, in pconf; NULL if libxml2 failed. */
static const struct minicc_docs *render_all(apr_pool_t *pconf,
                                            apr_pool_t *ptemp,
                                            const minicc_dir_conf *conf)
{
    struct minicc_docs *all = apr_pcalloc(pconf, sizeof(*all));
    minicc_doc_t *docs = all->doc;
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
    return all;
}

const minicc_doc_t *minicc_doc_of(apr_pool_t *p, const minicc_dir_conf *conf,
                                  minicc_doc_e id)
{
    return conf->docs ? &conf->docs->doc[id] : render(p, conf, id);
}

/* Whether ap_location_walk applies section to uri: the test of httpd
 * 2.4's request.c. */
static int location_applies(const core_dir_config *section, const char *uri)
{
    apr_size_t len;

    if (section->r) {
        return !ap_regexec(section->r, uri, 0, NULL, 0);
    }
    if (section->d_is_fnmatch) {
        return !apr_fnmatch(section->d, uri, APR_FNM_PATHNAME);
    }
    len = strlen(section->d);
    return !strncmp(section->d, uri, len)
        && (!len || section->d[len - 1] == '/' || uri[len] == '/'
            || !uri[len]);
}

/* c's documents, rendered once for all the objects that say the same (a
 * main server's sections in each of many virtual hosts). */
static void render_once(apr_pool_t *pconf, apr_pool_t *ptemp,
                        apr_hash_t *rendered, minicc_dir_conf *c)
{
    const char *key;
    const minicc_queue_confs_t *q;

    if (c->docs) {
        return;
    }
    key = minicc_conf_key(ptemp, c);
    if (!(c->docs = apr_hash_get(rendered, key, APR_HASH_KEY_STRING))) {
        c->docs = render_all(pconf, ptemp, c);
        apr_hash_set(rendered, key, APR_HASH_KEY_STRING, c->docs);
    }
    /* and those of the menu's queues (doc/contract.txt 15) */
    minicc_conf_queues_make(pconf, c);
    for (q = c->queues; q; q = q->next) {
        render_once(pconf, ptemp, rendered, q->conf);
    }
}

const minicc_doc_t *minicc_doc_menu_url(apr_pool_t *p, const char *url)
{
    minicc_twiml *tw = minicc_twiml_start(p);

    redirect_to(tw, with_query(p, url, MINICC_DIRECT "=1"));
    return minicc_twiml_finish_doc(tw);
}

void minicc_docs_prepare(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *rendered = apr_hash_make(ptemp);

    for (; s; s = s->next) {
        minicc_dir_conf *defaults = ap_get_module_config(s->lookup_defaults,
                                                         &minicc_module);
        core_server_config *core = ap_get_core_module_config(
                                       s->module_config);
        ap_conf_vector_t **sections = (ap_conf_vector_t **)
                                      core->sec_url->elts;
        int n = core->sec_url->nelts, i, j;

        render_once(pconf, ptemp, rendered, defaults);
        for (i = 0; i < n; i++) {
            const core_dir_config *where = ap_get_core_module_config(
                                               sections[i]);
            minicc_dir_conf *now = ap_get_module_config(sections[i],
                                                        &minicc_module);

            if (!now) {
                continue;
            }
            /* a request that meets this section alone */
            render_once(pconf, ptemp, rendered,
                        minicc_conf_merge_once(pconf, defaults, now));
            if (where->r || where->d_is_fnmatch || !where->d) {
                continue;
            }
            /* a request to the URL of this <Location>: the sections it
             * meets, merged in order, then onto the server's defaults */
            now = NULL;
            for (j = 0; j < n; j++) {
                minicc_dir_conf *section = ap_get_module_config(
                                               sections[j], &minicc_module);

                if (section && location_applies(ap_get_core_module_config(
                                                    sections[j]), where->d)) {
                    now = now ? minicc_conf_merge_once(pconf, now, section)
                              : section;
                }
            }
            if (now) {
                render_once(pconf, ptemp, rendered,
                            minicc_conf_merge_once(pconf, defaults, now));
            }
        }
    }
}

