/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * TwiML through libxml2's xmlTextWriter: APR and libxml2 only.
 */
#ifndef MINICC_TWIML_H
#define MINICC_TWIML_H

#include <apr_pools.h>

typedef struct minicc_twiml minicc_twiml;

/* Starts a document (XML declaration, <Response>); the writer and its buffer
 * are freed by a cleanup on p, so an early return cannot leak them. */
minicc_twiml *minicc_twiml_start(apr_pool_t *p);
void minicc_twiml_open(minicc_twiml *tw, const char *element);
void minicc_twiml_attr(minicc_twiml *tw, const char *name, const char *value);
void minicc_twiml_text(minicc_twiml *tw, const char *text);
void minicc_twiml_close(minicc_twiml *tw);
/* Text in which each "{name}" is a slot: a place that a request fills
 * with a value that needs no escaping (digits), so that the rest can be
 * written, and escaped, once at startup. */
void minicc_twiml_text_slots(minicc_twiml *tw, const char *text,
                             const char *name, int value);

/* An attribute whose value is before and then a slot (value needing no
 * escaping, as above). */
void minicc_twiml_attr_slot(minicc_twiml *tw, const char *name,
                            const char *before, int value);

/* A finished document, and its slots in order. */
typedef struct {
    apr_size_t at;              /* offset in text */
    int value;                  /* which of the request's values */
} minicc_slot_t;

typedef struct {
    const char *text;
    apr_size_t len;
    const minicc_slot_t *slots;
    int nslots;
} minicc_doc_t;

/* Ends the document; NULL if libxml2 failed at any step (out of memory). */
const minicc_doc_t *minicc_twiml_finish_doc(minicc_twiml *tw);
const char *minicc_twiml_finish(minicc_twiml *tw, apr_size_t *len);
/* The document with values[slot->value] in each slot, in p. */
const char *minicc_twiml_fill(apr_pool_t *p, const minicc_doc_t *doc,
                            const char *const *values, apr_size_t *len);

#endif /* MINICC_TWIML_H */
