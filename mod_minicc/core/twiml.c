/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * TwiML through libxml2's xmlTextWriter, so that escaping is libxml2's job
 * and never ours.  The writer does not reject control characters or invalid
 * UTF-8 (it would write a document Twilio refuses), so every string is
 * cleaned on its way in.
 */
#include <libxml/xmlwriter.h>

#include "minicc_twiml.h"
#include "minicc_text.h"

struct minicc_twiml {
    apr_pool_t *pool;
    xmlBufferPtr buffer;
    xmlTextWriterPtr writer;
    apr_array_header_t *slots;  /* minicc_slot_t, NULL until the first */
    int failed;
};

/* libxml2 allocates with malloc: hand both back when the pool goes, so
 * that no early return can leak them. */
static apr_status_t twiml_cleanup(void *data)
{
    minicc_twiml *tw = data;

    if (tw->writer) {
        xmlFreeTextWriter(tw->writer);
        tw->writer = NULL;
    }
    if (tw->buffer) {
        xmlBufferFree(tw->buffer);
        tw->buffer = NULL;
    }
    return APR_SUCCESS;
}

static const xmlChar *clean(minicc_twiml *tw, const char *s)
{
    int changed;

    return BAD_CAST minicc_text_clean(tw->pool, s, strlen(s), 1, &changed);
}

static void check(minicc_twiml *tw, int rc)
{
    if (rc < 0) {
        tw->failed = 1;
    }
}

minicc_twiml *minicc_twiml_start(apr_pool_t *p)
{
    minicc_twiml *tw = apr_pcalloc(p, sizeof(*tw));

    tw->pool = p;
    apr_pool_cleanup_register(p, tw, twiml_cleanup, apr_pool_cleanup_null);
    tw->buffer = xmlBufferCreateSize(1024);
    tw->writer = tw->buffer ? xmlNewTextWriterMemory(tw->buffer, 0) : NULL;
    if (!tw->writer) {
        tw->failed = 1;
        return tw;
    }
    /* The declaration as xmlTextWriterStartDocument(.., "UTF-8", ..) would
     * write it, but without the UTF-8 -> UTF-8 output encoder that call
     * installs: every later write would go through it for nothing. */
    check(tw, xmlTextWriterWriteRaw(tw->writer, BAD_CAST
                                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    check(tw, xmlTextWriterStartElement(tw->writer, BAD_CAST "Response"));
    return tw;
}

void minicc_twiml_open(minicc_twiml *tw, const char *element)
{
    if (!tw->failed) {
        check(tw, xmlTextWriterStartElement(tw->writer, BAD_CAST element));
    }
}

void minicc_twiml_attr(minicc_twiml *tw, const char *name, const char *value)
{
    if (!tw->failed) {
        check(tw, xmlTextWriterWriteAttribute(tw->writer, BAD_CAST name,
                                              clean(tw, value)));
    }
}

void minicc_twiml_text(minicc_twiml *tw, const char *text)
{
    if (!tw->failed) {
        check(tw, xmlTextWriterWriteString(tw->writer, clean(tw, text)));
    }
}

void minicc_twiml_text_slots(minicc_twiml *tw, const char *text,
                             const char *name, int value)
{
    const char *key = apr_pstrcat(tw->pool, "{", name, "}", NULL);
    apr_size_t key_len = strlen(key);
    const char *hit;

    while (!tw->failed && (hit = strstr(text, key))) {
        minicc_slot_t *slot;

        minicc_twiml_text(tw, apr_pstrmemdup(tw->pool, text, hit - text));
        /* an empty write still ends the start tag; the flush moves what
         * libxml2 holds into the buffer, so that its length is the slot */
        check(tw, xmlTextWriterWriteRaw(tw->writer, BAD_CAST ""));
        check(tw, xmlTextWriterFlush(tw->writer));
        if (!tw->slots) {
            tw->slots = apr_array_make(tw->pool, 2, sizeof(minicc_slot_t));
        }
        slot = apr_array_push(tw->slots);
        slot->at = (apr_size_t)xmlBufferLength(tw->buffer);
        slot->value = value;
        text = hit + key_len;
    }
    minicc_twiml_text(tw, text);
}

void minicc_twiml_attr_slot(minicc_twiml *tw, const char *name,
                            const char *before, int value)
{
    minicc_slot_t *slot;

    if (tw->failed) {
        return;
    }
    check(tw, xmlTextWriterStartAttribute(tw->writer, BAD_CAST name));
    check(tw, xmlTextWriterWriteString(tw->writer, clean(tw, before)));
    check(tw, xmlTextWriterFlush(tw->writer));
    if (tw->failed) {
        return;
    }
    if (!tw->slots) {
        tw->slots = apr_array_make(tw->pool, 2, sizeof(minicc_slot_t));
    }
    slot = apr_array_push(tw->slots);
    slot->at = (apr_size_t)xmlBufferLength(tw->buffer);
    slot->value = value;
    check(tw, xmlTextWriterEndAttribute(tw->writer));
}

void minicc_twiml_close(minicc_twiml *tw)
{
    if (!tw->failed) {
        check(tw, xmlTextWriterEndElement(tw->writer));
    }
}

const minicc_doc_t *minicc_twiml_finish_doc(minicc_twiml *tw)
{
    minicc_doc_t *doc;

    if (!tw->failed) {
        /* closes <Response> and anything left open */
        check(tw, xmlTextWriterEndDocument(tw->writer));
        check(tw, xmlTextWriterFlush(tw->writer));
    }
    if (tw->failed) {
        return NULL;
    }
    doc = apr_pcalloc(tw->pool, sizeof(*doc));
    doc->len = (apr_size_t)xmlBufferLength(tw->buffer);
    doc->text = apr_pstrmemdup(tw->pool,
                               (const char *)xmlBufferContent(tw->buffer),
                               doc->len);
    if (tw->slots) {
        doc->slots = (const minicc_slot_t *)tw->slots->elts;
        doc->nslots = tw->slots->nelts;
    }
    apr_pool_cleanup_run(tw->pool, tw, twiml_cleanup);
    return doc;
}

const char *minicc_twiml_finish(minicc_twiml *tw, apr_size_t *len)
{
    const minicc_doc_t *doc = minicc_twiml_finish_doc(tw);

    if (!doc) {
        return NULL;
    }
    *len = doc->len;
    return doc->text;
}

const char *minicc_twiml_fill(apr_pool_t *p, const minicc_doc_t *doc,
                            const char *const *values, apr_size_t *len)
{
    apr_size_t from = 0, total = doc->len, *value_len;
    char *out, *to;
    int i;

    if (!doc->nslots) {
        *len = doc->len;
        return doc->text;
    }
    value_len = apr_palloc(p, doc->nslots * sizeof(*value_len));
    for (i = 0; i < doc->nslots; i++) {
        const char *v = values[doc->slots[i].value];

        total += value_len[i] = v ? strlen(v) : 0;
    }
    to = out = apr_palloc(p, total + 1);
    for (i = 0; i < doc->nslots; i++) {
        memcpy(to, doc->text + from, doc->slots[i].at - from);
        to += doc->slots[i].at - from;
        if (value_len[i]) {
            memcpy(to, values[doc->slots[i].value], value_len[i]);
            to += value_len[i];
        }
        from = doc->slots[i].at;
    }
    memcpy(to, doc->text + from, doc->len - from);
    out[total] = '\0';
    *len = total;
    return out;
}
