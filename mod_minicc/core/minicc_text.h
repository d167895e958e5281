/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Request parameters and the text rules (doc/contract.txt): APR only, so
 * that the unit tests and the fuzzer use them without a server.
 */
#ifndef MINICC_TEXT_H
#define MINICC_TEXT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_strings.h>

/* Twilio's form bodies are a few hundred bytes; the contract caps them
 * at 64 KiB. */
#define MINICC_MAX_BODY (64 * 1024)

/* One form parameter.  Values may hold any byte, NUL included, so they
 * travel with their lengths until they are cleaned.  A handler reads two
 * or three of Twilio's twenty parameters, so values are decoded only when
 * asked for: value is NULL until then. */
typedef struct {
    const char *name;           /* decoded */
    apr_size_t name_len;
    const char *encoded;        /* the value as sent */
    apr_size_t encoded_len;
    const char *value;          /* decoded, NUL-terminated; or NULL */
    apr_size_t value_len;
} minicc_param_t;

typedef struct {
    apr_pool_t *pool;
    const char *body;
    apr_size_t body_len;
    apr_array_header_t *raw;    /* minicc_param_t, in body order; NULL
                                 * until a parameter is first asked for */
} minicc_params_t;

/* An application/x-www-form-urlencoded body, split into parameters when
 * one is first asked for (minicc_information needs none).  Never fails:
 * malformed escapes are kept literally, a pair without '=' has an empty
 * value.  The body must be NUL-terminated (body[len] == 0) and outlive
 * the parameters. */
minicc_params_t *minicc_form_parse(apr_pool_t *p, const char *body,
                                   apr_size_t len);

/* The last parameter called name (as PHP's $_POST, which the original
 * read), its value decoded; NULL when absent. */
const minicc_param_t *minicc_param_find(minicc_params_t *params,
                                        const char *name);

/* The parameter called name in a URL's query (r->args, NULL allowed),
 * as minicc_param_find reads a body; NULL when absent.  A query that does
 * not hold "name=" costs no copy. */
const minicc_param_t *minicc_query_param(apr_pool_t *p, const char *args,
                                         const char *name);

/* Splits the body and decodes every value (the signature covers them
 * all); params->raw is valid after it. */
void minicc_params_decode_all(minicc_params_t *params);

/* 1 when s is valid UTF-8 without control characters, U+FFFE or U+FFFF
 * (text minicc_text_clean would leave as it is, tabs and line ends
 * included in what it drops). */
int minicc_text_is_clean(const char *s);

/* What minicc_text_clean changed, for the log line that says so. */
#define MINICC_CLEAN_NUL      0x1   /* NUL bytes dropped */
#define MINICC_CLEAN_UTF8     0x2   /* invalid UTF-8 replaced by U+FFFD */
#define MINICC_CLEAN_CONTROL  0x4   /* control characters dropped */

/* Returns in[0..len) as a NUL-terminated string that is valid UTF-8
 * without NUL bytes; with drop_controls, also without C0 controls other
 * than tab, LF and CR, DEL, U+FFFE and U+FFFF (what XML 1.0 cannot
 * carry).  That
 * is in itself when it already is (and in[len] is its NUL), else a copy.
 * *changed gets the MINICC_CLEAN_* flags of what was done. */
const char *minicc_text_clean(apr_pool_t *p, const char *in, apr_size_t len,
                              int drop_controls, int *changed);

/* Number of characters (code points) of a valid UTF-8 string. */
apr_size_t minicc_utf8_length(const char *s);

/* Nonzero when s is a Twilio SID: two capital letters and 32 hex digits. */
int minicc_is_sid(const char *s);

/* Nonzero when s is a number a call can be made to (doc/contract.txt 17):
 * E.164, "+" and 8 to 15 digits, the first not 0; not one of the numbers
 * Twilio puts in From for a withheld caller ID (ANONYMOUS, RESTRICTED,
 * UNAVAILABLE and BLOCKED spelt on a keypad).  A SIP address, a client:
 * identity or the word "anonymous" is none. */
int minicc_is_dialable(const char *s);

/* Nonzero when s is a decimal integer that fits a signed 32-bit column. */
int minicc_is_int32(const char *s);

/* QueuePosition as the original filtered it: the digits only, without
 * leading zeros; NULL when nothing usable (no digits, zero, > 6 digits). */
const char *minicc_queue_position(apr_pool_t *p, const char *raw);

/* AvgQueueTime (seconds) as whole minutes, rounded up, at least 1;
 * -1 when raw is not a non-negative integer. */
long minicc_wait_minutes(const char *raw);

/* Replaces every "{name}" in text by value. */
const char *minicc_fill(apr_pool_t *p, const char *text, const char *name,
                        const char *value);

/* s as a JSON string (quotes included, \\ " and control characters
 * escaped; UTF-8 as it is), or null for NULL, in p. */
const char *minicc_json_str(apr_pool_t *p, const char *s);

/* s as a value of a form (or a URL's query): every byte but letters,
 * digits and - . _ ~ as %XX, which minicc_form_parse reads back; in p. */
const char *minicc_form_escape(apr_pool_t *p, const char *s);

#endif /* MINICC_TEXT_H */
