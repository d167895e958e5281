/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * What is happening now (doc/contract.txt, 9): minicc-live, a page that
 * refreshes itself and JSON, and minicc-metrics, Prometheus' text format
 * 0.0.4.  The figures come from the database, where every server's
 * children write who waits (polls.c) and every webhook its rows: so every
 * server behind a load balancer shows the same.  The counters of
 * minicc-metrics are this server's (metrics.c).
 */
#include "mod_minicc_private.h"
#include "minicc_config.h"
#include "minicc_labels.h"
#include "minicc_db.h"
#include "minicc_figures.h"
#include "minicc_live.h"
#include "minicc_metrics.h"
#include "minicc_rows.h"
#include "minicc_spool.h"
#include "minicc_text.h"

#include <http_protocol.h>
#include <http_request.h>
#include <util_script.h>

/* The page asks again this often: about one wait poll. */
#define REFRESH_SECONDS 5

/* The states an operator on the line can be in (doc/contract.txt 13),
 * each counted as operators_NAME in JSON and minicc_operators{state} in
 * the metrics. */
enum { READY, TALKING, WRAPUP, ON_BREAK };
static const struct {
    const char *state, *json;
} states[] = {
    [READY] = { "ready", "operators_ready" },
    [TALKING] = { "talking", "operators_talking" },
    [WRAPUP] = { "wrap-up", "operators_wrapup" },
    [ON_BREAK] = { "break", "operators_on_break" }
};
#define NSTATES ((int)(sizeof(states) / sizeof(states[0])))

typedef struct {
    apr_array_header_t *queues; /* const char *[4]: queue, waiting,
                                 * longest wait, call-backs in line */
    apr_array_header_t *operators;  /* MINICC_LIVE_OP_* */
    long online, in[NSTATES];
    minicc_figures_t today;
} live_t;

/* 0 when a statement failed (logged). */
static int gather(request_rec *r, live_t *l)
{
    const minicc_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                       &minicc_module);
    apr_time_exp_t now;
    minicc_date_t today;
    /* now, in UTC as the rows have it */
    const char *at = minicc_arrival_time(r);
    const char *twice[] = { at, at };
    const char *thrice[] = { at, at, at };
    int i, k;

    apr_time_exp_lt(&now, minicc_now(r));
    today.y = now.tm_year + 1900;
    today.m = now.tm_mon + 1;
    today.d = now.tm_mday;
    if (!(l->queues = minicc_db_select(r, MINICC_STMT_LIVE_QUEUES, 2, twice,
                                       4))
        || !(l->operators = minicc_db_select(r, MINICC_STMT_LIVE_OPERATORS,
                                             3, thrice, MINICC_LIVE_OP_COLS))
        || !minicc_figures_gather(r, conf, today, today, NULL, &l->today)) {
        return 0;
    }
    l->online = l->operators->nelts;
    memset(l->in, 0, sizeof(l->in));
    for (i = 0; i < l->operators->nelts; i++) {
        const char **op = APR_ARRAY_IDX(l->operators, i, const char **);

        for (k = 0; k < NSTATES; k++) {
            if (!strcmp(op[MINICC_LIVE_OP_STATE], states[k].state)) {
                l->in[k]++;
            }
        }
    }
    return 1;
}

static void send_json(request_rec *r, const live_t *l)
{
    int i;

    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_rputs("{\"queues\":[", r);
    for (i = 0; i < l->queues->nelts; i++) {
        const char **q = APR_ARRAY_IDX(l->queues, i, const char **);

        ap_rprintf(r, "%s{\"queue\":%s,\"waiting\":%ld,"
                   "\"longest_wait_seconds\":%ld,\"callbacks_pending\":%ld}",
                   i ? "," : "", minicc_json_str(r->pool, q[0]),
                   minicc_num(q[1]), minicc_num(q[2]), minicc_num(q[3]));
    }
    ap_rputs("],\"operators\":[", r);
    for (i = 0; i < l->operators->nelts; i++) {
        const char **op = APR_ARRAY_IDX(l->operators, i, const char **);

        ap_rprintf(r, "%s{\"operator\":%s,\"state\":%s,\"reason\":%s,"
                   "\"since_seconds\":%ld,\"queue\":%s}", i ? "," : "",
                   minicc_json_str(r->pool, op[MINICC_LIVE_OP_TELNUM]),
                   minicc_json_str(r->pool, op[MINICC_LIVE_OP_STATE]),
                   minicc_json_str(r->pool, op[MINICC_LIVE_OP_REASON]),
                   minicc_num(op[MINICC_LIVE_OP_SECONDS]),
                   minicc_json_str(r->pool, op[MINICC_LIVE_OP_QUEUE]));
    }
    ap_rprintf(r, "],\"operators_online\":%ld", l->online);
    for (i = 0; i < NSTATES; i++) {
        ap_rprintf(r, ",\"%s\":%ld", states[i].json, l->in[i]);
    }
    ap_rprintf(r, ",\"today\":{\"offered\":%ld,\"answered\":%ld,"
               "\"abandoned\":%ld,\"service_level\":%.4f},"
               "\"spool_backlog\":%d}\n",
               l->today.offered, l->today.answered, l->today.abandoned,
               l->today.service_level, l->today.spool_backlog);
}

/* The page's words: English and Japanese side by side. */
#define MINICC_LIVE_LABELS(X) \
    X(L_TITLE, "MiniCC now", "コールセンターの現在") \
    X(L_QUEUE, "Queue", "キュー") \
    X(L_WAITING, "Waiting", "待ち人数") \
    X(L_LONGEST, "Longest wait", "最長待ち時間") \
    X(L_CALLBACKS, "Call-backs waiting", "折り返し待ち") \
    X(L_ONLINE, "Operators on the line", "接続中のオペレータ") \
    X(L_READY, "Operators ready", "受付可能なオペレータ") \
    X(L_TALKING, "Operators talking", "通話中のオペレータ") \
    X(L_WRAPUP, "Operators in wrap-up", "後処理中のオペレータ") \
    X(L_ON_BREAK, "Operators on a break", "休憩中のオペレータ") \
    X(L_TODAY, "Today so far", "本日の累計") \
    X(L_OFFERED, "Offered", "着信数") \
    X(L_ANSWERED, "Answered", "応答数") \
    X(L_ABANDONED, "Abandoned", "放棄呼") \
    X(L_LEVEL, "Service level", "サービスレベル") \
    X(L_BACKLOG, "Rows waiting in the spool", "スプール待ち行数") \
    X(L_NONE, "No one is waiting.", "待っているお客様はいません。") \
    X(L_SECONDS, "s", "秒") \
    X(L_OPERATOR, "Operator", "オペレータ") \
    X(L_STATE, "State", "状態") \
    X(L_REASON, "Reason", "理由") \
    X(L_SINCE, "For", "経過") \
    X(L_NO_OPERATORS, "No operator is on the line.", \
      "接続中のオペレータはいません。")

MINICC_LABELS_DEFINE(MINICC_LIVE_LABELS, L_COUNT);
/* the tiles of the states, in states[]' order */
static const int state_labels[NSTATES] = {
    [READY] = L_READY, [TALKING] = L_TALKING, [WRAPUP] = L_WRAPUP,
    [ON_BREAK] = L_ON_BREAK
};

static void send_html(request_rec *r, const live_t *l, int japanese)
{
    const char *const *L = japanese ? labels_ja : labels_en;
    apr_time_exp_t now;
    int i;

    apr_time_exp_lt(&now, minicc_now(r));
    ap_set_content_type(r, "text/html; charset=utf-8");
    /* a refresh by the page itself: no script to fail */
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
               "<meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\">"
               "<meta http-equiv=\"refresh\" content=\"%d\">"
               "<title>%s</title><style>"
               "body{font-family:system-ui,sans-serif;margin:1em;color:#222;"
               "max-width:60em}h1{font-size:1.4em}h2{font-size:1.1em;"
               "margin-top:1.2em}.tiles{display:grid;grid-template-columns:"
               "repeat(auto-fill,minmax(9em,1fr));gap:.5em;margin-top:1em}"
               ".tile{border:1px "
               "solid #ccc;border-radius:6px;padding:.5em}.tile b{display:"
               "block;font-size:1.6em}table{border-collapse:collapse;width:"
               "100%%}td,th{padding:.3em .5em;border-bottom:1px solid #ddd;"
               "text-align:left}td.n{text-align:right}.time{color:#666}"
               "</style></head><body><h1>%s</h1>"
               "<p class=\"time\" id=\"time\">%02d:%02d:%02d</p>",
               japanese ? "ja" : "en", REFRESH_SECONDS, L[L_TITLE],
               L[L_TITLE], now.tm_hour, now.tm_min, now.tm_sec);
    ap_rprintf(r, "<table id=\"queues\"><tr><th>%s</th><th>%s</th><th>%s"
               "</th><th>%s</th></tr>", L[L_QUEUE], L[L_WAITING],
               L[L_LONGEST], L[L_CALLBACKS]);
    for (i = 0; i < l->queues->nelts; i++) {
        const char **q = APR_ARRAY_IDX(l->queues, i, const char **);

        ap_rprintf(r, "<tr><td>%s</td><td class=\"n\">%ld</td>"
                   "<td class=\"n\">%ld %s</td><td class=\"n\">%ld</td></tr>",
                   ap_escape_html(r->pool, q[0]), minicc_num(q[1]),
                   minicc_num(q[2]), L[L_SECONDS], minicc_num(q[3]));
    }
    if (!l->queues->nelts) {
        ap_rprintf(r, "<tr><td colspan=\"4\">%s</td></tr>", L[L_NONE]);
    }
    ap_rprintf(r, "</table><div class=\"tiles\">"
               "<div class=\"tile\" id=\"operators_online\">%s<b>%ld</b></div>",
               L[L_ONLINE], l->online);
    for (i = 0; i < NSTATES; i++) {
        ap_rprintf(r, "<div class=\"tile\" id=\"%s\">%s<b>%ld</b></div>",
                   states[i].json, L[state_labels[i]], l->in[i]);
    }
    ap_rprintf(r, "</div><table id=\"operators\"><tr><th>%s</th><th>%s"
               "</th><th>%s</th><th>%s</th><th>%s</th></tr>", L[L_OPERATOR],
               L[L_STATE], L[L_REASON], L[L_SINCE], L[L_QUEUE]);
    for (i = 0; i < l->operators->nelts; i++) {
        const char **op = APR_ARRAY_IDX(l->operators, i, const char **);
        const char *reason = op[MINICC_LIVE_OP_REASON];
        const char *queue = op[MINICC_LIVE_OP_QUEUE];

        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%s</td>"
                   "<td class=\"n\">%ld %s</td><td>%s</td></tr>",
                   ap_escape_html(r->pool, op[MINICC_LIVE_OP_TELNUM]),
                   ap_escape_html(r->pool, op[MINICC_LIVE_OP_STATE]),
                   reason ? ap_escape_html(r->pool, reason) : "",
                   minicc_num(op[MINICC_LIVE_OP_SECONDS]), L[L_SECONDS],
                   queue ? ap_escape_html(r->pool, queue) : "");
    }
    if (!l->operators->nelts) {
        ap_rprintf(r, "<tr><td colspan=\"5\">%s</td></tr>",
                   L[L_NO_OPERATORS]);
    }
    ap_rprintf(r, "</table><div class=\"tiles\">"
               "<div class=\"tile\" id=\"spool_backlog\">%s<b>%d</b>"
               "</div></div><h2>%s</h2><div class=\"tiles\">"
               "<div class=\"tile\" id=\"offered\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"answered\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"abandoned\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"service_level\">%s<b>%.1f%%</b>"
               "</div></div></body></html>\n",
               L[L_BACKLOG], l->today.spool_backlog, L[L_TODAY],
               L[L_OFFERED], l->today.offered, L[L_ANSWERED],
               l->today.answered, L[L_ABANDONED], l->today.abandoned,
               L[L_LEVEL], l->today.service_level * 100);
}

int minicc_live_handler(request_rec *r)
{
    const minicc_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                       &minicc_module);
    apr_table_t *args;
    const char *format;
    live_t l;

    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_args_to_table(r, &args);
    format = apr_table_get(args, "format");
    if (format && strcmp(format, "html") && strcmp(format, "json")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(31101)
                      "live: format: expected html or json");
        r->status = HTTP_BAD_REQUEST;
        ap_set_content_type(r, "text/plain; charset=utf-8");
        ap_rputs("format: expected html or json\n", r);
        return OK;
    }
    if (!gather(r, &l)) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (format && !strcmp(format, "json")) {
        send_json(r, &l);
    }
    else {
        send_html(r, &l, !strcmp(minicc_conf_text(conf, MINICC_LANGUAGE),
                                 "ja-JP"));
    }
    return OK;
}

/* A label value as the text format wants it: \, " and newline escaped. */
static const char *label(apr_pool_t *p, const char *s)
{
    const char *out = "";

    for (; s && *s; s++) {
        out = apr_pstrcat(p, out, *s == '\\' ? "\\\\" : *s == '"' ? "\\\""
                          : *s == '\n' ? "\\n"
                          : apr_pstrndup(p, s, 1), NULL);
    }
    return out;
}

static void gauge(request_rec *r, const char *name, const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* The per-queue gauges, column col of the live figures. */
static void queue_gauges(request_rec *r, const live_t *l, const char *name,
                         const char *help, int col)
{
    int i;

    gauge(r, name, help);
    for (i = 0; i < l->queues->nelts; i++) {
        const char **q = APR_ARRAY_IDX(l->queues, i, const char **);

        ap_rprintf(r, "%s{queue=\"%s\"} %ld\n", name, label(r->pool, q[0]),
                   minicc_num(q[col]));
    }
}

int minicc_metrics_handler(request_rec *r)
{
    const minicc_srv_conf *sc = minicc_srv_conf_of(r->server);
    live_t l;
    int up, backlog, i;

    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    up = gather(r, &l);
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rputs(minicc_metrics_text(r->pool, sc->metrics), r);
    gauge(r, "minicc_database_up", "1 when the live figures below could be "
          "read from the database, else 0 (and they are left out).");
    ap_rprintf(r, "minicc_database_up %d\n", up);
    /* gather() read the spool already when the database answered */
    backlog = up ? l.today.spool_backlog
                 : minicc_spool_backlog(r->pool, r->server, NULL);
    gauge(r, "minicc_spool_backlog", "Rows in this server's spool, waiting "
          "for the database.");
    ap_rprintf(r, "minicc_spool_backlog %d\n", backlog < 0 ? 0 : backlog);
    if (!up) {
        return OK;
    }
    queue_gauges(r, &l, "minicc_queue_waiting", "Callers waiting now.", 1);
    queue_gauges(r, &l, "minicc_queue_longest_wait_seconds",
                 "The longest wait of the callers waiting now.", 2);
    queue_gauges(r, &l, "minicc_callbacks_pending",
                 "Call-backs in line (pending or being dialled).", 3);
    gauge(r, "minicc_operators_online", "Operator calls on the line.");
    ap_rprintf(r, "minicc_operators_online %ld\n", l.online);
    gauge(r, "minicc_operators_talking", "Operators in a conversation.");
    ap_rprintf(r, "minicc_operators_talking %ld\n", l.in[TALKING]);
    gauge(r, "minicc_operators", "Operators on the line, by state.");
    for (i = 0; i < NSTATES; i++) {
        ap_rprintf(r, "minicc_operators{state=\"%s\"} %ld\n", states[i].state,
                   l.in[i]);
    }
    gauge(r, "minicc_today_offered", "Calls offered today so far.");
    ap_rprintf(r, "minicc_today_offered %ld\n", l.today.offered);
    gauge(r, "minicc_today_answered", "Calls answered today so far.");
    ap_rprintf(r, "minicc_today_answered %ld\n", l.today.answered);
    gauge(r, "minicc_today_abandoned", "Calls abandoned today so far.");
    ap_rprintf(r, "minicc_today_abandoned %ld\n", l.today.abandoned);
    gauge(r, "minicc_today_service_level", "Share of today's pick-ups "
          "within MiniCCServiceLevel.");
    ap_rprintf(r, "minicc_today_service_level %.4f\n",
               l.today.service_level);
    return OK;
}
