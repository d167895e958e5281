/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/twiml.c: TwiML documents written once and their slots filled per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "minicc_text.h"
#include "minicc_twiml.h"
#include "unit.h"

/* the run's pool (unit_tests.c's main) */
static apr_pool_t *pool;

static xmlDocPtr parse(const char *doc, apr_size_t len)
{
    return xmlReadMemory(doc, (int)len, NULL, NULL, XML_PARSE_NONET);
}

static void test_documents(void)
{
    minicc_twiml *tw = minicc_twiml_start(pool);
    const char *doc;
    apr_size_t len = 0;
    xmlDocPtr x;
    xmlNodePtr root, say;
    xmlChar *text, *attr;

    minicc_twiml_open(tw, "Say");
    minicc_twiml_attr(tw, "language", "ja\"<&>JP");
    minicc_twiml_text(tw, "a<b>&c\x01\xFF\xE3\x81\x82");
    minicc_twiml_close(tw);
    minicc_twiml_open(tw, "Hangup");
    doc = minicc_twiml_finish(tw, &len);
    ok(doc != NULL, "twiml: written");
    ok(doc && !strncmp(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38),
       "twiml: UTF-8 declaration");
    x = doc ? parse(doc, len) : NULL;
    ok(x != NULL, "twiml: well-formed");
    if (!x) {
        return;
    }
    root = xmlDocGetRootElement(x);
    ok(root && !xmlStrcmp(root->name, BAD_CAST "Response"), "twiml: root");
    say = root ? xmlFirstElementChild(root) : NULL;
    ok(say && !xmlStrcmp(say->name, BAD_CAST "Say"), "twiml: Say first");
    text = say ? xmlNodeGetContent(say) : NULL;
    ok(text && !xmlStrcmp(text, BAD_CAST "a<b>&c\xEF\xBF\xBD\xE3\x81\x82"),
       "twiml: text escaped, control dropped, bad UTF-8 replaced");
    attr = say ? xmlGetProp(say, BAD_CAST "language") : NULL;
    ok(attr && !xmlStrcmp(attr, BAD_CAST "ja\"<&>JP"), "twiml: attr escaped");
    ok(say && xmlNextElementSibling(say)
       && !xmlStrcmp(xmlNextElementSibling(say)->name, BAD_CAST "Hangup"),
       "twiml: an element left open is closed by finish");
    xmlFree(text);
    xmlFree(attr);
    xmlFreeDoc(x);

    tw = minicc_twiml_start(pool);
    doc = minicc_twiml_finish(tw, &len);
    x = doc ? parse(doc, len) : NULL;
    ok(x && xmlDocGetRootElement(x)
       && !xmlDocGetRootElement(x)->children, "twiml: empty <Response/>");
    if (x) {
        xmlFreeDoc(x);
    }
}

/* A <Say> of template written with slots, then filled, is byte for byte
 * the <Say> of the template filled first: the escaping a request skips
 * is the same. */
static const char *say_doc(const char *text, const char *slot_name,
                           apr_size_t *len)
{
    minicc_twiml *tw = minicc_twiml_start(pool);
    const minicc_doc_t *doc;

    minicc_twiml_open(tw, "Pause");
    minicc_twiml_close(tw);
    minicc_twiml_open(tw, "Say");
    minicc_twiml_attr(tw, "language", "en-US");
    if (slot_name) {
        minicc_twiml_text_slots(tw, text, slot_name, 1);
    }
    else {
        minicc_twiml_text(tw, text);
    }
    minicc_twiml_close(tw);
    doc = minicc_twiml_finish_doc(tw);
    if (!doc) {
        return NULL;
    }
    if (slot_name) {
        const char *values[2] = { "never", "42" };

        return minicc_twiml_fill(pool, doc, values, len);
    }
    *len = doc->len;
    return doc->text;
}

static void test_twiml_slots(void)
{
    static const char *const templates[] = {
        "You are number {position} in line & <welcome>.",
        "{position}",
        "{position}{position} \xE3\x81\x82 {position}",
        "no slot here, {positio}n {minutes}",
        "bad \x01 bytes \xFF then {position}"
    };
    apr_size_t i;

    for (i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        apr_size_t slotted_len = 0, filled_len = 0;
        const char *slotted = say_doc(templates[i], "position", &slotted_len);
        const char *filled = say_doc(minicc_fill(pool, templates[i],
                                                 "position", "42"),
                                     NULL, &filled_len);

        ok(slotted && filled && slotted_len == filled_len
           && !memcmp(slotted, filled, filled_len),
           apr_psprintf(pool, "twiml slots: template %d written once, "
                        "filled = filled, then written", (int)i));
    }
}

void test_twiml(apr_pool_t *p)
{
    pool = p;
    test_documents();
    test_twiml_slots();
}
