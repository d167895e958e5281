/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The spool's records: self-delimiting and checksummed, APR only.
 */
#ifndef MINICC_SPOOLFMT_H
#define MINICC_SPOOLFMT_H

#include <apr_pools.h>

typedef struct {
    const char *table;
    const char **values;        /* NULL for SQL NULL */
    int nvalues;
} minicc_spoolfmt_rec_t;

apr_uint32_t minicc_spoolfmt_crc32(const char *data, apr_size_t len);

/* One self-delimiting, checksummed record. */
char *minicc_spoolfmt_encode(apr_pool_t *p, const char *table,
                          const char *const *values, int nvalues,
                          apr_size_t *len);

/* Decodes the record at buf + *off: 1 and *off past it; 0 at the end;
 * -1 for a damaged record, with *off at the next place a record may start. */
int minicc_spoolfmt_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                        apr_size_t *off, minicc_spoolfmt_rec_t *rec);

#endif /* MINICC_SPOOLFMT_H */
