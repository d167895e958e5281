/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * core/token.c: Twilio access tokens.  The expected token was made by
 * another implementation (Python's hmac, hashlib, base64 and json, with
 * twilio-node's order of the claims), for the same inputs.
 */
#include <string.h>
#include <apr_strings.h>

#include "minicc_token.h"
#include "unit.h"

static const char expected[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImN0eSI6InR3aWxpby1mcGE7dj0xIn0."
    "eyJqdGkiOiJTSzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmLTE3NjQ5MDAw"
    "MDAiLCJncmFudHMiOnsiaWRlbnRpdHkiOiJhbGljZUBleGFtcGxlLmNvbSIsInZvaWNl"
    "Ijp7ImluY29taW5nIjp7ImFsbG93Ijp0cnVlfSwib3V0Z29pbmciOnsiYXBwbGljYXRp"
    "b25fc2lkIjoiQVAwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiJ9fX0sImlh"
    "dCI6MTc2NDkwMDAwMCwiZXhwIjoxNzY0OTAzNjAwLCJpc3MiOiJTSzAxMjM0NTY3ODlh"
    "YmNkZWYwMTIzNDU2Nzg5YWJjZGVmIiwic3ViIjoiQUMwMTIzNDU2Nzg5YWJjZGVmMDEy"
    "MzQ1Njc4OWFiY2RlZiJ9._VFRDIBoD-NaCXZYAW1T184EcqS1rks0p07pKOopGb4";

/* base64url back to bytes, for the payload's text (no padding). */
static char *unb64(apr_pool_t *p, const char *s, apr_size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = apr_pcalloc(p, len + 1), *o = out;
    unsigned long acc = 0;
    int bits = 0;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        const char *at = strchr(alphabet, s[i]);

        if (!at || !s[i]) {
            return NULL;
        }
        acc = (acc << 6) | (unsigned long)(at - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)((acc >> bits) & 0xff);
        }
    }
    return out;
}

void test_token(apr_pool_t *p)
{
    minicc_token_t t = {
        "AC0123456789abcdef0123456789abcdef",
        "SK0123456789abcdef0123456789abcdef",
        "s3cr3t-of-32-bytes-0123456789abc", 32,
        "AP0123456789abcdef0123456789abcdef", 1,
        "alice@example.com", 1764900000, 3600
    };
    const char *tok = minicc_token_make(p, &t);
    const char *dot1, *dot2, *payload;

    ok(!strcmp(minicc_base64url(p, (const unsigned char *)"", 0), "")
       && !strcmp(minicc_base64url(p, (const unsigned char *)"f", 1), "Zg")
       && !strcmp(minicc_base64url(p, (const unsigned char *)"fo", 2), "Zm8")
       && !strcmp(minicc_base64url(p, (const unsigned char *)"foo", 3), "Zm9v")
       && !strcmp(minicc_base64url(p, (const unsigned char *)"foob", 4),
                  "Zm9vYg")
       && !strcmp(minicc_base64url(p, (const unsigned char *)"\xff\xfe\xfd",
                                   3), "__79"),
       "token: base64url, no padding, - and _ for + and /");
    ok(tok && !strcmp(tok, expected),
       "token: the same token, byte for byte, as another implementation "
       "makes for the same inputs (claims, order, HMAC-SHA256)");

    /* an identity of quotes, a backslash, a control character, UTF-8 */
    t.identity = "o\"ha\ra\\ \xe6\x9d\xb1\xe4\xba\xac x";
    t.app = NULL;
    t.incoming = 1;
    tok = minicc_token_make(p, &t);
    dot1 = tok ? strchr(tok, '.') : NULL;
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    payload = dot2 ? unb64(p, dot1 + 1, (apr_size_t)(dot2 - dot1 - 1)) : NULL;
    ok(payload && strstr(payload, "\"grants\":{\"identity\":\"o\\\"ha\\u000da"
                                  "\\\\ \xe6\x9d\xb1\xe4\xba\xac x\",\"voice\":"
                                  "{\"incoming\":{\"allow\":true}}}") != NULL,
       "token: an identity of quotes, a backslash, a CR and UTF-8 is one JSON "
       "string; without a TwiML App, the voice grant is incoming alone");
    ok(payload && strstr(payload, "\"exp\":1764903600,") != NULL,
       "token: exp is iat + ttl");
    /* a CSP hash: the SHA-256 in base64 with padding (openssl dgst
     * -sha256 -binary | base64) */
    ok(!strcmp(minicc_sha256_base64(p, "abc", 3),
               "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
       && !strcmp(minicc_sha256_base64(p, "", 0),
                  "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
       "token: sha256 in base64, as a CSP hash source says it");
}
