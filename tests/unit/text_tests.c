/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/text.c: the form parser, the cleaning of text, the rules for parameters (positions, SIDs, numbers, dialable numbers) and placeholders.
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
#include "unit.h"

/* the run's pool (unit_tests.c's main) */
static apr_pool_t *pool;

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
    {
        /* a queue's name in a URL's query, and back */
        const char *name = "Sales & \xe5\x96\xb6\xe6\xa5\xad+1=2?#/%";
        const char *q = apr_pstrcat(pool, "queue=",
                                    minicc_form_escape(pool, name), "&x=1",
                                    NULL);

        ok(!strcmp(minicc_form_escape(pool, "a-Z_0.9~"), "a-Z_0.9~")
           && !strcmp(minicc_form_escape(pool, "a b&c"), "a%20b%26c"),
           "form: escaped, unreserved bytes as they are");
        ps = minicc_form_parse(pool, q, strlen(q));
        ok(param_is(ps, "queue", name, strlen(name)) && param_is(ps, "x", "1", 1),
           "form: an escaped value (&, =, +, #, %, UTF-8) reads back as it was");
    }
    {
        const minicc_param_t *qp;

        ok(minicc_query_param(pool, NULL, "queue") == NULL
           && minicc_query_param(pool, "xqueue=a&queued=b", "queue") == NULL
           && minicc_query_param(pool, "a=queue=", "queue") == NULL,
           "query: no such name (no query, a longer name, a value that says it)");
        qp = minicc_query_param(pool, "xqueue=a&queue=S%C3%A9+1&direct=1",
                                "queue");
        ok(qp && qp->value_len == 5 && !memcmp(qp->value, "S\xc3\xa9 1", 5),
           "query: the name after another that ends in it, decoded");
        qp = minicc_query_param(pool, "queue=a%00b", "queue");
        ok(qp && qp->value_len == 3, "query: a NUL stays in the value's length");
        qp = minicc_query_param(pool, "direct=1", "direct");
        ok(qp && !strcmp(qp->value, "1"), "query: the first name");
    }
}

static void test_is_clean(void)
{
    ok(minicc_text_is_clean("") && minicc_text_is_clean("Sales 1")
       && minicc_text_is_clean("\xe5\x96\xb6\xe6\xa5\xad")
       && minicc_text_is_clean("\xf0\x9f\x93\x9e"),
       "is_clean: ASCII, Japanese, a 4-byte character");
    ok(!minicc_text_is_clean("a\tb") && !minicc_text_is_clean("a\nb")
       && !minicc_text_is_clean("a\x7f") && !minicc_text_is_clean("\x01"),
       "is_clean: a tab, a line's end, DEL, a control character");
    ok(!minicc_text_is_clean("\xff") && !minicc_text_is_clean("\xc3")
       && !minicc_text_is_clean("\xc0\xaf")
       && !minicc_text_is_clean("\xed\xa0\x80")
       && !minicc_text_is_clean("\xef\xbf\xbe"),
       "is_clean: a bad byte, a cut sequence, an overlong, a surrogate, U+FFFE");
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

void test_text(apr_pool_t *p)
{
    pool = p;
    test_form();
    test_is_clean();
    test_clean();
    test_rules();
}
