/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * A Twilio access token for the Voice SDK (doc/contract.txt 14): a JWT
 * signed HS256 with an API key's secret, as Twilio's helper libraries
 * make it (header cty "twilio-fpa;v=1"; payload jti, grants with the
 * identity and a voice grant, iat, exp, iss the API key, sub the
 * account).  No httpd: core/ (token.c).
 */
#ifndef MINICC_TOKEN_H
#define MINICC_TOKEN_H

#include <apr_pools.h>

typedef struct {
    const char *account;        /* AC... */
    const char *key;            /* SK... */
    const char *secret;         /* the API key's secret */
    apr_size_t secret_len;
    const char *app;            /* AP...: outgoing calls; NULL: none */
    int incoming;               /* incoming calls allowed */
    const char *identity;       /* any text (JSON-escaped here) */
    long iat;                   /* issued at, seconds since 1970 */
    long ttl;                   /* exp = iat + ttl */
} minicc_token_t;

/* The token as header.payload.signature (base64url, no padding), in p;
 * NULL if libcrypto failed. */
const char *minicc_token_make(apr_pool_t *p, const minicc_token_t *t);

/* s (len bytes) in base64url without padding, in p. */
const char *minicc_base64url(apr_pool_t *p, const unsigned char *s,
                             apr_size_t len);

/* The SHA-256 of s (len bytes) in base64 with padding, as a Content-
 * Security-Policy's 'sha256-...' source says it, in p; NULL if libcrypto
 * failed. */
const char *minicc_sha256_base64(apr_pool_t *p, const char *s,
                                 apr_size_t len);

#endif /* MINICC_TOKEN_H */
