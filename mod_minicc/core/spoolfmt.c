/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The spool's record format.  Pure code, unit-tested and fuzzed.
 *
 *   MINICC1 <payload length, 8 hex> <CRC-32 of payload, 8 hex>\n
 *   <payload>\n
 *
 * payload: the table name, '\n', the number of values, '\n', then per value
 * "-\n" for NULL or "=<length>:<bytes>\n".  Self-delimiting and checksummed:
 * a record torn by a crash (the last one, or one that later appends
 * followed) fails its length or checksum and is skipped up to the next
 * "MINICC1 ", never replayed as garbage and never
 * hiding the records after it.
 */
#include <string.h>
#include <stdlib.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "minicc_spoolfmt.h"

#define MAGIC "MINICC1 "
#define MAGIC_LEN 8
#define HEADER_LEN (MAGIC_LEN + 8 + 1 + 8 + 1)
#define MAX_VALUES 64

apr_uint32_t minicc_spoolfmt_crc32(const char *data, apr_size_t len)
{
    apr_uint32_t crc = 0xFFFFFFFFu;
    apr_size_t i;
    int k;

    for (i = 0; i < len; i++) {
        crc ^= (unsigned char)data[i];
        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

char *minicc_spoolfmt_encode(apr_pool_t *p, const char *table,
                          const char *const *values, int nvalues,
                          apr_size_t *len)
{
    apr_size_t size = strlen(table) + 16, at, plen;
    char *out, *payload;
    int i;

    for (i = 0; i < nvalues; i++) {
        size += values[i] ? strlen(values[i]) + 24 : 2;
    }
    out = apr_palloc(p, HEADER_LEN + size + 2);
    payload = out + HEADER_LEN;
    at = apr_snprintf(payload, size, "%s\n%d\n", table, nvalues);
    for (i = 0; i < nvalues; i++) {
        if (!values[i]) {
            memcpy(payload + at, "-\n", 2);
            at += 2;
        }
        else {
            apr_size_t vlen = strlen(values[i]);

            at += apr_snprintf(payload + at, size - at, "=%" APR_SIZE_T_FMT
                               ":", vlen);
            memcpy(payload + at, values[i], vlen);
            at += vlen;
            payload[at++] = '\n';
        }
    }
    plen = at;
    /* the header is written last, in front, once the CRC is known; the
     * snprintf's NUL lands on the payload's first byte, so restore it */
    {
        char first = payload[0];

        apr_snprintf(out, HEADER_LEN + 1, MAGIC "%08x %08x\n",
                     (unsigned)plen, (unsigned)minicc_spoolfmt_crc32(payload, plen));
        payload[0] = first;
    }
    payload[plen] = '\n';
    *len = HEADER_LEN + plen + 1;
    return out;
}

static int hex8(const char *s, apr_uint32_t *out)
{
    apr_uint32_t v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        int c = s[i];

        if (c >= '0' && c <= '9') v = v * 16 + (c - '0');
        else if (c >= 'a' && c <= 'f') v = v * 16 + (c - 'a' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* A decimal count at *s up to the delimiter; advances *s past it. */
static int read_count(const char **s, const char *end, char delim,
                      apr_size_t *out)
{
    apr_size_t v = 0;
    const char *q = *s;

    if (q >= end || !apr_isdigit(*q)) {
        return 0;
    }
    while (q < end && apr_isdigit(*q)) {
        if (v > 100000000) {
            return 0;
        }
        v = v * 10 + (*q++ - '0');
    }
    if (q >= end || *q != delim) {
        return 0;
    }
    *s = q + 1;
    *out = v;
    return 1;
}

static int parse_payload(apr_pool_t *p, const char *s, apr_size_t len,
                         minicc_spoolfmt_rec_t *rec)
{
    const char *end = s + len;
    const char *nl = memchr(s, '\n', len);
    apr_size_t n, i;

    if (!nl || nl == s) {
        return 0;
    }
    rec->table = apr_pstrmemdup(p, s, nl - s);
    s = nl + 1;
    if (!read_count(&s, end, '\n', &n) || n > MAX_VALUES) {
        return 0;
    }
    rec->values = apr_pcalloc(p, sizeof(char *) * (n ? n : 1));
    rec->nvalues = (int)n;
    for (i = 0; i < n; i++) {
        apr_size_t vlen;

        if (s + 2 <= end && s[0] == '-' && s[1] == '\n') {
            s += 2;
            continue;
        }
        if (s >= end || *s++ != '=' || !read_count(&s, end, ':', &vlen)
            || vlen > (apr_size_t)(end - s) || vlen + 1 > (apr_size_t)(end - s)
            || s[vlen] != '\n' || memchr(s, '\0', vlen)) {
            return 0;
        }
        rec->values[i] = apr_pstrmemdup(p, s, vlen);
        s += vlen + 1;
    }
    return s == end;
}

/* Offset of the next "MINICC1 " after from; len if there is none.  A torn
 * record rarely ends on a line break, so the next one may start anywhere;
 * the checksum weeds out a "MINICC1 " inside a value. */
static apr_size_t next_magic(const char *buf, apr_size_t len, apr_size_t from)
{
    apr_size_t i;

    for (i = from; i + MAGIC_LEN <= len; i++) {
        if (!memcmp(buf + i, MAGIC, MAGIC_LEN)) {
            return i;
        }
    }
    return len;
}

int minicc_spoolfmt_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                        apr_size_t *off, minicc_spoolfmt_rec_t *rec)
{
    apr_size_t at = *off;
    apr_uint32_t plen, crc;
    const char *payload;

    if (at >= len) {
        return 0;
    }
    if (len - at < HEADER_LEN || memcmp(buf + at, MAGIC, MAGIC_LEN)
        || !hex8(buf + at + MAGIC_LEN, &plen) || buf[at + 16] != ' '
        || !hex8(buf + at + 17, &crc) || buf[at + 25] != '\n'
        || plen > len - at - HEADER_LEN
        || len - at - HEADER_LEN - plen < 1) {
        *off = next_magic(buf, len, at + 1);
        return -1;
    }
    payload = buf + at + HEADER_LEN;
    if (payload[plen] != '\n' || minicc_spoolfmt_crc32(payload, plen) != crc
        || !parse_payload(p, payload, plen, rec)) {
        *off = next_magic(buf, len, at + 1);
        return -1;
    }
    *off = at + HEADER_LEN + plen + 1;
    return 1;
}
