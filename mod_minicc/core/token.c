/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Twilio access tokens (minicc_token.h): the JSON of the header and the
 * payload in the order twilio-node's AccessToken writes them, base64url,
 * and the HMAC-SHA256 of both with the API key's secret.
 */
#include <string.h>
#include <apr_base64.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "minicc_text.h"
#include "minicc_token.h"

/* The header: HS256, a JWT, Twilio's content type. */
#define TOKEN_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}"

const char *minicc_base64url(apr_pool_t *p, const unsigned char *s,
                             apr_size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        *o++ = alphabet[s[i] >> 2];
        *o++ = alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
        *o++ = alphabet[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
        *o++ = alphabet[s[i + 2] & 63];
    }
    if (i < len) {
        *o++ = alphabet[s[i] >> 2];
        if (i + 1 < len) {
            *o++ = alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
            *o++ = alphabet[(s[i + 1] & 15) << 2];
        }
        else {
            *o++ = alphabet[(s[i] & 3) << 4];
        }
    }
    *o = '\0';
    return out;
}

static const char *b64(apr_pool_t *p, const char *text)
{
    return minicc_base64url(p, (const unsigned char *)text, strlen(text));
}

const char *minicc_token_make(apr_pool_t *p, const minicc_token_t *t)
{
    const char *voice = "", *payload, *signed_part;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;

    if (t->incoming) {
        voice = "\"incoming\":{\"allow\":true}";
    }
    if (t->app) {
        voice = apr_psprintf(p, "%s%s\"outgoing\":{\"application_sid\":%s}",
                             voice, *voice ? "," : "",
                             minicc_json_str(p, t->app));
    }
    payload = apr_psprintf(p, "{\"jti\":%s,\"grants\":{\"identity\":%s,"
                           "\"voice\":{%s}},\"iat\":%ld,\"exp\":%ld,"
                           "\"iss\":%s,\"sub\":%s}",
                           minicc_json_str(p, apr_psprintf(p, "%s-%ld", t->key,
                                                           t->iat)),
                           minicc_json_str(p, t->identity), voice, t->iat,
                           t->iat + t->ttl, minicc_json_str(p, t->key),
                           minicc_json_str(p, t->account));
    signed_part = apr_pstrcat(p, b64(p, TOKEN_HEADER), ".", b64(p, payload),
                              NULL);
    if (!HMAC(EVP_sha256(), t->secret, (int)t->secret_len,
              (const unsigned char *)signed_part, strlen(signed_part), mac,
              &mac_len)) {
        return NULL;
    }
    return apr_pstrcat(p, signed_part, ".", minicc_base64url(p, mac, mac_len),
                       NULL);
}

const char *minicc_sha256_base64(apr_pool_t *p, const char *s,
                                 apr_size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char *out;

    if (!EVP_Digest(s, len, md, &n, EVP_sha256(), NULL)) {
        return NULL;
    }
    out = apr_palloc(p, apr_base64_encode_len((int)n));
    apr_base64_encode(out, (const char *)md, (int)n);
    return out;
}
