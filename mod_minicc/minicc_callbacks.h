/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Call-backs in the database (callbacks.c), for the webhooks; now is the
 * request's time as the rows have it (UTC).
 */
#ifndef MINICC_CALLBACKS_H
#define MINICC_CALLBACKS_H

#include <httpd.h>

/* Whether the caller of callsid asked for one: 1, 0, or -1 when the
 * lookup failed (logged). */
int minicc_callbacks_asked(request_rec *r, const char *callsid);
/* The call-back callsid that the operator call op dialled: completed, or
 * (busy, no-answer, failed, canceled) an attempt more: back in line, or
 * failed at the attempts'th.  0, or -1 (logged). */
int minicc_callbacks_outcome(request_rec *r, const char *op,
                             const char *callsid, const char *status,
                             const char *attempts, const char *now);
/* Claims for op the oldest call-back of queue that is due (the rule is
 * sql.c's): its CallSid, From and To, or NULL when none is due or the
 * database failed (*failed, logged). */
const char **minicc_callbacks_claim(request_rec *r, const char *op,
                                    const char *queue, const char *now,
                                    int *failed);

#endif /* MINICC_CALLBACKS_H */
