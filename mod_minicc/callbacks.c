/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Call-backs in the database (doc/contract.txt, 8): whether a caller asked
 * for one, the outcome of one an operator dialled, and the claim of the
 * next one that is due.  The rules are sql.c's statements; db.c runs them
 * and knows nothing of call-backs.
 */
#include "mod_minicc_private.h"
#include "minicc_callbacks.h"
#include "minicc_db.h"

int minicc_callbacks_asked(request_rec *r, const char *callsid)
{
    minicc_db_steps_t s = { NULL, -1, 0, NULL, MINICC_STMT_CALLBACK_ASKED,
                            1, NULL, 1 };
    const char **row;

    s.select_args = &callsid;
    s.doing = apr_psprintf(r->pool, "looking up whether the caller of %s "
                           "asked for a call-back", callsid);
    return minicc_db_steps(r, &s, &row) ? -1 : row != NULL;
}

int minicc_callbacks_outcome(request_rec *r, const char *op,
                             const char *callsid, const char *status,
                             const char *attempts, const char *now)
{
    const char *args[] = { status, status, attempts, now, status, callsid,
                           op };
    minicc_db_steps_t s = { NULL, MINICC_STMT_CALLBACK_OUTCOME, 7, NULL, -1,
                            0, NULL, 0 };

    s.update_args = args;
    s.doing = apr_psprintf(r->pool, "recording the outcome (%s) of the "
                           "call-back %s that operator call %s dialled",
                           status, callsid, op);
    return minicc_db_steps(r, &s, NULL);
}

const char **minicc_callbacks_claim(request_rec *r, const char *op,
                                    const char *queue, const char *now,
                                    int *failed)
{
    const char *args[] = { op, now, queue, now, now, now, op, op };
    minicc_db_steps_t s = { NULL, MINICC_STMT_CALLBACK_CLAIM, 8, NULL,
                            MINICC_STMT_CALLBACK_CLAIMED, 1, NULL, 3 };
    const char **row;

    s.update_args = args;
    s.select_args = &op;
    s.doing = apr_psprintf(r->pool, "claiming a call-back of queue %s for "
                           "operator call %s",
                           ap_escape_logitem(r->pool, queue), op);
    *failed = minicc_db_steps(r, &s, &row) != 0;
    return *failed ? NULL : row;
}
