/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The rows of SPEC §4: which parameter goes into which column, the rules a
 * value must pass before it is stored, and the upsert that makes a repeated
 * webhook (Twilio retries) harmless.  The column sizes mirror
 * sql/minicc.sql: a value too long for its column is stored as NULL and
 * logged, never cut by the server.
 */
#define MINICC_WITH_HTTPD
#include "mod_minicc.h"

#include <http_protocol.h>

#include <limits.h>

typedef enum {
    COL_CALLSID,      /* the key: a valid SID or the row is refused */
    COL_SID,          /* another SID: malformed → NULL */
    COL_INT,          /* signed 32-bit: anything else → NULL */
    COL_TEXT,         /* at most maxchars characters, or NULL */
    COL_ARRIVAL,      /* when the webhook arrived; the later arrival wins */
    COL_FIRST_ARRIVAL /* when the first webhook arrived; kept */
} column_kind_e;

typedef struct {
    const char *column;
    const char *param;
    column_kind_e kind;
    int maxchars;
} column_t;

typedef struct {
    const char *name;
    const char *label;      /* mod_dbd's label for the upsert */
    const column_t *columns;
    int ncolumns;
} table_t;

#define CALL_COLUMNS \
    { "CallSid",       "CallSid",       COL_CALLSID, 34 }, \
    { "From",          "From",          COL_TEXT,    64 }, \
    { "To",            "To",            COL_TEXT,    64 }, \
    { "CallStatus",    "CallStatus",    COL_TEXT,    32 }, \
    { "ApiVersion",    "ApiVersion",    COL_TEXT,    16 }, \
    { "Direction",     "Direction",     COL_TEXT,    32 }, \
    { "ForwardedFrom", "ForwardedFrom", COL_TEXT,    64 }, \
    { "CallerName",    "CallerName",    COL_TEXT,   128 }

static const column_t enqueue_columns[] = {
    CALL_COLUMNS,
    { "QueueResult", "QueueResult", COL_TEXT, 32 },
    { "QueueSid",    "QueueSid",    COL_SID,  34 },
    { "QueueTime",   "QueueTime",   COL_INT,   0 },
    { "Time",        NULL,          COL_ARRIVAL, 0 }
};

static const column_t queue_columns[] = {
    CALL_COLUMNS,
    { "QueueSid",        "QueueSid",        COL_SID, 34 },
    { "QueueTime",       "QueueTime",       COL_INT,  0 },
    { "DequeingCallSid", "DequeingCallSid", COL_SID, 34 },
    { "Time",            NULL,              COL_ARRIVAL, 0 }
};

static const column_t status_columns[] = {
    CALL_COLUMNS,
    { "CallDuration",      "CallDuration",      COL_INT,     0 },
    { "RecordingUrl",      "RecordingUrl",      COL_TEXT, 1024 },
    { "RecordingSid",      "RecordingSid",      COL_SID,    34 },
    { "RecordingDuration", "RecordingDuration", COL_INT,     0 },
    { "Time",              NULL,                COL_ARRIVAL, 0 }
};

static const column_t operator_session_columns[] = {
    { "CallSid",  "CallSid", COL_CALLSID, 34 },
    { "telnum",   "From",    COL_TEXT,    64 },
    { "Started",  NULL,      COL_FIRST_ARRIVAL, 0 },
    { "LastSeen", NULL,      COL_ARRIVAL, 0 }
};

#define TABLE(name, label, cols) \
    { name, label, cols, sizeof(cols) / sizeof(cols[0]) }

static const table_t tables[MINICC_TABLE_COUNT] = {
    TABLE("enqueue_data", "minicc_enqueue_upsert", enqueue_columns),
    TABLE("queue_data", "minicc_queue_upsert", queue_columns),
    TABLE("statuscallback_data", "minicc_status_upsert", status_columns),
    TABLE("operator_sessions", "minicc_operator_session_upsert",
          operator_session_columns)
};

const char *minicc_table_name(minicc_table_e table)
{
    return tables[table].name;
}

minicc_table_e minicc_table_by_name(const char *name)
{
    int i;

    for (i = 0; i < MINICC_TABLE_COUNT; i++) {
        if (!strcmp(name, tables[i].name)) {
            return i;
        }
    }
    return MINICC_TABLE_COUNT;
}

int minicc_table_ncolumns(minicc_table_e table)
{
    return tables[table].ncolumns;
}

const char *minicc_table_label(minicc_table_e table)
{
    return tables[table].label;
}

static const char *arrival_column(const table_t *t)
{
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        if (t->columns[i].kind == COL_ARRIVAL) {
            return t->columns[i].column;
        }
    }
    return NULL;
}

/* INSERT ... ON DUPLICATE KEY UPDATE where each column takes the new value
 * only if the new row arrived no earlier than the stored one: a retried
 * webhook, or an old row replayed late, never overwrites a newer one.
 * MySQL assigns left to right, so the arrival column comes last and every
 * comparison sees the stored arrival time. */
const char *minicc_table_upsert_sql(apr_pool_t *p, minicc_table_e table,
                                    int nrows)
{
    const table_t *t = &tables[table];
    const char *arrival = arrival_column(t);
    const char *names = "", *holders = "", *updates = "", *last = "";
    const char *rows = "";
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        const char *c = t->columns[i].column;
        const char *sep = i ? ", " : "";

        names = apr_pstrcat(p, names, sep, "`", c, "`", NULL);
        holders = apr_pstrcat(p, holders, sep, "%s", NULL);
        switch (t->columns[i].kind) {
        case COL_CALLSID:
            break;
        case COL_ARRIVAL:
            last = apr_psprintf(p, "`%s` = GREATEST(`%s`, VALUES(`%s`))",
                                c, c, c);
            break;
        case COL_FIRST_ARRIVAL:
            updates = apr_psprintf(p, "%s`%s` = LEAST(`%s`, VALUES(`%s`)), ",
                                   updates, c, c, c);
            break;
        default:
            updates = apr_psprintf(p, "%s`%s` = IF(VALUES(`%s`) >= `%s`, "
                                   "VALUES(`%s`), `%s`), ", updates, c,
                                   arrival, arrival, c, c);
            break;
        }
    }
    /* rows of one statement are applied in order: a later row of the same
     * call meets the earlier one as the stored row, as across statements */
    for (i = 0; i < nrows; i++) {
        rows = apr_pstrcat(p, rows, i ? ", (" : "(", holders, ")", NULL);
    }
    return apr_psprintf(p, "INSERT INTO `%s` (%s) VALUES %s "
                        "ON DUPLICATE KEY UPDATE %s%s", t->name, names,
                        rows, updates, last);
}

/* Local time, as reports are read in the server's time zone; microseconds
 * so that two webhooks of one call in the same second still have an order. */
static const char *arrival_time(request_rec *r)
{
    apr_time_exp_t tm;

    apr_time_exp_lt(&tm, r->request_time);
    return apr_psprintf(r->pool, "%04d-%02d-%02d %02d:%02d:%02d.%06d",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_usec);
}

minicc_row_t *minicc_row_from_call(minicc_call_t *call, minicc_table_e table)
{
    request_rec *r = call->r;
    const table_t *t = &tables[table];
    minicc_row_t *row = apr_palloc(r->pool, sizeof(*row));
    const char *callsid = NULL;
    int i;

    row->table = table;
    row->nvalues = t->ncolumns;
    row->values = apr_pcalloc(r->pool, sizeof(char *) * t->ncolumns);
    for (i = 0; i < t->ncolumns; i++) {
        const column_t *col = &t->columns[i];
        const char *v = col->param ? minicc_param(call, col->param) : NULL;
        const char *why = NULL;

        switch (col->kind) {
        case COL_CALLSID:
            if (!minicc_is_sid(v)) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30101)
                              "%s: CallSid '%s' is not a Twilio call SID; "
                              "nothing recorded in %s", r->uri,
                              v ? ap_escape_logitem(r->pool, v) : "(missing)",
                              t->name);
                return NULL;
            }
            callsid = v;
            break;
        case COL_SID:
            if (v && *v && !minicc_is_sid(v)) {
                why = "is not a Twilio SID";
            }
            break;
        case COL_INT:
            if (v && !minicc_is_int32(v)) {
                why = "is not an integer";
            }
            break;
        case COL_TEXT:
            if (v && minicc_utf8_length(v) > (apr_size_t)col->maxchars) {
                why = apr_psprintf(r->pool, "is longer than the %d "
                                   "characters of its column", col->maxchars);
            }
            break;
        case COL_ARRIVAL:
        case COL_FIRST_ARRIVAL:
            v = arrival_time(r);
            break;
        }
        if (why) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30102)
                          "%s: CallSid %s: %s '%.64s%s' %s; stored as NULL",
                          t->name, callsid, col->param,
                          ap_escape_logitem(r->pool, v),
                          strlen(v) > 64 ? "..." : "", why);
            v = NULL;
        }
        row->values[i] = v;
    }
    return row;
}

long minicc_row_order(const minicc_row_t *row)
{
    const table_t *t = &tables[row->table];
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        if (!strcmp(t->columns[i].column, "QueueTime")) {
            return row->values[i] ? atol(row->values[i]) : LONG_MIN;
        }
    }
    return LONG_MIN;
}

const char *minicc_row_describe(apr_pool_t *p, const minicc_row_t *row)
{
    const table_t *t = &tables[row->table];
    const char *out = t->name;
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        out = apr_pstrcat(p, out, i ? ", " : " ", t->columns[i].column, "=",
                          row->values[i]
                              ? apr_pstrcat(p, "'", ap_escape_logitem(p,
                                            row->values[i]), "'", NULL)
                              : "NULL", NULL);
    }
    return out;
}
