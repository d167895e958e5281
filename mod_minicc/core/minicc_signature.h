/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * X-Twilio-Signature, as Twilio computes it: APR and libcrypto only.
 */
#ifndef MINICC_SIGNATURE_H
#define MINICC_SIGNATURE_H

#include "minicc_text.h"

/* The signature Twilio sends for a request to url with these (form)
 * parameters; NULL if libcrypto failed. */
const char *minicc_signature(apr_pool_t *p, const char *token,
                             const char *url, minicc_params_t *params);

/* Nonzero when header is the signature of the request under one of the
 * tokens, for url as given or without "user:pass@", each also without its
 * port or with the default port written out, as Twilio's own validators
 * accept. */
int minicc_signature_valid(apr_pool_t *p, const char *const *tokens,
                           int ntokens, const char *url,
                           minicc_params_t *params, const char *header);

#endif /* MINICC_SIGNATURE_H */
