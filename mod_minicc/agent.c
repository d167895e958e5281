/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Operators in a browser (doc/contract.txt 14): minicc-agent-token, the
 * Twilio access token that lets the operator's page (Twilio's Voice SDK)
 * be a phone.  The identity is the Apache user who asked (r->user), never
 * a parameter: behind Apache's authentication, a token is only ever its
 * user's.
 */
#include "mod_minicc_private.h"
#include "minicc_agent.h"
#include "minicc_config.h"
#include "minicc_rows.h"
#include "minicc_text.h"
#include "minicc_token.h"

#include <http_protocol.h>
#include <http_request.h>

/* The settings a token needs: the first one missing is said. */
static const minicc_setting_e needed[] = {
    MINICC_ACCOUNT_SID, MINICC_API_KEY, MINICC_API_SECRET_FILE,
    MINICC_TWIML_APP
};

int minicc_agent_token_handler(request_rec *r)
{
    const minicc_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                       &minicc_module);
    minicc_token_t t;
    const char *token;
    apr_size_t i;

    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!r->user || !*r->user) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(31201)
                      "%s: no Apache user asked (403): an operator's token "
                      "is its user's; put minicc-agent-token behind "
                      "authentication (AuthType, Require valid-user)",
                      r->uri);
        return HTTP_FORBIDDEN;
    }
    for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        if (!minicc_conf_text(conf, needed[i])) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(31202)
                          "%s: no token for %s (500): %s is not set where "
                          "minicc-agent-token is", r->uri,
                          ap_escape_logitem(r->pool, r->user),
                          minicc_conf_setting_name(needed[i]));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    memset(&t, 0, sizeof(t));
    t.account = minicc_conf_text(conf, MINICC_ACCOUNT_SID);
    t.key = minicc_conf_text(conf, MINICC_API_KEY);
    t.secret = minicc_conf_text(conf, MINICC_API_SECRET_FILE);
    t.secret_len = strlen(t.secret);
    t.app = minicc_conf_text(conf, MINICC_TWIML_APP);
    t.incoming = 1;
    t.identity = r->user;
    t.iat = (long)apr_time_sec(minicc_now(r));
    t.ttl = minicc_conf_number(conf, MINICC_TOKEN_TTL);
    if (!(token = minicc_token_make(r->pool, &t))) {
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, 0, r, APLOGNO(31203)
                      "%s: libcrypto could not sign the token of %s", r->uri,
                      ap_escape_logitem(r->pool, r->user));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "application/json; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rprintf(r, "{\"identity\":%s,\"token\":\"%s\",\"expires\":%ld}\n",
                   minicc_json_str(r->pool, r->user), token, t.iat + t.ttl);
    }
    return OK;
}
