/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * minicc-report (doc/contract.txt, 5): the supervisors' figures for a range
 * of days, as one self-contained HTML page (inline CSS and SVG), JSON, or
 * CSV.  The figures are read from summaries MariaDB keeps, through sql.c's
 * statements, which mod_dbd prepares like the webhooks' own.
 */
#include "mod_minicc_private.h"
#include "minicc_config.h"
#include "minicc_labels.h"
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

/* ---- what the report shows, described once ----
 *
 * Each figure, series and list is one line of a table below (as
 * mod_md_status.c describes its columns in status_infos[]); the JSON, CSV
 * and HTML writers walk the same tables, so the three cannot disagree,
 * and a new figure is one line here and one field in minicc_figures_t. */

/* The page's words: English and Japanese side by side. */
#define MINICC_REPORT_LABELS(X) \
    X(L_TITLE, "MiniCC call center report", "コールセンター レポート") \
    X(L_FROM, "From", "開始日") \
    X(L_TO, "To", "終了日") \
    X(L_SHOW, "Show", "表示") \
    X(L_OFFERED, "Offered", "着信数") \
    X(L_ANSWERED, "Answered", "応答数") \
    X(L_ABANDONED, "Abandoned", "放棄呼") \
    X(L_SHORT, "Short abandons", "短時間放棄") \
    X(L_RATE, "Abandon rate", "放棄率") \
    X(L_ASA, "Average speed of answer", "平均応答時間") \
    X(L_LEVEL, "Service level", "サービスレベル") \
    X(L_LONGEST, "Longest wait", "最長待ち時間") \
    X(L_AVGCALL, "Average call", "平均通話時間") \
    X(L_BACKLOG, "Rows waiting in the spool", "スプール待ち行数") \
    X(L_BYHOUR, "Calls per hour", "時間帯別の呼数") \
    X(L_BYDAY, "Calls per day", "日別の呼数") \
    X(L_WAITS, "Queue time of answered calls", "応答した呼の待ち時間") \
    X(L_OPERATORS, "Operators", "オペレータ") \
    X(L_OPERATOR, "Operator", "オペレータ") \
    X(L_CALLBACK, "Abandoned calls to call back (newest first)", \
      "折り返し電話リスト（放棄呼、新しい順）") \
    X(L_NUMBER, "Number", "電話番号") \
    X(L_TIME, "Time", "時刻") \
    X(L_WAIT, "Waited", "待ち時間") \
    X(L_NONE, "None", "なし") \
    X(L_SECONDS, "s", "秒") \
    X(L_LEVELLINE, "service level", "サービスレベル") \
    X(L_DOWNLOAD, "Download", "ダウンロード") \
    X(L_CLOSED, "Turned away (closed)", "受付時間外") \
    X(L_OVERFLOWED, "Overflowed", "あふれ呼") \
    X(L_VOICEMAILS, "Voicemails", "留守番電話") \
    X(L_REASON, "Why", "理由") \
    X(L_LENGTH, "Length", "長さ") \
    X(L_RECORDING, "Recording", "録音") \
    X(L_CB_REQUESTED, "Call-backs asked for", "折り返し依頼") \
    X(L_CB_COMPLETED, "Call-backs completed", "折り返し完了") \
    X(L_CB_FAILED, "Call-backs failed", "折り返し失敗") \
    X(L_CB_PENDING, "Call-backs waiting", "折り返し待ち") \
    X(L_CB_MEAN, "Mean time to call back", "折り返しまでの平均時間") \
    X(L_CB_LIST, "Call-backs waiting or failed (newest first)", \
      "折り返し待ち・失敗の一覧（新しい順）") \
    X(L_STATUS, "Status", "状態") \
    X(L_ATTEMPTS, "Attempts", "試行回数") \
    X(L_OUTCOME, "Last outcome", "最後の結果") \
    X(L_TALK, "Talking", "通話時間") \
    X(L_WRAPUP, "Wrap-up", "後処理時間") \
    X(L_BREAK, "On a break", "休憩時間") \
    X(L_BREAKS, "Breaks", "休憩回数") \
    X(L_LOGGED_IN, "Logged in", "ログイン時間") \
    X(L_HANDLE, "Handle time per call", "平均処理時間") \
    X(L_OCCUPANCY, "Occupancy", "稼働率") \
    X(L_BREAK_LIST, "Breaks by reason", "理由別の休憩") \
    X(L_QUEUES, "Queues", "キュー") \
    X(L_QUEUE, "Queue", "キュー") \
    X(L_LEVEL_SECONDS, "Service level (s)", "サービスレベル（秒）") \
    X(L_CSAT_MEAN, "Caller satisfaction (1-5)", "顧客満足度（1〜5）") \
    X(L_CSAT_RESPONSES, "Survey responses", "アンケート回答数") \
    X(L_CSAT_OPERATORS, "Caller satisfaction by operator", \
      "オペレータ別の顧客満足度") \
    X(L_CSAT_QUEUES, "Caller satisfaction by queue", "キュー別の顧客満足度") \
    X(L_SCORE, "Mean score", "平均点") \
    X(L_RESPONSES, "Responses", "回答数") \
    X(L_RECORDINGS, "Recorded conversations (newest first)", \
      "録音した通話（新しい順）") \
    X(L_CALLER, "Caller", "お客様") \
    X(L_CHANNELS, "Channels", "チャンネル")

MINICC_LABELS_DEFINE(MINICC_REPORT_LABELS, L_COUNT);
enum { NO_TILE = -1 };

/* How a figure is written. */
typedef enum {
    FIG_TEXT,       /* const char *: JSON string, CSV cell */
    FIG_SETTING,    /* int: a threshold in seconds; not a tile */
    FIG_COUNT,      /* long */
    FIG_SECONDS,    /* double: one decimal; "s" in the HTML */
    FIG_LONG_SECONDS, /* long: "s" in the HTML */
    FIG_RATE,       /* double, 0..1: four decimals; a percentage in HTML */
    FIG_LEVEL,      /* FIG_RATE whose tile names service_level_seconds */
    FIG_SCORE       /* double: two decimals, no unit */
} fig_format_e;

typedef struct {
    const char *group;  /* the JSON object it sits in, or NULL */
    const char *name;   /* JSON name; the CSV column and the tile's id are
                         * group_name */
    int label;          /* L_*: its tile, or NO_TILE */
    fig_format_e format;
    apr_size_t offset;  /* of its field in minicc_figures_t */
} fig_info_t;

#define FIG(group, name, label, format, field) \
    { group, name, label, format, APR_OFFSETOF(minicc_figures_t, field) }

static const fig_info_t fig_infos[] = {
    FIG(NULL, "from", NO_TILE, FIG_TEXT, from_s),
    FIG(NULL, "to", NO_TILE, FIG_TEXT, to_s),
    FIG(NULL, "offered", L_OFFERED, FIG_COUNT, offered),
    FIG(NULL, "answered", L_ANSWERED, FIG_COUNT, answered),
    FIG(NULL, "abandoned", L_ABANDONED, FIG_COUNT, abandoned),
    FIG(NULL, "short_abandoned", L_SHORT, FIG_COUNT, short_abandoned),
    FIG(NULL, "abandon_rate", L_RATE, FIG_RATE, abandon_rate),
    FIG(NULL, "asa_seconds", L_ASA, FIG_SECONDS, asa),
    FIG(NULL, "service_level", L_LEVEL, FIG_LEVEL, service_level),
    FIG(NULL, "service_level_seconds", NO_TILE, FIG_SETTING,
        service_level_seconds),
    FIG(NULL, "short_abandon_seconds", NO_TILE, FIG_SETTING,
        short_abandon_seconds),
    FIG(NULL, "longest_wait_seconds", L_LONGEST, FIG_LONG_SECONDS,
        longest_wait),
    FIG(NULL, "avg_call_seconds", L_AVGCALL, FIG_SECONDS, avg_call),
    FIG(NULL, "spool_backlog", L_BACKLOG, FIG_SETTING, spool_backlog),
    FIG(NULL, "closed_calls", L_CLOSED, FIG_COUNT, closed_calls),
    FIG(NULL, "overflowed", L_OVERFLOWED, FIG_COUNT, overflowed),
    FIG(NULL, "voicemails", L_VOICEMAILS, FIG_COUNT, voicemails),
    FIG("callbacks", "requested", L_CB_REQUESTED, FIG_COUNT, cb_requested),
    FIG("callbacks", "completed", L_CB_COMPLETED, FIG_COUNT, cb_completed),
    FIG("callbacks", "failed", L_CB_FAILED, FIG_COUNT, cb_failed),
    FIG("callbacks", "pending", L_CB_PENDING, FIG_COUNT, cb_pending),
    FIG("callbacks", "mean_seconds", L_CB_MEAN, FIG_SECONDS, cb_mean),
    FIG("csat", "mean", L_CSAT_MEAN, FIG_SCORE, csat_mean),
    FIG("csat", "responses", L_CSAT_RESPONSES, FIG_COUNT, csat_responses),
    { NULL, NULL, 0, 0, 0 }
};

/* Calls per hour and per day (minicc_counts_t). */
typedef struct {
    const char *json;   /* its JSON list */
    const char *csv;    /* its CSV table */
    const char *key;    /* the name of an item's hour or day */
    int title;
    int skip;           /* an hour is labelled HH, a day MM-DD */
    apr_size_t offset;  /* of its array in minicc_figures_t */
} series_info_t;

static const series_info_t series_infos[] = {
    { "by_hour", "hours", "hour", L_BYHOUR, 11,
      APR_OFFSETOF(minicc_figures_t, hours) },
    { "by_day", "days", "day", L_BYDAY, 5,
      APR_OFFSETOF(minicc_figures_t, days) },
    { NULL, NULL, NULL, 0, 0, 0 }
};

/* How a list's cell is written. */
typedef enum {
    COL_TEXT,       /* JSON string, CSV cell, HTML text */
    COL_TEL,        /* a caller's number: in HTML a tel: link */
    COL_TIME,       /* a stored UTC time, shown in local time */
    COL_COUNT,      /* a whole number */
    COL_SECONDS,    /* a whole number of seconds */
    COL_RECORDING,  /* a recording's URL: a link only to Twilio's */
    COL_DECIMAL,    /* seconds with one decimal */
    COL_RATE,       /* a fraction, 0..1: four decimals; a percentage in
                     * HTML */
    COL_SCORE,      /* a mean score as the database rounded it */
    COL_BREAKS      /* an operator's breaks: a count; in JSON the breaks
                     * by reason of the same operator (breaks_infos) */
} col_format_e;

typedef struct {
    const char *name;   /* JSON name and CSV column */
    int label;          /* its HTML heading */
    col_format_e format;
    int col;            /* the SELECT's column (minicc_sql.h) */
} col_info_t;

typedef struct {
    const char *json;   /* its JSON list */
    const char *csv;    /* its CSV table */
    const char *id;     /* its HTML table's id */
    int title;
    apr_size_t offset;  /* of its rows in minicc_figures_t */
    const col_info_t *cols;
} list_info_t;

static const col_info_t operator_cols[] = {
    { "telnum", L_OPERATOR, COL_TEXT, MINICC_OPF_TELNUM },
    { "answered", L_ANSWERED, COL_COUNT, MINICC_OPF_ANSWERED },
    { "talk_seconds", L_TALK, COL_SECONDS, MINICC_OPF_TALK },
    { "wrapup_seconds", L_WRAPUP, COL_SECONDS, MINICC_OPF_WRAPUP },
    { "break_seconds", L_BREAK, COL_SECONDS, MINICC_OPF_BREAK },
    { "breaks", L_BREAKS, COL_BREAKS, MINICC_OPF_BREAKS },
    { "logged_in_seconds", L_LOGGED_IN, COL_SECONDS, MINICC_OPF_LOGGED_IN },
    { "handle_seconds", L_HANDLE, COL_DECIMAL, MINICC_OPF_HANDLE },
    { "occupancy", L_OCCUPANCY, COL_RATE, MINICC_OPF_OCCUPANCY },
    { NULL, 0, 0, 0 }
};
static const col_info_t break_cols[] = {
    { "telnum", L_OPERATOR, COL_TEXT, MINICC_BRK_TELNUM },
    { "reason", L_REASON, COL_TEXT, MINICC_BRK_REASON },
    { "breaks", L_BREAKS, COL_COUNT, MINICC_BRK_COUNT },
    { "seconds", L_LENGTH, COL_SECONDS, MINICC_BRK_SECONDS },
    { NULL, 0, 0, 0 }
};
static const col_info_t queue_cols[] = {
    { "queue", L_QUEUE, COL_TEXT, MINICC_QF_QUEUE },
    { "offered", L_OFFERED, COL_COUNT, MINICC_QF_OFFERED },
    { "answered", L_ANSWERED, COL_COUNT, MINICC_QF_ANSWERED },
    { "abandoned", L_ABANDONED, COL_COUNT, MINICC_QF_ABANDONED },
    { "abandon_rate", L_RATE, COL_RATE, MINICC_QF_RATE },
    { "asa_seconds", L_ASA, COL_DECIMAL, MINICC_QF_ASA },
    { "service_level", L_LEVEL, COL_RATE, MINICC_QF_LEVEL },
    { "service_level_seconds", L_LEVEL_SECONDS, COL_SECONDS,
      MINICC_QF_LEVEL_SECONDS },
    { NULL, 0, 0, 0 }
};
static const col_info_t abandoned_cols[] = {
    { "from", L_NUMBER, COL_TEL, MINICC_ABANDONED_FROM },
    { "time", L_TIME, COL_TIME, MINICC_ABANDONED_TIME },
    { "wait_seconds", L_WAIT, COL_SECONDS, MINICC_ABANDONED_WAIT },
    { NULL, 0, 0, 0 }
};
static const col_info_t voicemail_cols[] = {
    { "from", L_NUMBER, COL_TEL, MINICC_VM_FROM },
    { "time", L_TIME, COL_TIME, MINICC_VM_TIME },
    { "reason", L_REASON, COL_TEXT, MINICC_VM_REASON },
    { "duration_seconds", L_LENGTH, COL_SECONDS, MINICC_VM_DURATION },
    { "recording_url", L_RECORDING, COL_RECORDING, MINICC_VM_URL },
    { NULL, 0, 0, 0 }
};
static const col_info_t recording_cols[] = {
    { "time", L_TIME, COL_TIME, MINICC_REC_TIME },
    { "operator", L_OPERATOR, COL_TEXT, MINICC_REC_OPERATOR },
    { "caller", L_CALLER, COL_TEL, MINICC_REC_CALLER },
    { "duration_seconds", L_LENGTH, COL_SECONDS, MINICC_REC_DURATION },
    { "channels", L_CHANNELS, COL_COUNT, MINICC_REC_CHANNELS },
    { "recording_url", L_RECORDING, COL_RECORDING, MINICC_REC_URL },
    { NULL, 0, 0, 0 }
};
static const col_info_t csat_operator_cols[] = {
    { "telnum", L_OPERATOR, COL_TEXT, MINICC_CSAT_NAME },
    { "mean", L_SCORE, COL_SCORE, MINICC_CSAT_MEAN },
    { "responses", L_RESPONSES, COL_COUNT, MINICC_CSAT_RESPONSES },
    { NULL, 0, 0, 0 }
};
static const col_info_t csat_queue_cols[] = {
    { "queue", L_QUEUE, COL_TEXT, MINICC_CSAT_NAME },
    { "mean", L_SCORE, COL_SCORE, MINICC_CSAT_MEAN },
    { "responses", L_RESPONSES, COL_COUNT, MINICC_CSAT_RESPONSES },
    { NULL, 0, 0, 0 }
};
static const col_info_t callback_cols[] = {
    { "from", L_NUMBER, COL_TEL, MINICC_CBL_FROM },
    { "time", L_TIME, COL_TIME, MINICC_CBL_TIME },
    { "status", L_STATUS, COL_TEXT, MINICC_CBL_STATUS },
    { "attempts", L_ATTEMPTS, COL_COUNT, MINICC_CBL_ATTEMPTS },
    { "outcome", L_OUTCOME, COL_TEXT, MINICC_CBL_OUTCOME },
    { NULL, 0, 0, 0 }
};

static const list_info_t list_infos[] = {
    { "queues", "queues", "queues", L_QUEUES,
      APR_OFFSETOF(minicc_figures_t, queues), queue_cols },
    { "operators", "operators", "operators", L_OPERATORS,
      APR_OFFSETOF(minicc_figures_t, operators), operator_cols },
    { "operator_breaks", "breaks", "breaks", L_BREAK_LIST,
      APR_OFFSETOF(minicc_figures_t, breaks), break_cols },
    { "abandoned_calls", "abandoned", "callback", L_CALLBACK,
      APR_OFFSETOF(minicc_figures_t, abandoned_calls), abandoned_cols },
    { "voicemail_list", "voicemails", "voicemails", L_VOICEMAILS,
      APR_OFFSETOF(minicc_figures_t, voicemail_list), voicemail_cols },
    { "callback_list", "callbacks", "callback_list", L_CB_LIST,
      APR_OFFSETOF(minicc_figures_t, callback_list), callback_cols },
    { "recording_list", "recordings", "recordings", L_RECORDINGS,
      APR_OFFSETOF(minicc_figures_t, recording_list), recording_cols },
    { "csat_operators", "csat_operators", "csat_operators", L_CSAT_OPERATORS,
      APR_OFFSETOF(minicc_figures_t, csat_operators), csat_operator_cols },
    { "csat_queues", "csat_queues", "csat_queues", L_CSAT_QUEUES,
      APR_OFFSETOF(minicc_figures_t, csat_queues), csat_queue_cols },
    { NULL, NULL, NULL, 0, 0, NULL }
};

#define FIELD(f, offset, type) (*(const type *)((const char *)(f) + (offset)))

static const apr_array_header_t *series_of(const minicc_figures_t *f,
                                           const series_info_t *s)
{
    return FIELD(f, s->offset, apr_array_header_t *);
}

static const apr_array_header_t *rows_of(const minicc_figures_t *f,
                                         const list_info_t *l)
{
    return FIELD(f, l->offset, apr_array_header_t *);
}

/* A figure as JSON and CSV write it (a text figure unquoted). */
static const char *fig_value(apr_pool_t *p, const minicc_figures_t *f,
                             const fig_info_t *fi)
{
    switch (fi->format) {
    case FIG_TEXT:
        return FIELD(f, fi->offset, const char *);
    case FIG_SETTING:
        return apr_itoa(p, FIELD(f, fi->offset, int));
    case FIG_COUNT:
    case FIG_LONG_SECONDS:
        return apr_ltoa(p, FIELD(f, fi->offset, long));
    case FIG_SECONDS:
        return apr_psprintf(p, "%.1f", FIELD(f, fi->offset, double));
    case FIG_SCORE:
        return apr_psprintf(p, "%.2f", FIELD(f, fi->offset, double));
    default:
        return apr_psprintf(p, "%.4f", FIELD(f, fi->offset, double));
    }
}

/* A list's cell that is a number, as JSON and CSV write it (an
 * operator's breaks: their count); NULL for a cell that is not. */
static const char *cell_number(apr_pool_t *p, const col_info_t *c,
                               const char *v)
{
    switch (c->format) {
    case COL_COUNT:
    case COL_SECONDS:
    case COL_BREAKS:
        return apr_ltoa(p, minicc_num(v));
    case COL_DECIMAL:
    case COL_RATE:
    case COL_SCORE:
        return v ? v : "0";
    default:
        return NULL;
    }
}

/* A figure's CSV column and tile id. */
static const char *fig_name(apr_pool_t *p, const fig_info_t *fi)
{
    return fi->group ? apr_pstrcat(p, fi->group, "_", fi->name, NULL)
                     : fi->name;
}

/* ---- JSON ---- */

static void json_series(request_rec *r, const minicc_figures_t *f,
                        const series_info_t *s)
{
    const apr_array_header_t *a = series_of(f, s);
    int i;

    ap_rprintf(r, ",\"%s\":[", s->json);
    for (i = 0; i < a->nelts; i++) {
        const minicc_counts_t *c = &APR_ARRAY_IDX(a, i, minicc_counts_t);

        ap_rprintf(r, "%s{\"%s\":\"%s\",\"offered\":%ld,\"answered\":%ld,"
                   "\"abandoned\":%ld}", i ? "," : "", s->key, c->when,
                   c->offered, c->answered, c->abandoned);
    }
    ap_rputc(']', r);
}

/* An operator's breaks by reason: [{reason, breaks, seconds}, ...]. */
static void json_breaks(request_rec *r, const minicc_figures_t *f,
                        const char *telnum)
{
    int i, n = 0;

    ap_rputc('[', r);
    for (i = 0; telnum && i < f->breaks->nelts; i++) {
        const char **b = APR_ARRAY_IDX(f->breaks, i, const char **);

        if (!strcmp(b[MINICC_BRK_TELNUM], telnum)) {
            ap_rprintf(r, "%s{\"reason\":%s,\"breaks\":%ld,\"seconds\":%ld}",
                       n++ ? "," : "", minicc_json_str(r->pool,
                                                       b[MINICC_BRK_REASON]),
                       minicc_num(b[MINICC_BRK_COUNT]),
                       minicc_num(b[MINICC_BRK_SECONDS]));
        }
    }
    ap_rputc(']', r);
}

static void json_list(request_rec *r, const minicc_figures_t *f,
                      const list_info_t *l)
{
    apr_pool_t *p = r->pool;
    const apr_array_header_t *rows = rows_of(f, l);
    int i;

    ap_rprintf(r, ",\"%s\":[", l->json);
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);
        const col_info_t *c;

        ap_rputs(i ? ",{" : "{", r);
        for (c = l->cols; c->name; c++) {
            const char *v = row[c->col];
            const char *n = cell_number(p, c, v);

            ap_rprintf(r, "%s\"%s\":", c == l->cols ? "" : ",", c->name);
            if (c->format == COL_BREAKS) {
                json_breaks(r, f, row[MINICC_OPF_TELNUM]);
            }
            else if (n) {
                ap_rputs(n, r);
            }
            else if (c->format == COL_TIME) {
                ap_rprintf(r, "\"%s\"", minicc_time_local(p, v, 'T'));
            }
            else {
                ap_rputs(minicc_json_str(p, v), r);
            }
        }
        ap_rputc('}', r);
    }
    ap_rputc(']', r);
}

static void send_json(request_rec *r, const minicc_figures_t *f)
{
    apr_pool_t *p = r->pool;
    const fig_info_t *fi;
    const series_info_t *s;
    const list_info_t *l;
    const char *group = NULL;

    ap_set_content_type(r, "application/json; charset=utf-8");
    for (fi = fig_infos; fi->name; fi++) {
        const char *v = fig_value(p, f, fi);

        if (fi->group != group) {
            ap_rputs(group ? "}" : "", r);
            if (fi->group) {
                ap_rprintf(r, ",\"%s\":{", fi->group);
            }
        }
        ap_rprintf(r, "%s\"%s\":%s", fi == fig_infos ? "{"
                   : fi->group && fi->group != group ? "" : ",", fi->name,
                   fi->format == FIG_TEXT ? minicc_json_str(p, v) : v);
        group = fi->group;
    }
    ap_rputs(group ? "}" : "", r);
    for (s = series_infos; s->json; s++) {
        json_series(r, f, s);
    }
    for (l = list_infos; l->json; l++) {
        json_list(r, f, l);
    }
    ap_rputs("}\n", r);
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

/* The CSV tables: the summary (the default), the series, the lists. */
#define CSV_SUMMARY "summary"

static int csv_table_known(const char *table)
{
    const series_info_t *s;
    const list_info_t *l;

    for (s = series_infos; s->csv; s++) {
        if (!strcmp(table, s->csv)) {
            return 1;
        }
    }
    for (l = list_infos; l->csv; l++) {
        if (!strcmp(table, l->csv)) {
            return 1;
        }
    }
    return !strcmp(table, CSV_SUMMARY);
}

/* "summary, hours, ... or callbacks", for the 400 of an unknown table. */
static const char *csv_tables(apr_pool_t *p)
{
    const char *out = CSV_SUMMARY;
    const series_info_t *s;
    const list_info_t *l;

    for (s = series_infos; s->csv; s++) {
        out = apr_pstrcat(p, out, ", ", s->csv, NULL);
    }
    for (l = list_infos; l->csv && l[1].csv; l++) {
        out = apr_pstrcat(p, out, ", ", l->csv, NULL);
    }
    return apr_pstrcat(p, out, " or ", l->csv, NULL);
}

static void csv_summary(request_rec *r, const minicc_figures_t *f)
{
    apr_pool_t *p = r->pool;
    const fig_info_t *fi;

    for (fi = fig_infos; fi->name; fi++) {
        ap_rprintf(r, "%s%s", fi == fig_infos ? "" : ",", fig_name(p, fi));
    }
    for (fi = fig_infos; fi->name; fi++) {
        const char *v = fig_value(p, f, fi);

        ap_rprintf(r, "%s%s", fi == fig_infos ? "\r\n" : ",",
                   fi->format == FIG_TEXT ? csv_field(p, v) : v);
    }
    ap_rputs("\r\n", r);
}

static void csv_series(request_rec *r, const apr_array_header_t *a,
                       const series_info_t *s)
{
    int i;

    ap_rprintf(r, "%s,offered,answered,abandoned\r\n", s->key);
    for (i = 0; i < a->nelts; i++) {
        const minicc_counts_t *c = &APR_ARRAY_IDX(a, i, minicc_counts_t);

        ap_rprintf(r, "%s,%ld,%ld,%ld\r\n", c->when, c->offered,
                   c->answered, c->abandoned);
    }
}

static void csv_list(request_rec *r, const apr_array_header_t *rows,
                     const list_info_t *l)
{
    apr_pool_t *p = r->pool;
    const col_info_t *c;
    int i;

    for (c = l->cols; c->name; c++) {
        ap_rprintf(r, "%s%s", c == l->cols ? "" : ",", c->name);
    }
    ap_rputs("\r\n", r);
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);

        for (c = l->cols; c->name; c++) {
            const char *v = row[c->col];
            const char *n = cell_number(p, c, v);

            ap_rputs(c == l->cols ? "" : ",", r);
            if (n) {
                ap_rputs(n, r);
            }
            else if (c->format == COL_TIME) {
                ap_rputs(minicc_time_local(p, v, 'T'), r);
            }
            else {
                ap_rputs(csv_field(p, v), r);
            }
        }
        ap_rputs("\r\n", r);
    }
}

/* table: one csv_table_known (checked before the figures were
 * gathered). */
static void send_csv(request_rec *r, const minicc_figures_t *f,
                     const char *table)
{
    const series_info_t *s;
    const list_info_t *l;

    ap_set_content_type(r, "text/csv; charset=utf-8; header=present");
    apr_table_setn(r->headers_out, "Content-Disposition",
                   apr_psprintf(r->pool, "attachment; filename=\"minicc-%s-"
                                "%s_%s.csv\"", table, f->from_s, f->to_s));
    for (s = series_infos; s->csv; s++) {
        if (!strcmp(table, s->csv)) {
            csv_series(r, series_of(f, s), s);
            return;
        }
    }
    for (l = list_infos; l->csv; l++) {
        if (!strcmp(table, l->csv)) {
            csv_list(r, rows_of(f, l), l);
            return;
        }
    }
    csv_summary(r, f);
}

/* ---- HTML ---- */

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

static void html_tiles(request_rec *r, const minicc_figures_t *f,
                       const char *const *L)
{
    apr_pool_t *p = r->pool;
    const fig_info_t *fi;

    ap_rputs("<div class=\"tiles\">", r);
    for (fi = fig_infos; fi->name; fi++) {
        const char *label = fi->label == NO_TILE ? NULL : L[fi->label];
        const char *v;

        switch (fi->format) {
        case FIG_COUNT:
            v = apr_ltoa(p, FIELD(f, fi->offset, long));
            break;
        case FIG_LONG_SECONDS:
            v = apr_psprintf(p, "%ld %s", FIELD(f, fi->offset, long),
                             L[L_SECONDS]);
            break;
        case FIG_SECONDS:
            v = apr_psprintf(p, "%.1f %s", FIELD(f, fi->offset, double),
                             L[L_SECONDS]);
            break;
        case FIG_SCORE:
            v = apr_psprintf(p, "%.2f", FIELD(f, fi->offset, double));
            break;
        case FIG_LEVEL:
            label = apr_psprintf(p, "%s (%d %s)", label,
                                 f->service_level_seconds, L[L_SECONDS]);
            /* fall through */
        case FIG_RATE:
            v = apr_psprintf(p, "%.1f%%", FIELD(f, fi->offset, double) * 100);
            break;
        default:
            v = apr_itoa(p, FIELD(f, fi->offset, int));
            break;
        }
        if (label) {
            ap_rprintf(r, "<div class=\"tile\" id=\"%s\">%s<b>%s</b></div>",
                       fig_name(p, fi), label, v);
        }
    }
    ap_rputs("</div>", r);
}

static void html_list(request_rec *r, const apr_array_header_t *rows,
                      const list_info_t *l, const char *const *L)
{
    apr_pool_t *p = r->pool;
    const col_info_t *c;
    int i;

    ap_rprintf(r, "<h2>%s</h2><table id=\"%s\"><tr>", L[l->title], l->id);
    for (c = l->cols; c->name; c++) {
        ap_rprintf(r, "<th>%s</th>", L[c->label]);
    }
    ap_rputs("</tr>", r);
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);

        ap_rputs("<tr>", r);
        for (c = l->cols; c->name; c++) {
            const char *v = row[c->col];

            switch (c->format) {
            case COL_TEL:
                ap_rprintf(r, "<td><a href=\"tel:%s\">%s</a></td>",
                           ap_escape_html(p, ap_escape_uri(p, v ? v : "")),
                           esc(p, v));
                break;
            case COL_TIME:
                ap_rprintf(r, "<td>%s</td>",
                           esc(p, minicc_time_local(p, v, ' ')));
                break;
            case COL_COUNT:
            case COL_BREAKS:
                ap_rprintf(r, "<td class=\"n\">%ld</td>", minicc_num(v));
                break;
            case COL_DECIMAL:
                ap_rprintf(r, "<td class=\"n\">%s %s</td>", v ? v : "0",
                           L[L_SECONDS]);
                break;
            case COL_RATE:
                ap_rprintf(r, "<td class=\"n\">%.1f%%</td>",
                           v ? atof(v) * 100 : 0.0);
                break;
            case COL_SCORE:
                ap_rprintf(r, "<td class=\"n\">%s</td>", esc(p, v));
                break;
            case COL_SECONDS:
                ap_rprintf(r, "<td class=\"n\">%ld %s</td>", minicc_num(v),
                           L[L_SECONDS]);
                break;
            case COL_RECORDING:
                /* a link only to Twilio's recordings: anything else a
                 * caller could have sent (javascript:, another site) is
                 * shown as text */
                if (v && !strncmp(v, TWILIO_RECORDINGS,
                                  sizeof(TWILIO_RECORDINGS) - 1)) {
                    ap_rprintf(r, "<td><a href=\"%s\">%s</a></td>",
                               esc(p, v), L[L_RECORDING]);
                }
                else {
                    ap_rprintf(r, "<td>%s</td>", esc(p, v));
                }
                break;
            default:
                ap_rprintf(r, "<td>%s</td>", esc(p, v));
                break;
            }
        }
        ap_rputs("</tr>", r);
    }
    if (!rows->nelts) {
        ap_rprintf(r, "<tr><td colspan=\"%d\">%s</td></tr>",
                   (int)(c - l->cols), L[L_NONE]);
    }
    ap_rputs("</table>", r);
}

static void send_html(request_rec *r, const minicc_figures_t *f, int japanese)
{
    const char *const *L = japanese ? labels_ja : labels_en;
    const series_info_t *s;
    const list_info_t *l;
    const char *qhead = "", *qinput = "", *qarg = "";

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
    if (f->queue) {
        /* the queue filter: said, and kept by the form and the links */
        const char *name = ap_escape_html(r->pool, f->queue);
        const char *arg = ap_escape_html(r->pool, minicc_form_escape(r->pool,
                                                                    f->queue));

        qhead = apr_psprintf(r->pool, "<p id=\"queue\">%s: %s</p>",
                             L[L_QUEUE], name);
        qinput = apr_psprintf(r->pool, "<input type=\"hidden\" name=\"queue\""
                              " value=\"%s\">", name);
        qarg = apr_pstrcat(r->pool, "&amp;queue=", arg, NULL);
    }
    ap_rprintf(r, "<h1>%s</h1>%s<form method=\"get\"><label>%s <input "
               "type=\"date\" name=\"from\" value=\"%s\"></label> <label>%s "
               "<input type=\"date\" name=\"to\" value=\"%s\"></label> "
               "%s<button>%s</button></form><p>%s: "
               "<a href=\"?from=%s&amp;to=%s%s&amp;format=json\">JSON</a> "
               "<a href=\"?from=%s&amp;to=%s%s&amp;format=csv\">CSV</a></p>",
               L[L_TITLE], qhead, L[L_FROM], f->from_s, L[L_TO], f->to_s,
               qinput, L[L_SHOW], L[L_DOWNLOAD], f->from_s, f->to_s, qarg,
               f->from_s, f->to_s, qarg);
    html_tiles(r, f, L);
    ap_rprintf(r, "<p class=\"legend\"><span><i class=\"offered\""
               " style=\"background:#7a9cc6\"></i>%s</span><span><i "
               "style=\"background:#3c9a5f\"></i>%s</span><span><i "
               "style=\"background:#d0543c\"></i>%s</span></p>",
               L[L_OFFERED], L[L_ANSWERED], L[L_ABANDONED]);
    for (s = series_infos; s->json; s++) {
        const apr_array_header_t *a = series_of(f, s);

        /* one day's chart would repeat the hours' */
        if (s != series_infos && a->nelts <= 1) {
            continue;
        }
        ap_rprintf(r, "<h2>%s</h2>", L[s->title]);
        chart_counts(r, a, s->csv, L[s->title], s->skip,
                     s == series_infos ? 3 : (a->nelts + 9) / 10, L);
    }
    ap_rprintf(r, "<h2>%s</h2>", L[L_WAITS]);
    chart_waits(r, f, L);
    for (l = list_infos; l->json; l++) {
        html_list(r, rows_of(f, l), l, L);
    }
    ap_rputs("</body></html>\n", r);
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
    const char *from_s, *to_s, *format, *queue;
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
    queue = apr_table_get(args, MINICC_QUEUE_ARG);
    if (!format) {
        format = "html";
    }
    if (queue && !minicc_conf_queue_name_ok(queue)) {
        return bad_request(r, "queue: expected a queue's name (1 to 64 "
                           "characters, no control characters)");
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
            return bad_request(r, apr_pstrcat(r->pool, "table: expected ",
                                              csv_tables(r->pool), NULL));
        }
    }
    minicc_db_long_wait(r);
    if (!minicc_figures_gather(r, conf, from, to, queue, &f)) {
        /* the cause is logged; a supervisor gets a plain answer */
        return HTTP_SERVICE_UNAVAILABLE;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!strcmp(format, "json")) {
        send_json(r, &f);
    }
    else if (!strcmp(format, "csv")) {
        const char *table = apr_table_get(args, "table");

        send_csv(r, &f, table ? table : CSV_SUMMARY);
    }
    else {
        send_html(r, &f, !strcmp(minicc_conf_text(conf, MINICC_LANGUAGE),
                                 "ja-JP"));
    }
    return OK;
}
