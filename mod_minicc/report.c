/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * minicc-report (doc/contract.txt, 5): the supervisors' figures for a range
 * of days, as one self-contained HTML page (inline CSS and SVG), JSON, or
 * CSV.  The figures are read from summaries MariaDB keeps, through sql.c's
 * statements, which mod_dbd prepares like the webhooks' own.
 */
#include "mod_minicc_private.h"
#include "minicc_config.h"
#include "minicc_db.h"
#include "minicc_figures.h"
#include "minicc_report.h"
#include "minicc_rows.h"
#include "minicc_text.h"

#include <http_protocol.h>
#include <http_request.h>
#include <util_script.h>
#include <apr_lib.h>

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* ---- JSON ---- */

static void json_counts(request_rec *r, const apr_array_header_t *a,
                        const char *name)
{
    int i;

    for (i = 0; i < a->nelts; i++) {
        const minicc_counts_t *c = &APR_ARRAY_IDX(a, i, minicc_counts_t);

        ap_rprintf(r, "%s{\"%s\":\"%s\",\"offered\":%ld,\"answered\":%ld,"
                   "\"abandoned\":%ld}", i ? "," : "", name, c->when,
                   c->offered, c->answered, c->abandoned);
    }
}

static void send_json(request_rec *r, const minicc_figures_t *f)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_rprintf(r, "{\"from\":\"%s\",\"to\":\"%s\",\"offered\":%ld,"
               "\"answered\":%ld,\"abandoned\":%ld,\"short_abandoned\":%ld,"
               "\"abandon_rate\":%.4f,\"asa_seconds\":%.1f,"
               "\"service_level\":%.4f,\"service_level_seconds\":%d,"
               "\"short_abandon_seconds\":%d,"
               "\"longest_wait_seconds\":%ld,\"avg_call_seconds\":%.1f,"
               "\"spool_backlog\":%d,\"by_hour\":[", f->from_s, f->to_s,
               f->offered, f->answered, f->abandoned, f->short_abandoned,
               f->abandon_rate, f->asa, f->service_level,
               f->service_level_seconds, f->short_abandon_seconds,
               f->longest_wait, f->avg_call, f->spool_backlog);
    json_counts(r, f->hours, "hour");
    ap_rputs("],\"by_day\":[", r);
    json_counts(r, f->days, "day");
    ap_rputs("],\"operators\":[", r);
    for (i = 0; i < f->operators->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->operators, i, const char **);

        ap_rprintf(r, "%s{\"telnum\":%s,\"answered\":%ld}", i ? "," : "",
                   minicc_json_str(p, row[0]), minicc_num(row[1]));
    }
    ap_rputs("],\"abandoned_calls\":[", r);
    for (i = 0; i < f->abandoned_calls->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->abandoned_calls, i,
                                         const char **);

        ap_rprintf(r, "%s{\"from\":%s,\"time\":\"%s\",\"wait_seconds\":%ld}",
                   i ? "," : "", minicc_json_str(p, row[0]),
                   minicc_time_local(p, row[1], 'T'), minicc_num(row[2]));
    }
    ap_rprintf(r, "],\"closed_calls\":%ld,\"overflowed\":%ld,"
               "\"voicemails\":%ld,\"voicemail_list\":[", f->closed_calls,
               f->overflowed, f->voicemails);
    for (i = 0; i < f->voicemail_list->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->voicemail_list, i,
                                         const char **);

        ap_rprintf(r, "%s{\"from\":%s,\"time\":\"%s\",\"reason\":%s,"
                   "\"duration_seconds\":%ld,\"recording_url\":%s}",
                   i ? "," : "", minicc_json_str(p, row[0]),
                   minicc_time_local(p, row[1], 'T'),
                   minicc_json_str(p, row[2]),
                   minicc_num(row[3]), minicc_json_str(p, row[4]));
    }
    ap_rprintf(r, "],\"callbacks\":{\"requested\":%ld,\"completed\":%ld,"
               "\"failed\":%ld,\"pending\":%ld,\"mean_seconds\":%.1f},"
               "\"callback_list\":[", f->cb_requested, f->cb_completed,
               f->cb_failed, f->cb_pending, f->cb_mean);
    for (i = 0; i < f->callback_list->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->callback_list, i,
                                         const char **);

        ap_rprintf(r, "%s{\"from\":%s,\"time\":\"%s\",\"status\":%s,"
                   "\"attempts\":%ld,\"outcome\":%s}", i ? "," : "",
                   minicc_json_str(p, row[0]),
                   minicc_time_local(p, row[1], 'T'),
                   minicc_json_str(p, row[2]), minicc_num(row[3]), minicc_json_str(p, row[4]));
    }
    ap_rputs("]}\n", r);
}

/* ---- CSV (RFC 4180) ---- */

/* A text cell (a caller's number, a reason, a URL: what a caller or the
 * database gave).  One that a spreadsheet would run as a formula (=, +, -,
 * @, and the tab and carriage return some take as a formula's start)
 * begins with an apostrophe, inside quotes: it is read as text, and a
 * number such as +81... keeps its plus and its digits (doc/contract.txt
 * 17; OWASP's rule for CSV injection). */
static const char *csv_field(apr_pool_t *p, const char *s)
{
    const char *out = "\"";
    const char *q;

    if (!s) {
        return "";
    }
    if (*s && strchr("=+-@\t\r", *s)) {
        out = "\"'";
    }
    else if (!strpbrk(s, ",\"\r\n")) {
        return s;
    }
    while ((q = strchr(s, '"'))) {
        out = apr_pstrcat(p, out, apr_pstrmemdup(p, s, q - s), "\"\"", NULL);
        s = q + 1;
    }
    return apr_pstrcat(p, out, s, "\"", NULL);
}

static void csv_counts(request_rec *r, const apr_array_header_t *a,
                       const char *name)
{
    int i;

    ap_rprintf(r, "%s,offered,answered,abandoned\r\n", name);
    for (i = 0; i < a->nelts; i++) {
        const minicc_counts_t *c = &APR_ARRAY_IDX(a, i, minicc_counts_t);

        ap_rprintf(r, "%s,%ld,%ld,%ld\r\n", c->when, c->offered,
                   c->answered, c->abandoned);
    }
}

/* The CSV tables, the default first. */
static const char *const csv_tables[] = {
    "summary", "hours", "days", "operators", "abandoned", "voicemails",
    "callbacks", NULL
};

static int csv_table_known(const char *table)
{
    int i;

    for (i = 0; csv_tables[i]; i++) {
        if (!strcmp(table, csv_tables[i])) {
            return 1;
        }
    }
    return 0;
}

/* table: one of csv_tables (checked before the figures were gathered). */
static void send_csv(request_rec *r, const minicc_figures_t *f, const char *table)
{
    apr_pool_t *p = r->pool;
    int i;

    ap_set_content_type(r, "text/csv; charset=utf-8; header=present");
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_psprintf(p, "attachment; filename=\"minicc-%s-%s_%s"
                                ".csv\"", table, f->from_s, f->to_s));
    if (!strcmp(table, "summary")) {
        ap_rprintf(r, "from,to,offered,answered,abandoned,short_abandoned,"
                   "abandon_rate,asa_seconds,service_level,"
                   "service_level_seconds,short_abandon_seconds,"
                   "longest_wait_seconds,avg_call_seconds,spool_backlog\r\n"
                   "%s,%s,%ld,%ld,%ld,%ld,%.4f,%.1f,%.4f,%d,%d,%ld,%.1f,%d"
                   "\r\n", f->from_s, f->to_s, f->offered, f->answered,
                   f->abandoned, f->short_abandoned, f->abandon_rate, f->asa,
                   f->service_level, f->service_level_seconds,
                   f->short_abandon_seconds, f->longest_wait, f->avg_call,
                   f->spool_backlog);
    }
    else if (!strcmp(table, "hours")) {
        csv_counts(r, f->hours, "hour");
    }
    else if (!strcmp(table, "days")) {
        csv_counts(r, f->days, "day");
    }
    else if (!strcmp(table, "operators")) {
        ap_rputs("telnum,answered\r\n", r);
        for (i = 0; i < f->operators->nelts; i++) {
            const char **row = APR_ARRAY_IDX(f->operators, i, const char **);

            ap_rprintf(r, "%s,%ld\r\n", csv_field(p, row[0]), minicc_num(row[1]));
        }
    }
    else if (!strcmp(table, "callbacks")) {
        ap_rputs("from,time,status,attempts,outcome\r\n", r);
        for (i = 0; i < f->callback_list->nelts; i++) {
            const char **row = APR_ARRAY_IDX(f->callback_list, i,
                                             const char **);

            ap_rprintf(r, "%s,%s,%s,%ld,%s\r\n", csv_field(p, row[0]),
                       minicc_time_local(p, row[1], 'T'), csv_field(p, row[2]),
                       minicc_num(row[3]), csv_field(p, row[4]));
        }
    }
    else if (!strcmp(table, "voicemails")) {
        ap_rputs("from,time,reason,duration_seconds,recording_url\r\n", r);
        for (i = 0; i < f->voicemail_list->nelts; i++) {
            const char **row = APR_ARRAY_IDX(f->voicemail_list, i,
                                             const char **);

            ap_rprintf(r, "%s,%s,%s,%ld,%s\r\n", csv_field(p, row[0]),
                       minicc_time_local(p, row[1], 'T'), csv_field(p, row[2]),
                       minicc_num(row[3]), csv_field(p, row[4]));
        }
    }
    else {
        ap_rputs("from,time,wait_seconds\r\n", r);
        for (i = 0; i < f->abandoned_calls->nelts; i++) {
            const char **row = APR_ARRAY_IDX(f->abandoned_calls, i,
                                             const char **);

            ap_rprintf(r, "%s,%s,%ld\r\n", csv_field(p, row[0]),
                       minicc_time_local(p, row[1], 'T'), minicc_num(row[2]));
        }
    }
}

/* ---- HTML ---- */

enum {
    L_TITLE, L_FROM, L_TO, L_SHOW, L_OFFERED, L_ANSWERED, L_ABANDONED,
    L_SHORT, L_RATE, L_ASA, L_LEVEL, L_LONGEST, L_AVGCALL, L_BACKLOG,
    L_BYHOUR, L_BYDAY, L_WAITS, L_OPERATORS, L_OPERATOR, L_CALLBACK,
    L_NUMBER, L_TIME, L_WAIT, L_NONE, L_SECONDS, L_LEVELLINE, L_DOWNLOAD,
    L_CLOSED, L_OVERFLOWED, L_VOICEMAILS, L_REASON, L_LENGTH, L_RECORDING,
    L_CB_REQUESTED, L_CB_COMPLETED, L_CB_FAILED, L_CB_PENDING, L_CB_MEAN,
    L_CB_LIST, L_STATUS, L_ATTEMPTS,
    L_COUNT
};

static const char *const labels_en[L_COUNT] = {
    "MiniCC call center report", "From", "To", "Show", "Offered",
    "Answered", "Abandoned", "Short abandons", "Abandon rate",
    "Average speed of answer", "Service level", "Longest wait",
    "Average call", "Rows waiting in the spool", "Calls per hour",
    "Calls per day",
    "Queue time of answered calls", "Operators", "Operator",
    "Abandoned calls to call back (newest first)", "Number", "Time",
    "Waited", "None", "s", "service level", "Download",
    "Turned away (closed)", "Overflowed", "Voicemails", "Why", "Length",
    "Recording", "Call-backs asked for", "Call-backs completed",
    "Call-backs failed", "Call-backs waiting", "Mean time to call back",
    "Call-backs waiting or failed (newest first)", "Status", "Attempts"
};

static const char *const labels_ja[L_COUNT] = {
    "コールセンター レポート", "開始日", "終了日", "表示", "着信数",
    "応答数", "放棄呼", "短時間放棄", "放棄率", "平均応答時間",
    "サービスレベル", "最長待ち時間", "平均通話時間", "スプール待ち行数",
    "時間帯別の呼数", "日別の呼数", "応答した呼の待ち時間", "オペレータ", "オペレータ",
    "折り返し電話リスト（放棄呼、新しい順）", "電話番号", "時刻", "待ち時間",
    "なし", "秒", "サービスレベル", "ダウンロード",
    "受付時間外", "あふれ呼", "留守番電話", "理由", "長さ", "録音",
    "折り返し依頼", "折り返し完了", "折り返し失敗", "折り返し待ち",
    "折り返しまでの平均時間", "折り返し待ち・失敗の一覧（新しい順）", "状態",
    "試行回数"
};

#define TWILIO_RECORDINGS "https://api.twilio.com/"

static const char *esc(apr_pool_t *p, const char *s)
{
    return s ? ap_escape_html(p, s) : "";
}

/* Grouped bars per hour or per day: offered, answered, abandoned; each
 * labelled by its "when" from skip on, every tick-th one under the axis. */
static void chart_counts(request_rec *r, const apr_array_header_t *a,
                         const char *name, const char *title, int skip,
                         int tick, const char *const *L)
{
    int n = a->nelts, i;
    long max = 1;
    double gw = 30.0, w = n * gw + 40, h = 200, base = 170;

    for (i = 0; i < n; i++) {
        max = MAX(max, APR_ARRAY_IDX(a, i, minicc_counts_t).offered);
    }
    ap_rprintf(r, "<svg class=\"chart %s\" viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" aria-label=\"%s\">", name, w, h, title);
    ap_rprintf(r, "<line x1=\"30\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
               "class=\"axis\"/><text x=\"26\" y=\"14\" class=\"tick\" "
               "text-anchor=\"end\">%ld</text>", base, w, base, max);
    for (i = 0; i < n; i++) {
        const minicc_counts_t *c = &APR_ARRAY_IDX(a, i, minicc_counts_t);
        double x = 34 + i * gw;
        long v[3];
        int k;
        static const char *const cls[3] = { "offered", "answered",
                                             "abandoned" };

        v[0] = c->offered;
        v[1] = c->answered;
        v[2] = c->abandoned;
        for (k = 0; k < 3; k++) {
            double bh = (base - 10) * v[k] / max;

            ap_rprintf(r, "<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" "
                       "width=\"8\" height=\"%.1f\"><title>%s %s: %ld"
                       "</title></rect>", cls[k], x + k * 8.5, base - bh, bh,
                       c->when + skip, L[k == 0 ? L_OFFERED : k == 1
                                         ? L_ANSWERED : L_ABANDONED], v[k]);
        }
        if (i % tick == 0) {
            ap_rprintf(r, "<text x=\"%.1f\" y=\"186\" class=\"tick\">%s"
                       "</text>", x, c->when + skip);
        }
    }
    ap_rputs("</svg>", r);
}

/* Pick-ups per bar of queue time (sql.c puts each in its bar), with the
 * service level as a line. */
#define BARS MINICC_WAIT_BUCKETS
#define BAR_SECONDS MINICC_WAIT_BUCKET

/* Each bar is labelled at its right edge with the longest wait it holds,
 * so the service-level line falls on its own number. */
static void chart_waits(request_rec *r, const minicc_figures_t *f,
                        const char *const *L)
{
    apr_pool_t *p = r->pool;
    long max = 1;
    int i;
    double bw = 40, base = 170, lx;

    for (i = 0; i < BARS; i++) {
        max = MAX(max, f->waits[i]);
    }
    ap_rprintf(r, "<svg class=\"chart waits\" viewBox=\"0 0 %d 212\" "
               "role=\"img\" aria-label=\"%s\">", 40 + BARS * 40,
               L[L_WAITS]);
    ap_rprintf(r, "<line x1=\"30\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" "
               "class=\"axis\"/><text x=\"26\" y=\"14\" class=\"tick\" "
               "text-anchor=\"end\">%ld</text>", base, 40 + BARS * 40,
               base, max);
    for (i = 0; i < BARS; i++) {
        double bh = (base - 10) * f->waits[i] / max;
        const char *range = i == 0 ? "0"
            : i == BARS - 1
                ? apr_psprintf(p, "> %d", (i - 1) * BAR_SECONDS)
                : apr_psprintf(p, "%d-%d", (i - 1) * BAR_SECONDS + 1,
                               i * BAR_SECONDS);
        const char *tick = i == BARS - 1
            ? apr_psprintf(p, ">%d", (i - 1) * BAR_SECONDS)
            : apr_itoa(p, i * BAR_SECONDS);

        ap_rprintf(r, "<rect class=\"bar wait\" x=\"%.1f\" y=\"%.1f\" "
                   "width=\"34\" height=\"%.1f\"><title>%s %s: %ld</title>"
                   "</rect><text x=\"%.1f\" y=\"186\" class=\"tick\" "
                   "text-anchor=\"%s\">%s</text>", 34 + i * bw, base - bh, bh,
                   range, L[L_SECONDS], f->waits[i],
                   i == BARS - 1 ? 34 + i * bw + 20
                                 : 34 + (i + 1) * bw - 3,
                   "middle", tick);
    }
    /* the right edge of the bar that holds the service level's seconds */
    lx = 34 + bw * MIN((double)f->service_level_seconds / BAR_SECONDS + 1,
                       BARS) - 3;
    ap_rprintf(r, "<line class=\"level\" x1=\"%.1f\" y1=\"6\" x2=\"%.1f\" "
               "y2=\"%.0f\"/><text x=\"%.1f\" y=\"204\" class=\"tick "
               "level\" text-anchor=\"middle\">%s %d%s</text></svg>", lx, lx,
               base, lx, L[L_LEVELLINE], f->service_level_seconds,
               L[L_SECONDS]);
}

static void send_html(request_rec *r, const minicc_figures_t *f, int japanese)
{
    apr_pool_t *p = r->pool;
    const char *const *L = japanese ? labels_ja : labels_en;
    int i;

    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
               "<meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\">"
               "<title>%s %s – %s</title><style>"
               "body{font-family:system-ui,sans-serif;margin:1em;color:#222;"
               "max-width:70em}h1{font-size:1.4em}h2{font-size:1.1em;"
               "margin-top:1.5em}form{margin:.5em 0}"
               ".tiles{display:grid;grid-template-columns:repeat(auto-fill,"
               "minmax(10em,1fr));gap:.5em}.tile{border:1px solid #ccc;"
               "border-radius:6px;padding:.5em}.tile b{display:block;"
               "font-size:1.5em}.chart{width:100%%;height:auto;"
               "max-height:16em}.axis{stroke:#888}.tick{font-size:9px;"
               "fill:#555}.offered{fill:#7a9cc6}.answered{fill:#3c9a5f}"
               ".abandoned{fill:#d0543c}.wait{fill:#7a9cc6}line.level{stroke:"
               "#d0543c;stroke-dasharray:4}text.level{fill:#d0543c}table{border-"
               "collapse:collapse}td,th{padding:.2em .6em;border-bottom:"
               "1px solid #ddd;text-align:left}td.n{text-align:right}"
               ".legend span{margin-right:1em}.legend i{display:inline-block;"
               "width:.8em;height:.8em;margin-right:.3em}"
               "</style></head><body>", japanese ? "ja" : "en", L[L_TITLE],
               f->from_s, f->to_s);
    ap_rprintf(r, "<h1>%s</h1><form method=\"get\"><label>%s <input "
               "type=\"date\" name=\"from\" value=\"%s\"></label> <label>%s "
               "<input type=\"date\" name=\"to\" value=\"%s\"></label> "
               "<button>%s</button></form><p>%s: "
               "<a href=\"?from=%s&amp;to=%s&amp;format=json\">JSON</a> "
               "<a href=\"?from=%s&amp;to=%s&amp;format=csv\">CSV</a></p>",
               L[L_TITLE], L[L_FROM], f->from_s, L[L_TO], f->to_s, L[L_SHOW],
               L[L_DOWNLOAD], f->from_s, f->to_s, f->from_s, f->to_s);
    ap_rprintf(r, "<div class=\"tiles\">"
               "<div class=\"tile\" id=\"offered\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"answered\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"abandoned\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"short_abandoned\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"abandon_rate\">%s<b>%.1f%%</b></div>"
               "<div class=\"tile\" id=\"asa_seconds\">%s<b>%.1f %s</b></div>"
               "<div class=\"tile\" id=\"service_level\">%s (%d %s)<b>%.1f%%"
               "</b></div>"
               "<div class=\"tile\" id=\"longest_wait_seconds\">%s<b>%ld %s"
               "</b></div>"
               "<div class=\"tile\" id=\"avg_call_seconds\">%s<b>%.1f %s</b>"
               "</div>"
               "<div class=\"tile\" id=\"spool_backlog\">%s<b>%d</b></div>"
               "<div class=\"tile\" id=\"closed_calls\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"overflowed\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"voicemails\">%s<b>%ld</b></div>"
               "<div class=\"tile\" id=\"callbacks_requested\">%s<b>%ld</b>"
               "</div>"
               "<div class=\"tile\" id=\"callbacks_completed\">%s<b>%ld</b>"
               "</div>"
               "<div class=\"tile\" id=\"callbacks_failed\">%s<b>%ld</b>"
               "</div>"
               "<div class=\"tile\" id=\"callbacks_pending\">%s<b>%ld</b>"
               "</div>"
               "<div class=\"tile\" id=\"callbacks_mean_seconds\">%s<b>%.1f "
               "%s</b></div>"
               "</div>",
               L[L_OFFERED], f->offered, L[L_ANSWERED], f->answered,
               L[L_ABANDONED], f->abandoned, L[L_SHORT], f->short_abandoned,
               L[L_RATE], f->abandon_rate * 100, L[L_ASA], f->asa,
               L[L_SECONDS], L[L_LEVEL], f->service_level_seconds,
               L[L_SECONDS], f->service_level * 100, L[L_LONGEST],
               f->longest_wait, L[L_SECONDS], L[L_AVGCALL], f->avg_call,
               L[L_SECONDS], L[L_BACKLOG], f->spool_backlog, L[L_CLOSED],
               f->closed_calls, L[L_OVERFLOWED], f->overflowed,
               L[L_VOICEMAILS], f->voicemails, L[L_CB_REQUESTED],
               f->cb_requested, L[L_CB_COMPLETED], f->cb_completed,
               L[L_CB_FAILED], f->cb_failed, L[L_CB_PENDING], f->cb_pending,
               L[L_CB_MEAN], f->cb_mean, L[L_SECONDS]);
    ap_rprintf(r, "<h2>%s</h2><p class=\"legend\"><span><i class=\"offered\""
               " style=\"background:#7a9cc6\"></i>%s</span><span><i "
               "style=\"background:#3c9a5f\"></i>%s</span><span><i "
               "style=\"background:#d0543c\"></i>%s</span></p>", L[L_BYHOUR],
               L[L_OFFERED], L[L_ANSWERED], L[L_ABANDONED]);
    /* an hour is labelled HH, a day MM-DD */
    chart_counts(r, f->hours, "hours", L[L_BYHOUR], 11, 3, L);
    if (f->days->nelts > 1) {
        ap_rprintf(r, "<h2>%s</h2>", L[L_BYDAY]);
        chart_counts(r, f->days, "days", L[L_BYDAY], 5,
                     (f->days->nelts + 9) / 10, L);
    }
    ap_rprintf(r, "<h2>%s</h2>", L[L_WAITS]);
    chart_waits(r, f, L);
    ap_rprintf(r, "<h2>%s</h2><table id=\"operators\"><tr><th>%s</th>"
               "<th>%s</th></tr>", L[L_OPERATORS], L[L_OPERATOR],
               L[L_ANSWERED]);
    for (i = 0; i < f->operators->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->operators, i, const char **);

        ap_rprintf(r, "<tr><td>%s</td><td class=\"n\">%ld</td></tr>",
                   esc(p, row[0]), minicc_num(row[1]));
    }
    if (!f->operators->nelts) {
        ap_rprintf(r, "<tr><td colspan=\"2\">%s</td></tr>", L[L_NONE]);
    }
    ap_rprintf(r, "</table><h2>%s</h2><table id=\"callback\"><tr><th>%s"
               "</th><th>%s</th><th>%s</th></tr>", L[L_CALLBACK],
               L[L_NUMBER], L[L_TIME], L[L_WAIT]);
    for (i = 0; i < f->abandoned_calls->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->abandoned_calls, i,
                                         const char **);
        const char *from = esc(p, row[0]);

        ap_rprintf(r, "<tr><td><a href=\"tel:%s\">%s</a></td><td>%s</td>"
                   "<td class=\"n\">%ld %s</td></tr>",
                   ap_escape_html(p, ap_escape_uri(p, row[0] ? row[0] : "")),
                   from, esc(p, minicc_time_local(p, row[1], ' ')),
                   minicc_num(row[2]),
                   L[L_SECONDS]);
    }
    if (!f->abandoned_calls->nelts) {
        ap_rprintf(r, "<tr><td colspan=\"3\">%s</td></tr>", L[L_NONE]);
    }
    ap_rprintf(r, "</table><h2>%s</h2><table id=\"voicemails\"><tr><th>%s"
               "</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
               L[L_VOICEMAILS], L[L_NUMBER], L[L_TIME], L[L_REASON],
               L[L_LENGTH], L[L_RECORDING]);
    for (i = 0; i < f->voicemail_list->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->voicemail_list, i,
                                         const char **);

        ap_rprintf(r, "<tr><td><a href=\"tel:%s\">%s</a></td><td>%s</td>"
                   "<td>%s</td><td class=\"n\">%ld %s</td><td>",
                   ap_escape_html(p, ap_escape_uri(p, row[0] ? row[0] : "")),
                   esc(p, row[0]), esc(p, minicc_time_local(p, row[1], ' ')),
                   esc(p, row[2]), minicc_num(row[3]), L[L_SECONDS]);
        /* a link only to Twilio's recordings: anything else a caller could
         * have sent (javascript:, another site) is shown as text */
        if (row[4] && !strncmp(row[4], TWILIO_RECORDINGS,
                               sizeof(TWILIO_RECORDINGS) - 1)) {
            ap_rprintf(r, "<a href=\"%s\">%s</a>", esc(p, row[4]),
                       L[L_RECORDING]);
        }
        else {
            ap_rputs(esc(p, row[4]), r);
        }
        ap_rputs("</td></tr>", r);
    }
    if (!f->voicemail_list->nelts) {
        ap_rprintf(r, "<tr><td colspan=\"5\">%s</td></tr>", L[L_NONE]);
    }
    ap_rprintf(r, "</table><h2>%s</h2><table id=\"callback_list\"><tr><th>"
               "%s</th><th>%s</th><th>%s</th><th>%s</th></tr>", L[L_CB_LIST],
               L[L_NUMBER], L[L_TIME], L[L_STATUS], L[L_ATTEMPTS]);
    for (i = 0; i < f->callback_list->nelts; i++) {
        const char **row = APR_ARRAY_IDX(f->callback_list, i,
                                         const char **);

        ap_rprintf(r, "<tr><td><a href=\"tel:%s\">%s</a></td><td>%s</td>"
                   "<td>%s</td><td class=\"n\">%ld</td></tr>",
                   ap_escape_html(p, ap_escape_uri(p, row[0] ? row[0] : "")),
                   esc(p, row[0]), esc(p, minicc_time_local(p, row[1], ' ')),
                   esc(p, row[2]), minicc_num(row[3]));
    }
    if (!f->callback_list->nelts) {
        ap_rprintf(r, "<tr><td colspan=\"4\">%s</td></tr>", L[L_NONE]);
    }
    ap_rputs("</table></body></html>\n", r);
}

/* ---- the handler ---- */

static int bad_request(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(30601)
                  "report: %s", why);
    r->status = HTTP_BAD_REQUEST;
    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_rprintf(r, "%s\n", why);
    return OK;
}

int minicc_report_handler(request_rec *r)
{
    const minicc_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                       &minicc_module);
    apr_table_t *args;
    const char *from_s, *to_s, *format;
    minicc_date_t from, to;
    minicc_figures_t f;
    apr_time_exp_t now;

    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_args_to_table(r, &args);
    apr_time_exp_lt(&now, minicc_now(r));
    from_s = apr_table_get(args, "from");
    to_s = apr_table_get(args, "to");
    format = apr_table_get(args, "format");
    if (!format) {
        format = "html";
    }
    if (from_s && !minicc_time_date_parse(from_s, &from)) {
        return bad_request(r, "from: expected a date as YYYY-MM-DD");
    }
    if (to_s && !minicc_time_date_parse(to_s, &to)) {
        return bad_request(r, "to: expected a date as YYYY-MM-DD");
    }
    if (!from_s || !to_s) {
        minicc_date_t today;

        today.y = now.tm_year + 1900;
        today.m = now.tm_mon + 1;
        today.d = now.tm_mday;
        if (!from_s) {
            from = (to_s && minicc_time_date_cmp(to, today) < 0) ? to : today;
        }
        if (!to_s) {
            to = (from_s && minicc_time_date_cmp(from, today) > 0) ? from
                                                                    : today;
        }
    }
    if (minicc_time_date_cmp(from, to) > 0) {
        return bad_request(r, "from is after to");
    }
    if (minicc_time_date_days(to) - minicc_time_date_days(from) + 1
        > MINICC_REPORT_MAX_DAYS) {
        return bad_request(r, apr_psprintf(r->pool, "from .. to: a range "
                                           "of at most %d days",
                                           MINICC_REPORT_MAX_DAYS));
    }
    if (strcmp(format, "html") && strcmp(format, "json")
        && strcmp(format, "csv")) {
        return bad_request(r, "format: expected html, json or csv");
    }
    if (!strcmp(format, "csv")) {
        const char *table = apr_table_get(args, "table");

        if (table && !csv_table_known(table)) {
            return bad_request(r, "table: expected summary, hours, days, "
                               "operators, abandoned, voicemails or "
                               "callbacks");
        }
    }
    minicc_db_long_wait(r);
    if (!minicc_figures_gather(r, conf, from, to, &f)) {
        /* the cause is logged; a supervisor gets a plain answer */
        return HTTP_SERVICE_UNAVAILABLE;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!strcmp(format, "json")) {
        send_json(r, &f);
    }
    else if (!strcmp(format, "csv")) {
        const char *table = apr_table_get(args, "table");

        send_csv(r, &f, table ? table : csv_tables[0]);
    }
    else {
        send_html(r, &f, !strcmp(minicc_conf_text(conf, MINICC_LANGUAGE),
                                 "ja-JP"));
    }
    return OK;
}
