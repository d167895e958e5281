/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Operators in a browser (doc/contract.txt 14): the pages of agent.c.
 */
#ifndef MINICC_AGENT_H
#define MINICC_AGENT_H

#include <httpd.h>

/* minicc-agent-token (GET): the access token of the Apache user who
 * asked, as JSON {identity, token, expires}. */
int minicc_agent_token_handler(request_rec *r);

/* minicc-agent-state: GET the operator's state as JSON {operator, call,
 * state, reason, since_seconds, queue, caller, caller_queue}; POST
 * state=ready|break|offline (and reason, a key of MiniCCBreakReasons)
 * from the page itself: the keypad's transitions. */
int minicc_agent_state_handler(request_rec *r);

/* minicc-agent (GET): the operator's page. */
int minicc_agent_page_handler(request_rec *r);

/* The operator call of telnum (client:USER): the one of callsid, or with
 * callsid NULL the newest; 0 and its MINICC_STMT_AGENT_CALL columns in
 * *row (NULL: none; in r->pool), or -1 when the database failed
 * (logged). */
int minicc_agent_call(request_rec *r, const char *callsid,
                      const char *telnum, const char ***row);

#endif /* MINICC_AGENT_H */
