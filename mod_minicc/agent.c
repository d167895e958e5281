/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Operators in a browser (doc/contract.txt 14): minicc-agent, the
 * operator's page; minicc-agent-token, the Twilio access token that lets
 * the page (Twilio's Voice SDK) be a phone; minicc-agent-state, the
 * operator's state as the page shows and changes it.  The operator is the
 * Apache user who asked (r->user), never a parameter: behind Apache's
 * authentication, a token and a state are only ever their user's, whose
 * calls are those of operators.telnum client:USER.
 */
#include "mod_minicc_private.h"
#include "minicc_agent.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_labels.h"
#include "minicc_record.h"
#include "minicc_rows.h"
#include "minicc_text.h"
#include "minicc_token.h"

#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_script.h>

/* agent.js and agent.css as C strings (made by the build: Makefile.am) */
#include "agent_assets.h"

/* The settings a token needs: the first one missing is said. */
static const minicc_setting_e needed[] = {
    MINICC_ACCOUNT_SID, MINICC_API_KEY, MINICC_API_SECRET_FILE,
    MINICC_TWIML_APP
};

/* The Apache user who asked, or 403 (logged): every page of an operator
 * is its user's. */
static int need_user(request_rec *r)
{
    if (r->user && *r->user) {
        return OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(31201)
                  "%s: no Apache user asked (403): an operator's page, token "
                  "and state are its user's; put minicc-agent, "
                  "minicc-agent-token and minicc-agent-state behind "
                  "authentication (AuthType, Require valid-user)", r->uri);
    return HTTP_FORBIDDEN;
}

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
    if (need_user(r) != OK) {
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

/* ---- the operator's call and state ---- */

int minicc_agent_call(request_rec *r, const char *callsid,
                      const char *telnum, const char ***row)
{
    minicc_db_steps_t s = { NULL, -1, 0, NULL, MINICC_STMT_AGENT_CALL, 4,
                            NULL, MINICC_AGENT_COLS };
    const char **args = apr_palloc(r->pool, 4 * sizeof(char *));

    args[0] = minicc_arrival_time(r);
    args[1] = telnum;
    args[2] = callsid ? callsid : "";
    args[3] = args[2];
    s.select_args = args;
    s.doing = apr_psprintf(r->pool, "looking up the operator call of %s",
                           ap_escape_logitem(r->pool, telnum));
    return minicc_db_steps(r, &s, row);
}

/* The state of an operator whose newest call has ended, or who has none. */
static const char *const offline_row[MINICC_AGENT_COLS] = {
    NULL, "offline", NULL, "0", NULL, NULL, NULL, "1"
};

static void send_state(request_rec *r, const char *telnum,
                       const char *const *row)
{
    int talking = !strcmp(row[MINICC_AGENT_STATE], "talking");

    ap_set_content_type(r, "application/json; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return;
    }
    ap_rprintf(r, "{\"operator\":%s,\"call\":%s,\"state\":%s,\"reason\":%s,"
               "\"since_seconds\":%s,\"queue\":%s,\"caller\":%s,"
               "\"caller_queue\":%s}\n", minicc_json_str(r->pool, telnum),
               minicc_json_str(r->pool, row[MINICC_AGENT_CALLSID]),
               minicc_json_str(r->pool, row[MINICC_AGENT_STATE]),
               minicc_json_str(r->pool, row[MINICC_AGENT_REASON]),
               row[MINICC_AGENT_SECONDS],
               minicc_json_str(r->pool, row[MINICC_AGENT_QUEUE]),
               minicc_json_str(r->pool, talking ? row[MINICC_AGENT_CALLER]
                                                : NULL),
               minicc_json_str(r->pool, talking
                                        ? row[MINICC_AGENT_CALLER_QUEUE]
                                        : NULL));
}

/* A refusal the page shows: the status and {"error": why}. */
static int refuse(request_rec *r, int status, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(31204)
                  "%s: %s refused (%d): %s", r->uri,
                  ap_escape_logitem(r->pool, r->user ? r->user : "-"),
                  status, why);
    r->status = status;
    ap_set_content_type(r, "application/json; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rprintf(r, "{\"error\":%s}\n", minicc_json_str(r->pool, why));
    return OK;
}

/* This server's origin as the browser sees it: MiniCCPublicURL's, or the
 * scheme and Host the request came with. */
static const char *own_origin(request_rec *r, const minicc_dir_conf *conf)
{
    const char *public_url = minicc_conf_text(conf, MINICC_PUBLIC_URL);
    const char *host = apr_table_get(r->headers_in, "Host");

    if (public_url) {
        return public_url;
    }
    if (!host) {
        host = ap_get_server_name_for_url(r);
    }
    return apr_pstrcat(r->pool, ap_http_scheme(r), "://", host, NULL);
}

/* A POST from the page itself: its Origin is this server's, or, without
 * one, the browser says same-origin (Sec-Fetch-Site).  Another site's
 * page, a form or a script elsewhere, is not the operator. */
static int same_origin(request_rec *r, const minicc_dir_conf *conf)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");

    if (origin) {
        return !strcasecmp(origin, own_origin(r, conf));
    }
    return site && !strcmp(site, "same-origin");
}

/* The form's value of name (at most 256 bytes; NULL: absent). */
static const char *form_value(request_rec *r, apr_array_header_t *pairs,
                              const char *name)
{
    int i;

    for (i = 0; pairs && i < pairs->nelts; i++) {
        ap_form_pair_t *f = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        char buf[257];
        apr_size_t n = sizeof(buf) - 1;

        if (!strcmp(f->name, name)
            && apr_brigade_flatten(f->value, buf, &n) == APR_SUCCESS) {
            return apr_pstrmemdup(r->pool, buf, n);
        }
    }
    return NULL;
}

/* The states a page may ask for (the keypad's 1, 2 and 9). */
static const char *const asked_states[] = { "ready", "break", "offline" };

/* POST: a change of state, as the keypad would make it (doc/contract.txt
 * 14): written to the call's row of operator_sessions, whose triggers
 * keep operator_states; the loop answers it at its next request. */
static int change_state(request_rec *r, const minicc_dir_conf *conf,
                        const char *telnum, const char **row)
{
    apr_array_header_t *pairs = NULL;
    const char *state, *key, *reason = NULL, *body;
    minicc_row_t *write;
    apr_size_t i;

    if (!same_origin(r, conf)) {
        return refuse(r, HTTP_FORBIDDEN, apr_psprintf(r->pool,
                      "not from this server's page (Origin %s, expected %s)",
                      apr_table_get(r->headers_in, "Origin")
                      ? ap_escape_logitem(r->pool, apr_table_get(
                                              r->headers_in, "Origin"))
                      : "none", own_origin(r, conf)));
    }
    if (ap_parse_form_data(r, NULL, &pairs, 8, 4096) != OK) {
        return refuse(r, HTTP_BAD_REQUEST, "the form could not be read");
    }
    state = form_value(r, pairs, "state");
    key = form_value(r, pairs, "reason");
    for (i = 0; state && i < sizeof(asked_states) / sizeof(*asked_states);
         i++) {
        if (!strcmp(state, asked_states[i])) {
            break;
        }
    }
    if (!state || i == sizeof(asked_states) / sizeof(*asked_states)) {
        return refuse(r, HTTP_BAD_REQUEST,
                      "state: expected ready, break or offline");
    }
    if (!strcmp(state, "break")) {
        if (!minicc_conf_operator_states(conf)) {
            return refuse(r, HTTP_CONFLICT, "no breaks here: the operators' "
                          "states are off (MiniCCBreakReasons, MiniCCWrapUp "
                          "or MiniCCOperatorMenu)");
        }
        if (conf->nreasons) {
            reason = key && strlen(key) == 1
                ? minicc_conf_reason(conf, key[0]) : NULL;
            if (!reason) {
                return refuse(r, HTTP_BAD_REQUEST, "reason: expected the key "
                              "of one of MiniCCBreakReasons");
            }
        }
        else if (key && *key) {
            return refuse(r, HTTP_BAD_REQUEST, "reason: there are no "
                          "MiniCCBreakReasons here");
        }
    }
    if (!row[MINICC_AGENT_CALLSID]) {
        return refuse(r, HTTP_CONFLICT, "no operator call: connect first");
    }
    if (!strcmp(row[MINICC_AGENT_STATE], "talking")) {
        return refuse(r, HTTP_CONFLICT, "on a call: hang up first");
    }
    body = apr_pstrcat(r->pool, "CallSid=", row[MINICC_AGENT_CALLSID],
                       "&From=", minicc_form_escape(r->pool, telnum), NULL);
    write = minicc_row_from_request(r, minicc_form_parse(r->pool, body,
                                                         strlen(body)),
                                    MINICC_TABLE_OPERATOR_SESSION);
    if (!write) {
        return HTTP_INTERNAL_SERVER_ERROR;      /* said by rows.c */
    }
    minicc_row_set(write, "State", state);
    minicc_row_set(write, "Reason", reason);
    minicc_row_set(write, "Since", minicc_arrival_time(r));
    minicc_record(r, write);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(31205)
                  "%s: operator %s (call %s) asked for %s%s%s", r->uri,
                  ap_escape_logitem(r->pool, telnum),
                  row[MINICC_AGENT_CALLSID], state, reason ? ": " : "",
                  reason ? ap_escape_logitem(r->pool, reason) : "");
    if (strcmp(state, row[MINICC_AGENT_STATE])
        || (reason ? !row[MINICC_AGENT_REASON]
                     || strcmp(reason, row[MINICC_AGENT_REASON])
                   : row[MINICC_AGENT_REASON] != NULL)) {
        row[MINICC_AGENT_SECONDS] = "0";
    }
    row[MINICC_AGENT_STATE] = state;
    row[MINICC_AGENT_REASON] = reason;
    send_state(r, telnum, row);
    return OK;
}

int minicc_agent_state_handler(request_rec *r)
{
    const minicc_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                       &minicc_module);
    const char *telnum, **row;

    if (r->method_number != M_GET && r->method_number != M_POST) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", "POST", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (need_user(r) != OK) {
        return HTTP_FORBIDDEN;
    }
    telnum = apr_pstrcat(r->pool, "client:", r->user, NULL);
    if (minicc_agent_call(r, NULL, telnum, &row)) {
        return HTTP_SERVICE_UNAVAILABLE;        /* logged by db.c */
    }
    if (!row || !strcmp(row[MINICC_AGENT_ENDED], "1")
        || !strcmp(row[MINICC_AGENT_STATE], "offline")) {
        row = apr_pmemdup(r->pool, offline_row, sizeof(offline_row));
    }
    if (r->method_number == M_POST) {
        return change_state(r, conf, telnum, row);
    }
    send_state(r, telnum, row);
    return OK;
}

/* ---- the page ---- */

#define AGENT_LABELS(X) \
    X(L_TITLE, "Operator", "オペレーター") \
    X(L_CONNECT, "Connect", "接続") \
    X(L_HANGUP, "Hang up", "通話を切る") \
    X(L_READY, "Ready", "受付可") \
    X(L_BREAK, "Break", "休憩") \
    X(L_OFFLINE, "Log out", "ログアウト") \
    X(L_REASON, "Reason", "理由") \
    X(L_IN_STATE, "for", "経過") \
    X(L_CALLER, "Caller", "発信者") \
    X(L_QUEUE, "Queue", "キュー") \
    X(L_ST_READY, "Ready", "受付可") \
    X(L_ST_TALKING, "Talking", "通話中") \
    X(L_ST_WRAPUP, "Wrap-up", "後処理") \
    X(L_ST_BREAK, "On a break", "休憩中") \
    X(L_ST_OFFLINE, "Logged out", "ログアウト中") \
    X(L_LOADING, "Loading...", "読み込み中...") \
    X(L_NO_SDK, "Twilio's Voice SDK did not load (MiniCCVoiceSDK)", \
      "Twilio の Voice SDK を読み込めません (MiniCCVoiceSDK)") \
    X(L_REACHABLE, "Connected to Twilio", "Twilio に接続しました") \
    X(L_UNREACHABLE, "Twilio cannot be reached", "Twilio に接続できません") \
    X(L_CONNECTED, "On the line", "回線につながりました") \
    X(L_FAILED, "The server refused", "サーバーが拒否しました")
MINICC_LABELS_DEFINE(AGENT_LABELS, L_COUNT);

/* JSON that can sit in a <script> data block: no "</" can end it. */
static const char *script_json(apr_pool_t *p, const char *s)
{
    const char *json = minicc_json_str(p, s), *lt;
    const char *out = "";

    while ((lt = strchr(json, '<'))) {
        out = apr_pstrcat(p, out, apr_pstrmemdup(p, json, lt - json),
                          "\\u003c", NULL);
        json = lt + 1;
    }
    return apr_pstrcat(p, out, json, NULL);
}

/* The page's own settings, read by agent.js: where the token and the
 * state are (beside the page), the reasons, the words. */
static const char *page_conf(request_rec *r, const minicc_dir_conf *conf,
                             const char *const *L)
{
    apr_pool_t *p = r->pool;
    const char *json = "{\"token\":\"agent-token\",\"state\":\"agent-state\","
                       "\"labels\":{";
    int i;

    json = apr_pstrcat(p, json, "\"loading\":", script_json(p, L[L_LOADING]),
                       ",\"no_sdk\":", script_json(p, L[L_NO_SDK]),
                       ",\"reachable\":", script_json(p, L[L_REACHABLE]),
                       ",\"unreachable\":", script_json(p, L[L_UNREACHABLE]),
                       ",\"connected\":", script_json(p, L[L_CONNECTED]),
                       ",\"failed\":", script_json(p, L[L_FAILED]),
                       ",\"states\":{\"ready\":", script_json(p, L[L_ST_READY]),
                       ",\"talking\":", script_json(p, L[L_ST_TALKING]),
                       ",\"wrap-up\":", script_json(p, L[L_ST_WRAPUP]),
                       ",\"break\":", script_json(p, L[L_ST_BREAK]),
                       ",\"offline\":", script_json(p, L[L_ST_OFFLINE]),
                       "}},\"reasons\":[", NULL);
    for (i = 0; i < conf->nreasons; i++) {
        char k[2] = { conf->reasons[i].key, 0 };

        json = apr_pstrcat(p, json, i ? "," : "", "[", script_json(p, k), ",",
                           script_json(p, conf->reasons[i].name), "]", NULL);
    }
    return apr_pstrcat(p, json, "]}", NULL);
}

/* What the page may load: its own script and style (by their hashes), the
 * SDK (MiniCCVoiceSDK, a path made absolute), requests to this server and
 * to Twilio's; nothing else, and no frame around it. */
static const char *page_policy(request_rec *r, const minicc_dir_conf *conf,
                               const char *script_hash,
                               const char *style_hash)
{
    const char *sdk = minicc_conf_text(conf, MINICC_VOICE_SDK);

    if (sdk[0] == '/') {
        sdk = apr_pstrcat(r->pool, own_origin(r, conf), sdk, NULL);
    }
    return apr_pstrcat(r->pool, "default-src 'none'; script-src 'sha256-",
                       script_hash, "' ", sdk, "; style-src 'sha256-",
                       style_hash, "'; connect-src 'self' "
                       "https://*.twilio.com wss://*.twilio.com; "
                       "media-src https://*.twilio.com; img-src 'self'; "
                       "base-uri 'none'; form-action 'none'; "
                       "frame-ancestors 'none'", NULL);
}

int minicc_agent_page_handler(request_rec *r)
{
    const minicc_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                       &minicc_module);
    int ja = !strcmp(minicc_conf_text(conf, MINICC_LANGUAGE), "ja-JP");
    const char *const *L = ja ? labels_ja : labels_en;
    const char *script_hash, *style_hash;
    int i;

    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (need_user(r) != OK) {
        return HTTP_FORBIDDEN;
    }
    if (!minicc_conf_text(conf, MINICC_VOICE_SDK)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(31206)
                      "%s: no page for %s (500): MiniCCVoiceSDK is not set "
                      "where minicc-agent is", r->uri,
                      ap_escape_logitem(r->pool, r->user));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    script_hash = minicc_sha256_base64(r->pool, agent_js, strlen(agent_js));
    style_hash = minicc_sha256_base64(r->pool, agent_css, strlen(agent_css));
    if (!script_hash || !style_hash) {
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, 0, r, APLOGNO(31207)
                      "%s: libcrypto could not hash the page's script",
                      r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   page_policy(r, conf, script_hash, style_hash));
    if (r->header_only) {
        return OK;
    }
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
               "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\">\n"
               "<title>%s</title>\n<style>%s</style>\n</head><body>\n"
               "<h1>%s: %s</h1>\n<p id=\"status\" role=\"status\"></p>\n"
               "<p id=\"state\"></p><p>%s <span id=\"since\"></span></p>\n"
               "<p id=\"caller\" hidden>%s <strong id=\"caller-number\">"
               "</strong> &middot; %s <span id=\"caller-queue\"></span></p>\n"
               "<div class=\"row\"><button id=\"connect\" type=\"button\">%s"
               "</button><button id=\"hangup\" type=\"button\">%s</button>"
               "</div>\n<div class=\"row\"><button id=\"ready\" "
               "type=\"button\">%s</button><select id=\"reason\" "
               "aria-label=\"%s\"%s>", ja ? "ja" : "en", L[L_TITLE],
               agent_css, L[L_TITLE], ap_escape_html(r->pool, r->user),
               L[L_IN_STATE], L[L_CALLER], L[L_QUEUE], L[L_CONNECT],
               L[L_HANGUP], L[L_READY], L[L_REASON],
               conf->nreasons ? "" : " hidden");
    for (i = 0; i < conf->nreasons; i++) {
        ap_rprintf(r, "<option value=\"%c\">%s</option>",
                   conf->reasons[i].key,
                   ap_escape_html(r->pool, conf->reasons[i].name));
    }
    ap_rprintf(r, "</select><button id=\"break\" type=\"button\">%s</button>"
               "<button id=\"offline\" type=\"button\">%s</button></div>\n"
               "<script src=\"%s\"></script>\n<script type=\"application/"
               "json\" id=\"minicc-conf\">%s</script>\n<script>%s</script>\n"
               "</body></html>\n", L[L_BREAK], L[L_OFFLINE],
               ap_escape_html(r->pool, minicc_conf_text(conf,
                                                        MINICC_VOICE_SDK)),
               page_conf(r, conf, L), agent_js);
    return OK;
}
