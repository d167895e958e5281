/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The TwiML documents a webhook answers with (docs.c).  What a document
 * says depends on the configuration alone: the request's values (the queue
 * position, the minutes of the estimate) go into slots.  So each is written
 * through libxml2 once, at startup, for every configuration a request can
 * meet, and a request only fills in its values.
 */
#ifndef MINICC_DOCS_H
#define MINICC_DOCS_H

#include <httpd.h>

#include "minicc_config.h"
#include "minicc_twiml.h"

typedef enum {
    MINICC_DOC_EMPTY,                   /* exit, status */
    MINICC_DOC_WELCOME,                 /* incoming: the menu */
    MINICC_DOC_RETRY,                   /* incoming: another key */
    MINICC_DOC_CONNECTING,              /* incoming: key 1 */
    MINICC_DOC_TO_INFORMATION,          /* incoming: key 2 */
    MINICC_DOC_TO_OPERATOR,             /* incoming: an operator calls */
    MINICC_DOC_TROUBLE,                 /* incoming: the lookup failed */
    MINICC_DOC_OPERATOR,
    MINICC_DOC_WAIT,                    /* + 1: the position is known, */
    MINICC_DOC_WAIT_POSITION,           /* + 2: the estimate is said */
    MINICC_DOC_WAIT_ESTIMATE,
    MINICC_DOC_WAIT_POSITION_ESTIMATE,
    MINICC_DOC_GUIDANCE,
    MINICC_DOC_INFORMATION,
    MINICC_DOC_CLOSED,                  /* incoming: outside the hours */
    MINICC_DOC_OVERFLOW,                /* wait: over MiniCCMaxQueue/Wait */
    MINICC_DOC_TURNED_AWAY,             /* exit: leave, queue-full */
    MINICC_DOC_EXIT_ERROR,              /* exit: error, system-error */
    MINICC_DOC_VOICEMAIL_THANKS,        /* voicemail: the Record's action */
    MINICC_DOC_LEAVE,                   /* callback: the key pressed */
    MINICC_DOC_CALLBACK_CONFIRM,        /* exit: leave after a call-back */
    MINICC_DOC_CALLBACK_GREETING,       /* callback-answer */
    MINICC_DOC_CALLBACK_IMPOSSIBLE,     /* callback: no number to call */
    MINICC_DOC_OPERATOR_QUEUES,         /* operator of operator_queues:
                                         * the whisper, the Dial back */
    MINICC_DOC_TO_VOICEMAIL,            /* incoming: a menu key */
    MINICC_DOC_SURVEY,                  /* exit: bridged, still on the line */
    MINICC_DOC_SURVEY_THANKS,           /* survey: a key, or none */
    MINICC_DOC_COUNT
} minicc_doc_e;

/* The values of a request, for the slots of its document. */
enum {
    MINICC_VALUE_POSITION, MINICC_VALUE_MINUTES,
    MINICC_VALUE_JOINED,        /* when the caller joined the line, in
                                 * seconds since 1970 (the call-back's
                                 * place in line) */
    MINICC_VALUE_COUNT
};

/* post_config: for the URL of each <Location>, the merges that the
 * location walk makes, and the documents of their result. */
void minicc_docs_prepare(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/* Document id for conf: written at startup, or now, in p (a merge startup
 * did not make: <If>, <Directory>); NULL if libxml2 failed. */
const minicc_doc_t *minicc_doc_of(apr_pool_t *p, const minicc_dir_conf *conf,
                                  minicc_doc_e id);

/* What an operator hears and dials for a call-back: the number to call
 * (from) and the number the customer called (to, the caller ID; NULL:
 * none), written for the request, in p; NULL if libxml2 failed.  The
 * Dial's action is the loop's URL with callback=(callsid, the call-back's
 * CallSid), so that its outcome names the call-back it closes. */
const minicc_doc_t *minicc_doc_callback_dial(apr_pool_t *p,
                                             const minicc_dir_conf *conf,
                                             const char *callsid,
                                             const char *from,
                                             const char *to);

/* A menu key's URL (MiniCCMenu KEY URL): a Redirect to it, marked
 * direct=1, which minicc-incoming there takes for "into the queue, no
 * menu"; in p. */
#define MINICC_DIRECT "direct"
const minicc_doc_t *minicc_doc_menu_url(apr_pool_t *p, const char *url);

/* The operators' loop URL (MiniCCURL operator) with query added (NULL:
 * none); with MiniCCOperatorPIN it says the PIN was keyed
 * (MINICC_LOOP_VERIFIED), as every URL of the loop's own does. */
#define MINICC_LOOP_VERIFIED "verified=1"
#define MINICC_LOOP_AFTER_DIAL "after=dial"
const char *minicc_docs_loop_url(apr_pool_t *p, const minicc_dir_conf *conf,
                                 const char *query);

/* An operator's document outside the loop's Dial (doc/contract.txt 13),
 * written for the request: a message (before; -1: none), then, with an
 * action, a Gather of one key (of digits ended by #, for the PIN) to the
 * loop URL with action's query, timeout seconds, saying prompt (-1: none)
 * and the break reasons; then a Redirect to the loop URL with then's
 * query, or (then NULL) Hangup.  The PIN's URLs (pin) are never marked
 * verified. */
typedef struct {
    minicc_msg_e before, prompt;
    int reasons, pin, timeout;
    const char *action, *then;
} minicc_operator_doc_t;
const minicc_doc_t *minicc_doc_operator(apr_pool_t *p,
                                        const minicc_dir_conf *conf,
                                        const minicc_operator_doc_t *d);

#endif /* MINICC_DOCS_H */
