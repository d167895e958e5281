/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * mod_minicc: the module record, its hooks, and the path every webhook
 * request takes: method (405), body size (413), Twilio's signature (403),
 * then the webhook, whose TwiML is sent as text/xml.  Apache's own
 * authentication runs before any of it.  The layers below it are
 * doc/design.txt's ("Layers"), each file calling only those under it;
 * core/ holds the files that do not know httpd.
 */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_core.h>
#include <http_request.h>
#include <util_filter.h>
#include <apr_lib.h>
#include <libxml/parser.h>

#include "minicc_batch.h"
#include "minicc_callers.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_docs.h"
#include "minicc_handlers.h"
#include "minicc_metrics.h"
#include "minicc_polls.h"
#include "minicc_retention.h"
#include "minicc_record.h"
#include "minicc_signature.h"
#include "minicc_spool.h"

/* AP_DECLARE_MODULE, at the end, defines it. */
extern module AP_MODULE_DECLARE_DATA minicc_module;

static int is_form(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    static const char form[] = "application/x-www-form-urlencoded";

    return ct && !strncasecmp(ct, form, sizeof(form) - 1)
        && (ct[sizeof(form) - 1] == '\0' || ct[sizeof(form) - 1] == ';'
            || apr_isspace(ct[sizeof(form) - 1]));
}

/* Reads the whole body, chunked or not, refusing it past MINICC_MAX_BODY.
 * Not ap_parse_form_data: it reads on past its limit, drops pairs without
 * '=', turns "%zz" into a byte that was never sent, and hands values over
 * as C strings, which a NUL would cut short. */
static int read_body(request_rec *r, char **body, apr_size_t *len)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    apr_size_t size = 0, cap = 1024;
    char *buf;
    int seen_eos = 0;

    if (cl && (strlen(cl) > 12 || apr_atoi64(cl) > MINICC_MAX_BODY)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(30401)
                      "request body of %s bytes is over the %d allowed",
                      ap_escape_logitem(r->pool, cl), MINICC_MAX_BODY);
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    buf = apr_palloc(r->pool, cap + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, APLOGNO(30402)
                          "reading the request body failed");
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            rv = apr_bucket_read(b, &data, &n, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, APLOGNO(30403)
                              "reading the request body failed");
                return HTTP_BAD_REQUEST;
            }
            if (size + n > MINICC_MAX_BODY) {
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(30404)
                              "request body is over the %d bytes allowed",
                              MINICC_MAX_BODY);
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            if (size + n > cap) {
                char *bigger;

                while (size + n > cap) {
                    cap *= 2;
                }
                bigger = apr_palloc(r->pool, cap + 1);
                memcpy(bigger, buf, size);
                buf = bigger;
            }
            memcpy(buf + size, data, n);
            size += n;
        }
        apr_brigade_cleanup(bb);
    }
    buf[size] = '\0';    /* minicc_form_parse wants it */
    *body = buf;
    *len = size;
    return OK;
}

/* The URL Twilio requested, as it signed it: MiniCCPublicURL or the
 * scheme and Host this request came with, then the path and query exactly
 * as received. */
static const char *requested_url(request_rec *r, const minicc_dir_conf *conf)
{
    const char *public_url = minicc_conf_text(conf, MINICC_PUBLIC_URL);
    const char *host;

    if (public_url) {
        return apr_pstrcat(r->pool, public_url, r->unparsed_uri, NULL);
    }
    host = apr_table_get(r->headers_in, "Host");
    if (!host) {
        host = ap_is_default_port(ap_get_server_port(r), r)
            ? ap_get_server_name_for_url(r)
            : apr_psprintf(r->pool, "%s:%u", ap_get_server_name_for_url(r),
                           ap_get_server_port(r));
    }
    return apr_pstrcat(r->pool, ap_http_scheme(r), "://", host,
                       r->unparsed_uri, NULL);
}

static int signature_ok(request_rec *r, const minicc_dir_conf *conf,
                        minicc_params_t *params)
{
    const char *header = apr_table_get(r->headers_in, "X-Twilio-Signature");
    const char *url;

    if (!conf->tokens) {
        return 1;
    }
    url = requested_url(r, conf);
    if (minicc_signature_valid(r->pool, conf->tokens, conf->ntokens, url,
                               params, header)) {
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30406)
                  "%s X-Twilio-Signature for URL %s: refused (403); if "
                  "Twilio calls another address (a proxy or TLS terminator "
                  "in front), set MiniCCPublicURL to it",
                  header ? "invalid" : "no",
                  ap_escape_logitem(r->pool, url));
    return 0;
}

/* A queue's own request: its URL says queue=NAME (docs.c writes it into
 * the URLs of the queues of a menu and of operator_queues), and the
 * request is answered with that queue's configuration.  A name that is no
 * queue's is logged and the Location's MiniCCQueue serves. */
static const minicc_dir_conf *queue_of(request_rec *r,
                                       const minicc_dir_conf *conf)
{
    const minicc_param_t *q = minicc_query_param(r->pool, r->args,
                                                 MINICC_QUEUE_ARG);

    if (!q) {
        return conf;
    }
    if (strlen(q->value) != q->value_len
        || !minicc_conf_queue_name_ok(q->value)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30408)
                      "%s: '%s' in the URL's query is not a queue's name (1 "
                      "to 64 characters of UTF-8, no control characters): "
                      "the request is the queue %s's",
                      r->uri, ap_escape_logitem(r->pool, q->value),
                      minicc_conf_text(conf, MINICC_QUEUE));
        return conf;
    }
    return minicc_conf_queue(r->pool, conf, q->value);
}

static int minicc_handler(request_rec *r)
{
    const minicc_handler_t *h = minicc_handlers_find(r->handler);
    minicc_call_t call;
    apr_bucket_brigade *bb;
    char *body = NULL;
    const minicc_doc_t *doc;
    const char *text;
    apr_size_t len;
    int status;

    if (!h) {
        return DECLINED;
    }
    if (h->page) {
        return h->page(r);
    }
    if (r->method_number != M_POST) {
        ap_allow_methods(r, REPLACE_ALLOW, "POST", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    status = read_body(r, &body, &len);
    if (status != OK) {
        return status;
    }
    call.r = r;
    call.conf = ap_get_module_config(r->per_dir_config, &minicc_module);
    /* Twilio always sends a form; anything else carries no parameters. */
    call.params = minicc_form_parse(r->pool, body, is_form(r) ? len : 0);
    if (!signature_ok(r, call.conf, call.params)) {
        return HTTP_FORBIDDEN;
    }
    call.conf = queue_of(r, call.conf);
    call.doc = MINICC_DOC_EMPTY;
    call.own = NULL;
    memset(call.values, 0, sizeof(call.values));

    status = h->webhook(&call);
    if (status != OK) {
        return status;
    }
    if (!(doc = call.own ? call.own
                         : minicc_doc_of(r->pool, call.conf, call.doc))) {
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, 0, r, APLOGNO(30405)
                      "libxml2 could not write the TwiML (out of memory?)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "%s: TwiML %s", r->uri,
                  call.conf->docs ? "written at startup"
                  : "written for this request (a merge of sections that "
                    "startup did not make: <If>, <Directory>)");
    text = minicc_twiml_fill(r->pool, doc, call.values, &len);
    ap_set_content_type(r, "text/xml; charset=utf-8");
    ap_set_content_length(r, len);
    /* straight to the output filters, without ap_rwrite's buffering copy:
     * a document rendered at startup as it is (it lives as long as the
     * configuration), else from r->pool.  The flush sends it now: without
     * it the event MPM writes a small in-memory response only after
     * handing the connection back to its listener, which costs a caller
     * waiting alone more than the handler itself. */
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, !call.own && call.conf->docs
                                && text == doc->text
        ? apr_bucket_immortal_create(text, len, r->connection->bucket_alloc)
        : apr_bucket_pool_create(text, len, r->pool,
                                 r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(
                            r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(
                            r->connection->bucket_alloc));
    return ap_pass_brigade_fchk(r, bb, "sending the TwiML");
}

/* After the configuration is read and virtual hosts are merged, and before
 * `apachectl configtest` says "Syntax OK": a missing mod_dbd, a spool
 * folder Apache cannot write, the samples' database password stop it. */
static int minicc_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    const char *err = minicc_dbconn_configure(pconf, s);

    (void)plog;
    if (!err) {
        err = minicc_spool_check(ptemp, s);
    }
    if (!err) {
        err = minicc_conf_sample_password(ptemp);
    }
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                     APLOGNO(30001) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* libxml2 wants its parser initialised once, before any thread uses it;
 * then the TwiML that only the configuration decides is written once. */
static int minicc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    const char **names = apr_palloc(ptemp, sizeof(char *)
                                            * minicc_handlers_count);
    minicc_metrics_t *m;
    server_rec *sp;
    int i;

    /* a row of counters per handler of the table, whatever their number */
    for (i = 0; i < minicc_handlers_count; i++) {
        names[i] = minicc_handlers[i].name;
    }
    m = minicc_metrics_create(pconf, names, minicc_handlers_count);

    (void)plog;
    if (!m) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, APLOGNO(30407)
                     "no shared memory for minicc-metrics' counters: they "
                     "stay at 0");
    }
    for (sp = s; sp; sp = sp->next) {
        minicc_srv_conf_of(sp)->metrics = m;
    }
    xmlInitParser();
    minicc_docs_prepare(pconf, ptemp, s);
    return minicc_spool_post_config(ptemp, s);
}

/* This child's state, each layer's its own: the database's (kept
 * connections, the rest after a hang), the row queues, the rows spooled,
 * the spool's replay thread. */
static void minicc_child_init(apr_pool_t *pchild, server_rec *s)
{
    minicc_dbconn_child_init(pchild, s);
    minicc_batch_child_init(pchild, s);
    minicc_record_child_init(pchild, s);
    minicc_callers_child_init(pchild, s);
    minicc_polls_child_init(pchild, s);
    minicc_retention_child_init(pchild, s);
    minicc_spool_child_init(pchild, s);
}

/* Whether the request's SetHandler (from the per-directory config it has
 * so far) names one of ours. */
static int handled_here(request_rec *r)
{
    core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    const char *handler, *err = NULL;

    if (!core->expr_handler) {
        return 0;
    }
    handler = ap_expr_str_exec(r, core->expr_handler, &err);
    return handler && !err && !strncmp(handler, "minicc-", 7);
}

/* Counted for minicc-metrics: every request a SetHandler of ours was
 * meant for, Apache's own answers (401) included. */
static int minicc_log_transaction(request_rec *r)
{
    const char *handler = r->handler;

    if (!handler || strncmp(handler, "minicc-", 7)) {
        core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
        const char *err = NULL;

        if (!core->expr_handler) {
            return DECLINED;
        }
        handler = ap_expr_str_exec(r, core->expr_handler, &err);
        if (!handler || err || strncmp(handler, "minicc-", 7)) {
            return DECLINED;
        }
    }
    minicc_metrics_request(minicc_srv_conf_of(r->server)->metrics, handler,
                           r->status);
    return DECLINED;
}

/* No file lies behind a webhook's or the report's URL, yet core would
 * walk DocumentRoot for one: a stat of each segment of the path, and a
 * merge of every <Directory> on the way, on every request (measured: a
 * seventh of minicc-wait's throughput at 32 connections).  So,
 * as mod_proxy does for its URLs, a URL that <Location> gives to one of
 * our handlers is not mapped to the file system: only <Location>
 * sections apply to it (core reruns the location walk after this hook,
 * and finds it done).  Any other URL is left to core, its configuration
 * as it was. */
static int minicc_map_to_storage(request_rec *r)
{
    ap_conf_vector_t *before = r->per_dir_config;

    if (ap_location_walk(r) == OK && handled_here(r)) {
        return OK;
    }
    r->per_dir_config = before;
    return DECLINED;
}

/* For a webhook behind Basic auth, take the request's database connection
 * before authentication runs.  mod_authn_dbd (AuthBasicProvider dbd) would
 * otherwise be first to use a connection whose session MariaDB renewed,
 * find its statement gone, and answer 500: a lost call.  The handlers that
 * need no database only pay for this when mod_authn_dbd is loaded. */
static int minicc_header_parser(request_rec *r)
{
    if (apr_table_get(r->headers_in, "Authorization")
        && ap_find_linked_module("mod_authn_dbd.c") && handled_here(r)) {
        minicc_dbconn_prepare_request(r);
    }
    return DECLINED;
}

static void minicc_register_hooks(apr_pool_t *p)
{
    (void)p;
    minicc_dbconn_register_hooks();
    /* before core's, which walks the file system */
    ap_hook_map_to_storage(minicc_map_to_storage, NULL, NULL,
                           APR_HOOK_FIRST);
    ap_hook_header_parser(minicc_header_parser, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(minicc_log_transaction, NULL, NULL,
                            APR_HOOK_MIDDLE);
    ap_hook_check_config(minicc_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(minicc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(minicc_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(minicc_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(minicc) = {
    STANDARD20_MODULE_STUFF,
    minicc_create_dir_conf,
    minicc_merge_dir_conf,
    minicc_create_srv_conf,
    minicc_merge_srv_conf,
    minicc_cmds,
    minicc_register_hooks,
#ifdef AP_MODULE_FLAG_NONE
    AP_MODULE_FLAG_NONE
#endif
};
