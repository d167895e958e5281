/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * libFuzzer target over what a hostile request body reaches: the form
 * parser, the text rules, the signature check, the TwiML writer and the
 * spool's records.  Properties checked, beyond "no crash, no leak, no
 * undefined behaviour": the TwiML is always well-formed XML, a message
 * written once with slots and filled reads as the message filled then
 * written, and every row the spool writes reads back identical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <libxml/parser.h>

#include "minicc_signature.h"
#include "minicc_spoolfmt.h"
#include "minicc_text.h"
#include "minicc_twiml.h"

static apr_pool_t *root;

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&root, NULL);
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    return 0;
}

/* The Say of template, written with its {position} as slots and filled
 * with digits, or written filled. */
static const char *say_of(apr_pool_t *p, const char *template,
                          const char *digits, int slots, apr_size_t *len)
{
    minicc_twiml *tw = minicc_twiml_start(p);
    const minicc_doc_t *doc;
    const char *values[1] = { digits };

    minicc_twiml_open(tw, "Say");
    if (slots) {
        minicc_twiml_text_slots(tw, template, "position", 0);
    }
    else {
        minicc_twiml_text(tw, minicc_fill(p, template, "position", digits));
    }
    doc = minicc_twiml_finish_doc(tw);
    if (!doc) {
        abort();
    }
    return minicc_twiml_fill(p, doc, values, len);
}

/* A message template, written once at startup and filled per request,
 * says what it says when written per request. */
static void check_slots(apr_pool_t *p, const char *template,
                        const char *digits)
{
    apr_size_t len1, len2;
    const char *once = say_of(p, template, digits, 1, &len1);
    const char *each = say_of(p, template, digits, 0, &len2);

    if (len1 != len2 || memcmp(once, each, len1)) {
        abort();
    }
}

static void check_twiml(apr_pool_t *p, minicc_params_t *params)
{
    minicc_twiml *tw = minicc_twiml_start(p);
    const char *doc;
    apr_size_t len;
    xmlDocPtr x;
    int i, changed;

    for (i = 0; i < params->raw->nelts; i++) {
        const minicc_param_t *pr = &APR_ARRAY_IDX(params->raw, i,
                                                  minicc_param_t);
        const char *v = minicc_text_clean(p, pr->value, pr->value_len, 0,
                                          &changed);
        const char *pos = minicc_queue_position(p, v);

        minicc_twiml_open(tw, "Say");
        minicc_twiml_attr(tw, "language", v);
        minicc_twiml_text(tw, minicc_fill(p, "n {position} {position}",
                                          "position", pos ? pos : v));
        minicc_twiml_close(tw);
        check_slots(p, v, pos ? pos : "7");
        (void)minicc_is_sid(v);
        (void)minicc_is_int32(v);
        (void)minicc_wait_minutes(v);
        (void)minicc_utf8_length(v);
    }
    doc = minicc_twiml_finish(tw, &len);
    if (!doc) {
        abort();
    }
    x = xmlReadMemory(doc, (int)len, NULL, "UTF-8", XML_PARSE_NONET);
    if (!x) {
        abort();    /* the writer produced something Twilio would refuse */
    }
    xmlFreeDoc(x);
}

static void check_spool(apr_pool_t *p, minicc_params_t *params,
                        const char *data, size_t size)
{
    const char **values = apr_pcalloc(p, sizeof(char *) * 8);
    int n = 0, i, changed, rc;
    apr_size_t len, off = 0;
    const char *rec;
    minicc_spoolfmt_rec_t back;

    for (i = 0; i < params->raw->nelts && n < 8; i++) {
        const minicc_param_t *pr = &APR_ARRAY_IDX(params->raw, i,
                                                  minicc_param_t);
        values[n++] = (i % 3 == 2) ? NULL
            : minicc_text_clean(p, pr->value, pr->value_len, 0, &changed);
    }
    rec = minicc_spoolfmt_encode(p, "enqueue_data", values, n, &len);
    if (minicc_spoolfmt_decode(p, rec, len, &off, &back) != 1 || off != len
        || strcmp(back.table, "enqueue_data") || back.nvalues != n) {
        abort();
    }
    for (i = 0; i < n; i++) {
        if ((values[i] == NULL) != (back.values[i] == NULL)
            || (values[i] && strcmp(values[i], back.values[i]))) {
            abort();
        }
    }
    /* the raw input as a spool file: must never loop or read past it */
    off = 0;
    while ((rc = minicc_spoolfmt_decode(p, data, size, &off, &back)) != 0) {
        if (off > size) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *body;
    minicc_params_t *params;
    const char *tokens[] = { "12345", "0123456789abcdef0123456789abcdef" };

    apr_pool_create(&p, root);
    /* the module reads bodies into NUL-terminated buffers */
    body = apr_palloc(p, size + 1);
    memcpy(body, data, size);
    body[size] = '\0';
    params = minicc_form_parse(p, body, size);
    (void)minicc_signature_valid(p, tokens, 2,
                                 "https://user:pw@cc.example.com:8443/minicc/"
                                 "incoming?x=1", params,
                                 "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    minicc_params_decode_all(params);
    check_twiml(p, params);
    check_spool(p, params, body, size);
    apr_pool_destroy(p);
    return 0;
}
