/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Twilio's request signature (X-Twilio-Signature): base64 of HMAC-SHA1,
 * keyed with the account's auth token, over the full URL Twilio requested
 * followed, for a form POST, by every parameter name and value, names in
 * byte order.  Pure code (OpenSSL's libcrypto, APR): unit-tested against
 * Twilio's published vectors without a server.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "minicc_signature.h"

static int compare_bytes(const char *a, apr_size_t alen, const char *b,
                         apr_size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    return c ? c : (alen > blen) - (alen < blen);
}

static int compare_params(const void *x, const void *y)
{
    const minicc_param_t *a = *(const minicc_param_t *const *)x;
    const minicc_param_t *b = *(const minicc_param_t *const *)y;
    int c = compare_bytes(a->name, a->name_len, b->name, b->name_len);

    return c ? c : compare_bytes(a->value, a->value_len, b->value,
                                 b->value_len);
}

/* The bytes Twilio signs: the URL, then name+value of every parameter,
 * sorted by name and, for a repeated name, by value, each distinct pair
 * once. */
static const char *signed_data(apr_pool_t *p, const char *url,
                               minicc_params_t *params, apr_size_t *len)
{
    int n, i;
    const minicc_param_t **sorted;
    apr_size_t size = strlen(url), at;
    char *data;

    if (params) {
        minicc_params_decode_all(params);
    }
    n = params ? params->raw->nelts : 0;
    sorted = apr_palloc(p, sizeof(*sorted) * (n + 1));
    for (i = 0; i < n; i++) {
        sorted[i] = &APR_ARRAY_IDX(params->raw, i, minicc_param_t);
        size += sorted[i]->name_len + sorted[i]->value_len;
    }
    qsort(sorted, n, sizeof(*sorted), compare_params);
    data = apr_palloc(p, size + 1);
    at = strlen(url);
    memcpy(data, url, at);
    for (i = 0; i < n; i++) {
        if (i && !compare_params(&sorted[i - 1], &sorted[i])) {
            continue;
        }
        memcpy(data + at, sorted[i]->name, sorted[i]->name_len);
        at += sorted[i]->name_len;
        memcpy(data + at, sorted[i]->value, sorted[i]->value_len);
        at += sorted[i]->value_len;
    }
    *len = at;
    return data;
}

const char *minicc_signature(apr_pool_t *p, const char *token,
                             const char *url, minicc_params_t *params)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    apr_size_t len;
    const char *data = signed_data(p, url, params, &len);
    char *out;

    if (!HMAC(EVP_sha1(), token, (int)strlen(token),
              (const unsigned char *)data, len, mac, &mac_len)) {
        return NULL;
    }
    out = apr_palloc(p, apr_base64_encode_len(mac_len));
    apr_base64_encode(out, (const char *)mac, mac_len);
    return out;
}

/* The other form of the URL that Twilio's own validators accept: without
 * its port if it has one, else with the scheme's default port written out
 * (https://h/ -> https://h:443/).  Which one Twilio signs depends on how
 * the number's URL was written. */
static const char *port_variant(apr_pool_t *p, const char *url)
{
    const char *host = strstr(url, "://");
    const char *host_end, *port;
    const char *dflt;

    if (!strncasecmp(url, "https://", 8)) {
        dflt = "443";
    }
    else if (!strncasecmp(url, "http://", 7)) {
        dflt = "80";
    }
    else {
        return NULL;
    }
    host += 3;
    host_end = host + strcspn(host, "/?#");
    port = host_end;
    while (port > host && apr_isdigit(port[-1])) {
        port--;
    }
    if (port > host && port[-1] == ':') {
        return apr_pstrcat(p, apr_pstrmemdup(p, url, port - 1 - url),
                           host_end, NULL);
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, url, host_end - url), ":", dflt,
                       host_end, NULL);
}

/* The URL without "user:pass@": Twilio signs the URL without the
 * credentials it sends as Basic auth. */
static const char *strip_userinfo(apr_pool_t *p, const char *url)
{
    const char *host = strstr(url, "://");
    const char *at, *host_end;

    if (!host) {
        return NULL;
    }
    host += 3;
    host_end = host + strcspn(host, "/?#");
    at = memchr(host, '@', host_end - host);
    if (!at) {
        return NULL;
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, url, host - url), at + 1, NULL);
}

int minicc_signature_valid(apr_pool_t *p, const char *const *tokens,
                           int ntokens, const char *url,
                           minicc_params_t *params, const char *header)
{
    const char *urls[4];
    int nurls = 0, t, u, valid = 0;
    apr_size_t header_len;

    if (!header) {
        return 0;
    }
    header_len = strlen(header);
    urls[nurls++] = url;
    if ((urls[nurls] = strip_userinfo(p, url))) {
        nurls++;
    }
    for (u = 0, t = nurls; u < t; u++) {
        if ((urls[nurls] = port_variant(p, urls[u]))) {
            nurls++;
        }
    }
    /* every candidate is computed and compared in constant time, so the
     * time taken says nothing about which one came close */
    for (t = 0; t < ntokens; t++) {
        for (u = 0; u < nurls; u++) {
            const char *want = minicc_signature(p, tokens[t], urls[u],
                                                params);
            if (want && strlen(want) == header_len
                && !CRYPTO_memcmp(want, header, header_len)) {
                valid = 1;
            }
        }
    }
    return valid;
}
