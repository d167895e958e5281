/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Request parameters and the text rules (doc/contract.txt, 4 and 6): it
 * needs APR only, so the unit tests and the fuzzer run it without a server.
 */
#include <apr_lib.h>
#include <string.h>

#include "minicc_text.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes one form component.  A '%' not followed by two hex digits stays
 * as it is, as PHP's urldecode (which the original used) leaves it, rather
 * than becoming a byte nobody sent. */
static char *form_decode(apr_pool_t *p, const char *s, apr_size_t len,
                         apr_size_t *out_len)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i = 0, o = 0;

    while (i < len) {
        int hi, lo;
        apr_size_t run = i;

        /* most of a Twilio body needs no decoding: copy such runs whole */
        while (run < len && s[run] != '%' && s[run] != '+') {
            run++;
        }
        memcpy(out + o, s + i, run - i);
        o += run - i;
        i = run;
        if (i == len) {
            break;
        }
        if (s[i] == '+') {
            out[o++] = ' ';
        }
        else if (len - i > 2 && (hi = hexval(s[i + 1])) >= 0
                 && (lo = hexval(s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        }
        else {
            out[o++] = s[i];
        }
        i++;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

minicc_params_t *minicc_form_parse(apr_pool_t *p, const char *body,
                                   apr_size_t len)
{
    minicc_params_t *params = apr_palloc(p, sizeof(*params));

    params->pool = p;
    params->body = body;
    params->body_len = len;
    params->raw = NULL;
    return params;
}

/* Splits the body into pairs.  A name without escapes (Twilio's never
 * have any) is used where it stands in the body: NUL-terminated or not,
 * it is only ever read with its length. */
static void split(minicc_params_t *params)
{
    const char *body = params->body;
    apr_size_t len = params->body_len, start = 0;

    params->raw = apr_array_make(params->pool, 24, sizeof(minicc_param_t));
    while (start < len) {
        const char *pair = body + start;
        const char *amp = memchr(pair, '&', len - start);
        apr_size_t pair_len = amp ? (apr_size_t)(amp - pair) : len - start;
        const char *eq = memchr(pair, '=', pair_len);
        apr_size_t name_len = eq ? (apr_size_t)(eq - pair) : pair_len;

        if (pair_len > 0) {
            minicc_param_t *param = apr_array_push(params->raw);

            if (memchr(pair, '%', name_len) || memchr(pair, '+', name_len)) {
                param->name = form_decode(params->pool, pair, name_len,
                                          &param->name_len);
            }
            else {
                param->name = pair;
                param->name_len = name_len;
            }
            param->encoded = eq ? eq + 1 : "";
            param->encoded_len = eq ? pair_len - name_len - 1 : 0;
            param->value = NULL;
            param->value_len = 0;
        }
        start += pair_len + 1;
    }
}

static void decode_value(apr_pool_t *p, minicc_param_t *param)
{
    if (!param->value) {
        param->value = form_decode(p, param->encoded, param->encoded_len,
                                   &param->value_len);
    }
}

void minicc_params_decode_all(minicc_params_t *params)
{
    int i;

    if (!params->raw) {
        split(params);
    }
    for (i = 0; i < params->raw->nelts; i++) {
        decode_value(params->pool,
                     &APR_ARRAY_IDX(params->raw, i, minicc_param_t));
    }
}

const minicc_param_t *minicc_param_find(minicc_params_t *params,
                                        const char *name)
{
    apr_size_t name_len = strlen(name);
    int i;

    if (!params->raw) {
        split(params);
    }
    for (i = params->raw->nelts - 1; i >= 0; i--) {
        minicc_param_t *param = &APR_ARRAY_IDX(params->raw, i, minicc_param_t);

        if (param->name_len == name_len
            && memcmp(param->name, name, name_len) == 0) {
            decode_value(params->pool, param);
            return param;
        }
    }
    return NULL;
}

const minicc_param_t *minicc_query_param(apr_pool_t *p, const char *args,
                                         const char *name)
{
    const char *at;
    apr_size_t n = strlen(name);

    for (at = args ? strstr(args, name) : NULL; at;
         at = strstr(at + 1, name)) {
        if ((at == args || at[-1] == '&') && at[n] == '=') {
            return minicc_param_find(minicc_form_parse(p, args, strlen(args)),
                                     name);
        }
    }
    return NULL;
}

/* Length of the valid UTF-8 sequence at s (at most avail bytes), or 0 when
 * it is not one: overlongs, surrogates and code points past U+10FFFF are
 * invalid, as utf8mb4 and XML see them. */
static apr_size_t utf8_sequence(const unsigned char *s, apr_size_t avail)
{
    apr_size_t need, i;
    unsigned long cp;

    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) { need = 2; cp = s[0] & 0x1F; }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) { need = 3; cp = s[0] & 0x0F; }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) { need = 4; cp = s[0] & 0x07; }
    else return 0;
    if (avail < need) return 0;
    for (i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000)
        || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return need;
}

const char *minicc_text_clean(apr_pool_t *p, const char *in, apr_size_t len,
                              int drop_controls, int *changed)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t i = 0, o = 0;
    char *out;

    *changed = 0;
    /* The common case, printable ASCII, is already clean: no copy. */
    while (i < len && s[i] >= 0x20 && s[i] < 0x7F) {
        i++;
    }
    if (i == len && in[len] == '\0') {
        return in;
    }
    /* Each invalid byte may grow into the 3 bytes of U+FFFD. */
    out = apr_palloc(p, len * 3 + 1);
    memcpy(out, in, i);
    o = i;
    while (i < len) {
        apr_size_t n;

        if (s[i] == 0) {
            *changed |= MINICC_CLEAN_NUL;
            i++;
            continue;
        }
        if (drop_controls && ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n'
                               && s[i] != '\r') || s[i] == 0x7F)) {
            *changed |= MINICC_CLEAN_CONTROL;
            i++;
            continue;
        }
        n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            *changed |= MINICC_CLEAN_UTF8;
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        /* U+FFFE and U+FFFF are valid UTF-8 but not XML characters */
        if (drop_controls && n == 3 && s[i] == 0xEF && s[i + 1] == 0xBF
            && (s[i + 2] == 0xBE || s[i + 2] == 0xBF)) {
            *changed |= MINICC_CLEAN_CONTROL;
            i += n;
            continue;
        }
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return out;
}

int minicc_text_is_clean(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t len = strlen(s), i = 0, n;

    while (i < len) {
        if (u[i] < 0x20 || u[i] == 0x7F) {
            return 0;
        }
        n = utf8_sequence(u + i, len - i);
        if (n == 0 || (n == 3 && u[i] == 0xEF && u[i + 1] == 0xBF
                       && (u[i + 2] == 0xBE || u[i + 2] == 0xBF))) {
            return 0;
        }
        i += n;
    }
    return 1;
}

apr_size_t minicc_utf8_length(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

int minicc_is_sid(const char *s)
{
    int i;

    if (!s || !apr_isupper(s[0]) || !apr_isupper(s[1])) {
        return 0;
    }
    for (i = 2; i < 34; i++) {
        if (!apr_isxdigit(s[i])) {
            return 0;
        }
    }
    return s[34] == '\0';
}

int minicc_is_dialable(const char *s)
{
    static const char *const withheld[] = {
        "+266696687", "+7378742833", "+86282452253", "+2562533"
    };
    apr_size_t i, n;

    if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9') {
        return 0;
    }
    for (n = 1; s[n]; n++) {
        if (!apr_isdigit(s[n])) {
            return 0;
        }
    }
    if (n - 1 < 8 || n - 1 > 15) {
        return 0;
    }
    for (i = 0; i < sizeof(withheld) / sizeof(withheld[0]); i++) {
        if (!strcmp(s, withheld[i])) {
            return 0;
        }
    }
    return 1;
}

int minicc_is_int32(const char *s)
{
    const char *d = s;
    apr_int64_t v = 0;

    if (!s) {
        return 0;
    }
    if (*d == '-') {
        d++;
    }
    if (!*d || strlen(d) > 10) {
        return 0;
    }
    for (; *d; d++) {
        if (!apr_isdigit(*d)) {
            return 0;
        }
        v = v * 10 + (*d - '0');
    }
    return (*s == '-') ? v <= 2147483648LL : v <= 2147483647LL;
}

const char *minicc_queue_position(apr_pool_t *p, const char *raw)
{
    char digits[8];
    apr_size_t n = 0;

    if (!raw) {
        return NULL;
    }
    for (; *raw; raw++) {
        if (!apr_isdigit(*raw) || (n == 0 && *raw == '0')) {
            continue;
        }
        if (n == 6) {
            return NULL;
        }
        digits[n++] = *raw;
    }
    return n ? apr_pstrmemdup(p, digits, n) : NULL;
}

long minicc_wait_minutes(const char *raw)
{
    long seconds;

    if (!raw || *raw == '-' || !minicc_is_int32(raw)) {
        return -1;
    }
    seconds = (long)apr_atoi64(raw);
    return seconds <= 60 ? 1 : (seconds + 59) / 60;
}

const char *minicc_fill(apr_pool_t *p, const char *text, const char *name,
                        const char *value)
{
    const char *key = apr_pstrcat(p, "{", name, "}", NULL);
    apr_size_t key_len = strlen(key);
    const char *hit = strstr(text, key);
    char *out;

    if (!hit) {
        return text;
    }
    out = apr_pstrcat(p, apr_pstrmemdup(p, text, hit - text), value,
                      NULL);
    return apr_pstrcat(p, out, minicc_fill(p, hit + key_len, name, value),
                       NULL);
}

/* s as a JSON string, quotes included; null for NULL. */
const char *minicc_json_str(apr_pool_t *p, const char *s)
{
    const char *out = "\"";
    const char *run = s;

    if (!s) {
        return "null";
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\' || c < 0x20) {
            out = apr_pstrcat(p, out, apr_pstrmemdup(p, run, s - run),
                              c == '"' ? "\\\"" : c == '\\' ? "\\\\"
                              : apr_psprintf(p, "\\u%04x", c), NULL);
            run = s + 1;
        }
    }
    return apr_pstrcat(p, out, run, "\"", NULL);
}

const char *minicc_form_escape(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}
