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

#endif /* MINICC_AGENT_H */
