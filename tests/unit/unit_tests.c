/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Unit tests of mod_minicc's APR-only code (text.c, twiml.c, signature.c,
 * spoolfmt.c, sql.c, throttle.c): no server, no database.  TAP output; the last line
 * is "N passed, N failed".
 */
#include <stdio.h>
#include <string.h>
#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "minicc_signature.h"
#include "minicc_spoolfmt.h"
#include "minicc_sql.h"
#include "minicc_text.h"
#include "minicc_throttle.h"
#include "minicc_twiml.h"
#include "unit.h"

static int passed, failed;
static apr_pool_t *pool;

void ok(int cond, const char *what)
{
    if (cond) {
        passed++;
        printf("ok %d - %s\n", passed + failed, what);
    }
    else {
        failed++;
        printf("not ok %d - %s\n", passed + failed, what);
    }
}

static int param_is(minicc_params_t *ps, const char *name,
                    const char *value, apr_size_t len)
{
    const minicc_param_t *p = minicc_param_find(ps, name);

    return p && p->value_len == len && memcmp(p->value, value, len) == 0;
}

static void test_form(void)
{
    const char *body = "CallSid=CA1&From=%2B8190+1234&Digits=&x&"
                       "bad=%zz%4&nul=a%00b&From=%2B1555&&=v&pct=100%";
    minicc_params_t *ps = minicc_form_parse(pool, body, strlen(body));

    ok(param_is(ps, "CallSid", "CA1", 3), "form: plain value");
    ok(param_is(ps, "From", "+1555", 5), "form: repeated name, last wins");
    ok(param_is(ps, "Digits", "", 0), "form: empty value is present");
    ok(param_is(ps, "x", "", 0), "form: pair without '=' has empty value");
    ok(param_is(ps, "bad", "%zz%4", 5), "form: bad escapes kept literally");
    ok(param_is(ps, "nul", "a\0b", 3), "form: %00 decodes to a NUL byte");
    ok(param_is(ps, "pct", "100%", 4), "form: trailing '%' kept");
    ok(param_is(ps, "", "v", 1), "form: empty name");
    ok(minicc_param_find(ps, "Missing") == NULL, "form: absent name");
    ps = minicc_form_parse(pool, "a=1+2", 5);
    ok(param_is(ps, "a", "1 2", 3), "form: '+' is a space");
    ps = minicc_form_parse(pool, "", 0);
    minicc_params_decode_all(ps);
    ok(ps->raw->nelts == 0, "form: empty body, no parameters");
    ps = minicc_form_parse(pool, "&&&", 3);
    minicc_params_decode_all(ps);
    ok(ps->raw->nelts == 0, "form: only separators, no parameters");
    ps = minicc_form_parse(pool, "a%3Db=1&c+d=2", 13);
    ok(param_is(ps, "a=b", "1", 1) && param_is(ps, "c d", "2", 1),
       "form: escaped names decoded");
}

static int clean_is(const char *in, apr_size_t len, int controls,
                    const char *want, int want_changed)
{
    int changed;
    const char *out = minicc_text_clean(pool, in, len, controls, &changed);

    return strcmp(out, want) == 0 && changed == want_changed;
}

static void test_clean(void)
{
    ok(clean_is("abc", 3, 1, "abc", 0), "clean: ASCII unchanged");
    ok(clean_is("\xE3\x81\x82\xF0\x9F\x93\x9E", 7, 1,
                "\xE3\x81\x82\xF0\x9F\x93\x9E", 0),
       "clean: Japanese and 4-byte UTF-8 unchanged");
    ok(clean_is("a\0b", 3, 0, "ab", MINICC_CLEAN_NUL), "clean: NUL dropped");
    ok(clean_is("a\xFF" "b", 3, 0, "a\xEF\xBF\xBD" "b", MINICC_CLEAN_UTF8),
       "clean: invalid byte becomes U+FFFD");
    ok(clean_is("\xC0\xAF", 2, 0, "\xEF\xBF\xBD\xEF\xBF\xBD",
                MINICC_CLEAN_UTF8), "clean: overlong rejected");
    ok(clean_is("\xED\xA0\x80", 3, 0, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
                MINICC_CLEAN_UTF8), "clean: surrogate rejected");
    ok(clean_is("\xE3\x81", 2, 0, "\xEF\xBF\xBD\xEF\xBF\xBD",
                MINICC_CLEAN_UTF8), "clean: truncated sequence rejected");
    ok(clean_is("\xF4\x90\x80\x80", 4, 0,
                "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
                MINICC_CLEAN_UTF8), "clean: past U+10FFFF rejected");
    ok(clean_is("a\x01\tb\x7f", 5, 1, "a\tb", MINICC_CLEAN_CONTROL),
       "clean: controls dropped for XML, tab kept");
    ok(clean_is("a\xEF\xBF\xBF" "b\xEF\xBF\xBE", 8, 1, "ab",
                MINICC_CLEAN_CONTROL), "clean: U+FFFF and U+FFFE dropped for XML");
    ok(clean_is("a\x01" "b", 3, 0, "a\x01" "b", 0),
       "clean: controls kept for storage");
    ok(minicc_utf8_length("\xE3\x81\x82" "ab") == 3, "utf8 length");
}

static void test_rules(void)
{
    ok(minicc_is_sid("CA0123456789abcdef0123456789abcdef"), "sid: valid");
    ok(minicc_is_sid("QU0123456789ABCDEF0123456789ABCDEF"), "sid: upper hex");
    ok(!minicc_is_sid("ca0123456789abcdef0123456789abcdef"), "sid: lower prefix");
    ok(!minicc_is_sid("CA0123456789abcdef0123456789abcde"), "sid: 33 chars");
    ok(!minicc_is_sid("CA0123456789abcdef0123456789abcdef0"), "sid: 35 chars");
    ok(!minicc_is_sid("CA0123456789abcdef0123456789abcdeg"), "sid: non-hex");
    ok(!minicc_is_sid(NULL) && !minicc_is_sid(""), "sid: missing");
    ok(minicc_is_dialable("+81312345678") && minicc_is_dialable("+14155550100")
       && minicc_is_dialable("+12345678") && minicc_is_dialable("+123456789012345"),
       "dialable: E.164, 8 and 15 digits");
    ok(!minicc_is_dialable("+1234567") && !minicc_is_dialable("+1234567890123456"),
       "dialable: 7 and 16 digits");
    ok(!minicc_is_dialable("+266696687") && !minicc_is_dialable("+7378742833")
       && !minicc_is_dialable("+86282452253") && !minicc_is_dialable("+2562533"),
       "dialable: Twilio's withheld numbers");
    ok(!minicc_is_dialable("anonymous") && !minicc_is_dialable("Anonymous")
       && !minicc_is_dialable("client:alice")
       && !minicc_is_dialable("sip:alice@example.com")
       && !minicc_is_dialable("+0123456789") && !minicc_is_dialable("81312345678")
       && !minicc_is_dialable("+81 3123 4567") && !minicc_is_dialable("+8131234567x")
       && !minicc_is_dialable("") && !minicc_is_dialable("+")
       && !minicc_is_dialable(NULL),
       "dialable: words, SIP, client:, a leading 0, no +, spaces, junk");
    ok(minicc_is_int32("0") && minicc_is_int32("2147483647")
       && minicc_is_int32("-2147483648"), "int32: bounds");
    ok(!minicc_is_int32("2147483648") && !minicc_is_int32("-2147483649"),
       "int32: past bounds");
    ok(!minicc_is_int32("") && !minicc_is_int32("-") && !minicc_is_int32("1.5")
       && !minicc_is_int32(" 1") && !minicc_is_int32("1e3")
       && !minicc_is_int32("12345678901") && !minicc_is_int32(NULL),
       "int32: not integers");
    ok(!strcmp(minicc_queue_position(pool, "3"), "3"), "position: 3");
    ok(!strcmp(minicc_queue_position(pool, "007"), "7"), "position: zeros");
    ok(!strcmp(minicc_queue_position(pool, "1a2<b>"), "12"),
       "position: digits only, as the original filtered it");
    ok(minicc_queue_position(pool, "0") == NULL
       && minicc_queue_position(pool, "abc") == NULL
       && minicc_queue_position(pool, "") == NULL
       && minicc_queue_position(pool, NULL) == NULL
       && minicc_queue_position(pool, "1234567") == NULL,
       "position: nothing usable");
    ok(minicc_wait_minutes("0") == 1 && minicc_wait_minutes("60") == 1
       && minicc_wait_minutes("61") == 2 && minicc_wait_minutes("125") == 3,
       "wait minutes: rounded up, at least 1");
    ok(minicc_wait_minutes("-5") == -1 && minicc_wait_minutes("x") == -1
       && minicc_wait_minutes(NULL) == -1, "wait minutes: invalid");
    ok(!strcmp(minicc_fill(pool, "{position} of {position}!", "position",
                           "4"), "4 of 4!"), "fill: every placeholder");
    ok(!strcmp(minicc_fill(pool, "none", "position", "4"), "none"),
       "fill: no placeholder");
}

static xmlDocPtr parse(const char *doc, apr_size_t len)
{
    return xmlReadMemory(doc, (int)len, NULL, NULL, XML_PARSE_NONET);
}

static void test_twiml(void)
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

/* Twilio's published vectors: twilio-python,
 * tests/unit/test_request_validator.py (token "12345"). */
#define VECTOR_URI "https://mycompany.com/myapp.php?foo=1&bar=2"
static const char vector_body[] =
    "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234"
    "&From=%2B14158675309&To=%2B18005551212";

static int sig_valid(const char *url, const char *body, const char *sig)
{
    const char *tokens[] = { "12345" };
    minicc_params_t *ps = minicc_form_parse(pool, body, strlen(body));

    return minicc_signature_valid(pool, tokens, 1, url, ps, sig);
}

static void test_signature(void)
{
    const char *dup = "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234";
    const char *tokens[] = { "old-token", "12345" };
    minicc_params_t *ps = minicc_form_parse(pool, vector_body,
                                            strlen(vector_body));
    const char *sig = minicc_signature(pool, "12345", VECTOR_URI, ps);

    /* test_compute_signature */
    ok(sig && !strcmp(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
       "signature: twilio-python test_compute_signature");
    ok(sig_valid(VECTOR_URI, vector_body, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
       "signature: twilio-python test_validation");
    ok(!sig_valid(VECTOR_URI, vector_body, "RSOYDt4T1cUTdK1PDd93/VVr8B8"),
       "signature: truncated signature fails");
    ok(!sig_valid(VECTOR_URI, "CallSid=CA1234567890ABCDE&Caller=%2B14158675309"
                  "&Digits=1235&From=%2B14158675309&To=%2B18005551212",
                  "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
       "signature: tampered Digits fails");
    ok(!sig_valid(VECTOR_URI, vector_body, NULL), "signature: missing fails");
    /* test_compute_signature_duplicate_multi_dict / _query_dict */
    ok(sig_valid(VECTOR_URI, dup, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
       "signature: twilio-python duplicate names, values sorted");
    ok(!sig_valid(VECTOR_URI, "Sid=CA123&SidAccount=AC123&Digits=5678",
                  "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
       "signature: duplicate vector with a value removed fails");
    ok(sig_valid(VECTOR_URI, "Sid=CA123&Digits=1234&SidAccount=AC123"
                 "&Digits=5678&Digits=1234", "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
       "signature: repeated identical pair counted once, order irrelevant");
    /* test_validation_removes_port_on_https */
    ok(sig_valid("https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                 vector_body, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
       "signature: twilio-python removes_port_on_https");
    /* test_validation_removes_port_on_http (hash of the URL with :1234) */
    ok(sig_valid("http://mycompany.com:1234/myapp.php?foo=1&bar=2",
                 vector_body, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
       "signature: twilio-python removes_port_on_http");
    ok(!sig_valid("http://mycompany.com:1235/myapp.php?foo=1&bar=2",
                  vector_body, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
       "signature: removes_port_on_http vector, other port fails");
    /* test_validation_adds_port_on_https (hash of the URL with :443) */
    ok(sig_valid(VECTOR_URI, vector_body, "kvajT1Ptam85bY51eRf/AJRuM3w="),
       "signature: twilio-python adds_port_on_https");
    ok(!sig_valid(VECTOR_URI, vector_body, "kvajT1Ptam85bY51eRf/AJRuM3x="),
       "signature: adds_port_on_https vector, tampered fails");
    /* test_validation_adds_port_on_http (hash of the URL with :80) */
    ok(sig_valid("http://mycompany.com/myapp.php?foo=1&bar=2", vector_body,
                 "0ZXoZLH/DfblKGATFgpif+LLRf4="),
       "signature: twilio-python adds_port_on_http");
    ok(!sig_valid("http://mycompany.com/myapp.php?foo=1&bar=3", vector_body,
                  "0ZXoZLH/DfblKGATFgpif+LLRf4="),
       "signature: adds_port_on_http vector, tampered query fails");
    ok(sig_valid("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                 vector_body, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
       "signature: URL with user:pass@ checked without it");
    ok(minicc_signature_valid(pool, tokens, 2, VECTOR_URI, ps,
                              "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
       "signature: second of two tokens (rotation) accepted");
    ok(!minicc_signature_valid(pool, tokens, 1, VECTOR_URI, ps,
                               "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
       "signature: wrong token fails");
}

static void test_spool_format(void)
{
    const char *v1[] = { "CA1", NULL, "", "line\nbreak =5:x\nMINICC1 00",
                         "2026-11-24 10:00:00.000001" };
    const char *v2[] = { "CA2", "hangup" };
    apr_size_t l1, l2, off = 0;
    char *r1 = minicc_spoolfmt_encode(pool, "enqueue_data", v1, 5, &l1);
    char *r2 = minicc_spoolfmt_encode(pool, "queue_data", v2, 2, &l2);
    char *buf = apr_palloc(pool, 2 * l1 + l2 + 64);
    minicc_spoolfmt_rec_t rec;
    apr_size_t n;

    memcpy(buf, r1, l1);
    ok(minicc_spoolfmt_decode(pool, buf, l1, &off, &rec) == 1 && off == l1,
       "spool: record decodes, whole length consumed");
    ok(!strcmp(rec.table, "enqueue_data") && rec.nvalues == 5
       && !strcmp(rec.values[0], "CA1") && rec.values[1] == NULL
       && !strcmp(rec.values[2], "") && !strcmp(rec.values[3], v1[3])
       && !strcmp(rec.values[4], v1[4]),
       "spool: NULL, empty and newline-holding values round-trip");
    ok(minicc_spoolfmt_decode(pool, buf, l1, &off, &rec) == 0, "spool: end");

    /* a torn record (a crash mid-append) followed by later appends */
    n = 0;
    memcpy(buf + n, r1, l1 - 7); n += l1 - 7;
    memcpy(buf + n, r2, l2); n += l2;
    off = 0;
    {
        int rc, damaged = 0;

        while ((rc = minicc_spoolfmt_decode(pool, buf, n, &off, &rec)) == -1) {
            damaged++;
        }
        ok(damaged >= 1 && rc == 1 && off == n,
           "spool: torn record skipped up to the next record");
        ok(rc == 1 && !strcmp(rec.table, "queue_data")
           && !strcmp(rec.values[1], "hangup"),
           "spool: the record after a tear is replayed");
    }

    /* a torn last record */
    memcpy(buf, r2, l2);
    memcpy(buf + l2, r1, l1 / 2);
    off = 0;
    ok(minicc_spoolfmt_decode(pool, buf, l2 + l1 / 2, &off, &rec) == 1
       && minicc_spoolfmt_decode(pool, buf, l2 + l1 / 2, &off, &rec) == -1
       && off == l2 + l1 / 2, "spool: torn last record detected, not read");

    /* one flipped byte: the checksum refuses it */
    memcpy(buf, r2, l2);
    buf[l2 - 3] ^= 1;
    off = 0;
    ok(minicc_spoolfmt_decode(pool, buf, l2, &off, &rec) == -1,
       "spool: a corrupted byte fails the checksum");
    ok(minicc_spoolfmt_crc32("123456789", 9) == 0xCBF43926u, "crc32: check value");
}

/* The column of table in sql/minicc.sql: its type ("VARCHAR(64)"), or NULL;
 * *ncolumns gets how many columns the table has there that a row writes:
 * those after a line "-- not from a row" are another statement's. */
static const char *schema_column(const char *schema, const char *table,
                                 const char *column, int *ncolumns)
{
    const char *head = apr_psprintf(pool, "CREATE TABLE IF NOT EXISTS %s (",
                                    table);
    const char *at = strstr(schema, head), *type = NULL;

    *ncolumns = 0;
    if (!at) {
        return NULL;
    }
    at = strchr(at, '\n');
    while (at && *++at && *at != ')') {
        const char *end = strchr(at, '\n');
        char name[64], kind[64];

        if (!end || !strncmp(at + strspn(at, " "), "-- not from a row", 17)) {
            break;
        }
        /* a column's line: name and type; keys and comments are not */
        if (sscanf(apr_pstrmemdup(pool, at, end - at), " %63s %63s", name,
                   kind) == 2 && strcmp(name, "--") && strcmp(name, "KEY")
            && strcmp(name, "PRIMARY") && strcmp(name, "UNIQUE")) {
            char *n = name, *k = kind + strlen(kind);

            if (*n == '`') {
                n++;
                n[strlen(n) - 1] = '\0';
            }
            if (k > kind && k[-1] == ',') {
                k[-1] = '\0';
            }
            (*ncolumns)++;
            if (!strcmp(n, column)) {
                type = apr_pstrdup(pool, kind);
            }
        }
        at = end;
    }
    return type;
}

/* What sql.c assumes of each column is what sql/minicc.sql makes: a
 * VARCHAR of the length it checks, an INT, a DATETIME(6). */
static void test_schema(void)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *schema;
    apr_size_t len;
    int t, i;

    if (apr_file_open(&f, MINICC_SCHEMA, APR_FOPEN_READ, 0, pool)
        != APR_SUCCESS || apr_file_info_get(&fi, APR_FINFO_SIZE, f)
        != APR_SUCCESS) {
        ok(0, "sql/minicc.sql can be read (" MINICC_SCHEMA ")");
        return;
    }
    len = (apr_size_t)fi.size;
    schema = apr_palloc(pool, len + 1);
    apr_file_read_full(f, schema, len, &len);
    schema[len] = '\0';
    apr_file_close(f);
    for (t = 0; t < MINICC_TABLE_COUNT; t++) {
        const minicc_table_t *tab = minicc_table(t);
        int n = 0, right = 1;

        for (i = 0; i < tab->ncolumns; i++) {
            const minicc_column_t *c = &tab->columns[i];
            const char *type = schema_column(schema, tab->name, c->column, &n);
            const char *want;

            switch (c->kind) {
            case MINICC_COL_INT:
                want = "INT";
                break;
            case MINICC_COL_ARRIVAL:
            case MINICC_COL_FIRST_ARRIVAL:
                want = "DATETIME(6)";
                break;
            default:
                want = apr_psprintf(pool, "VARCHAR(%d)", c->maxchars);
                break;
            }
            if (!type || strcmp(type, want)) {
                printf("# %s.%s: sql.c assumes %s, sql/minicc.sql has %s\n",
                       tab->name, c->column, want, type ? type : "none");
                right = 0;
            }
        }
        ok(right, apr_psprintf(pool, "%s: every column's type and size in "
                               "sql.c is sql/minicc.sql's", tab->name));
        ok(n == tab->ncolumns, apr_psprintf(pool, "%s: sql.c writes all %d "
                                            "columns of sql/minicc.sql",
                                            tab->name, n));
    }
    /* the test itself can fail: a size that differs is seen */
    ok(!strcmp(schema_column(schema, "enqueue_data", "QueueResult", &i),
               "VARCHAR(32)")
       && schema_column(schema, "enqueue_data", "NoSuchColumn", &i) == NULL,
       "the schema reader finds QueueResult as VARCHAR(32), and no "
       "NoSuchColumn");
}

/* Every statement has a label of its own and SQL; the report's histogram
 * is written in from the constants report.c draws it with. */
static void test_statements(void)
{
    apr_hash_t *seen = apr_hash_make(pool);
    const char *bar = apr_psprintf(pool, "LEAST(CEILING(Seconds / %d), %d)",
                                   MINICC_WAIT_BUCKET,
                                   MINICC_WAIT_BUCKETS - 1);
    int i, labelled = 1;

    for (i = 0; i < MINICC_STMT_COUNT; i++) {
        const char *label = minicc_sql_label(i);
        const char *sql = minicc_sql_text(pool, i);

        if (!label || !sql || !*sql
            || apr_hash_get(seen, label, APR_HASH_KEY_STRING)) {
            printf("# statement %d: label %s\n", i, label ? label : "none");
            labelled = 0;
            continue;
        }
        apr_hash_set(seen, label, APR_HASH_KEY_STRING, sql);
    }
    ok(labelled, "every statement has SQL and a label no other one has");
    ok(strstr(minicc_sql_text(pool, MINICC_STMT_REPORT_WAITS), bar) != NULL,
       "the report's waits statement puts each queue time in its bar");
    ok(!strcmp(minicc_sql_label(MINICC_STMT_UPSERT_ROWS(MINICC_TABLE_STATUS,
                                                        2)),
               "minicc_status_upsert_x8")
       && strstr(minicc_sql_text(pool, MINICC_STMT_UPSERT_ROWS(
                     MINICC_TABLE_STATUS, 2)), "), (") != NULL,
       "the upsert of 8 status rows is labelled so and has several rows");
}

/* One line a second, the rest counted for the next one. */
static void test_throttle(void)
{
    minicc_throttle_t *t = minicc_throttle_create(pool, 1);
    apr_time_t s = apr_time_from_sec(1000);
    int held = -1, passed_at_once = 0, i;

    ok(t && minicc_throttle_pass(t, s, apr_time_from_sec(1), &held)
       && held == 0, "throttle: the first line passes, none held");
    for (i = 0; i < 5; i++) {
        passed_at_once += minicc_throttle_pass(t, s + i * 1000,
                                               apr_time_from_sec(1), &held);
    }
    ok(passed_at_once == 0, "throttle: five more within the second are held");
    ok(minicc_throttle_pass(t, s + apr_time_from_sec(1),
                            apr_time_from_sec(1), &held) && held == 5,
       "throttle: a second later one passes, saying 5 were held");
}

int main(void)
{
    apr_initialize();
    xmlInitParser();
    apr_pool_create(&pool, NULL);
    test_form();
    test_clean();
    test_rules();
    test_twiml();
    test_twiml_slots();
    test_signature();
    test_spool_format();
    test_schema();
    test_statements();
    test_throttle();
    test_time(pool);
    apr_pool_destroy(pool);
    xmlCleanupParser();
    apr_terminate();
    printf("1..%d\n%d passed, %d failed\n", passed + failed, passed, failed);
    return failed ? 1 : 0;
}
