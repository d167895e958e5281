/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/signature.c: Twilio's request signatures.
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

#include "minicc_signature.h"
#include "minicc_text.h"
#include "unit.h"

/* the run's pool (unit_tests.c's main) */
static apr_pool_t *pool;

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

static void test_vectors(void)
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

void test_signature(apr_pool_t *p)
{
    pool = p;
    test_vectors();
}
