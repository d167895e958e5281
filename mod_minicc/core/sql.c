/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Every SQL statement the module sends, and the tables they write as the
 * module sees them.  The columns mirror sql/minicc.sql (a unit test holds
 * them against it): a value too long for its column is stored as NULL and
 * logged (rows.c), never cut by the server.  What each column holds and
 * why is doc/contract.txt, 4.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

#include "minicc_sql.h"

#define CALL_COLUMNS \
    { "CallSid",       "CallSid",       MINICC_COL_CALLSID, 34, 0 }, \
    { "From",          "From",          MINICC_COL_TEXT,    64, 0 }, \
    { "To",            "To",            MINICC_COL_TEXT,    64, 0 }, \
    { "CallStatus",    "CallStatus",    MINICC_COL_TEXT,    32, 0 }, \
    { "ApiVersion",    "ApiVersion",    MINICC_COL_TEXT,    16, 0 }, \
    { "Direction",     "Direction",     MINICC_COL_TEXT,    32, 0 }, \
    { "ForwardedFrom", "ForwardedFrom", MINICC_COL_TEXT,    64, 0 }, \
    { "CallerName",    "CallerName",    MINICC_COL_TEXT,   128, 0 }

static const minicc_column_t enqueue_columns[] = {
    CALL_COLUMNS,
    { "QueueResult", "QueueResult", MINICC_COL_TEXT,    32, 0 },
    { "QueueSid",    "QueueSid",    MINICC_COL_SID,     34, 0 },
    { "QueueTime",   "QueueTime",   MINICC_COL_INT,      0, 0 },
    { "Queue",       NULL,          MINICC_COL_TEXT,    64, 1 },
    { "Time",        NULL,          MINICC_COL_ARRIVAL,  0, 0 }
};

static const minicc_column_t queue_columns[] = {
    CALL_COLUMNS,
    { "QueueSid",        "QueueSid",        MINICC_COL_SID,     34, 0 },
    { "QueueTime",       "QueueTime",       MINICC_COL_INT,      0, 0 },
    { "DequeingCallSid", "DequeingCallSid", MINICC_COL_SID,     34, 0 },
    { "Queue",           NULL,              MINICC_COL_TEXT,    64, 1 },
    { "Time",            NULL,              MINICC_COL_ARRIVAL,  0, 0 }
};

static const minicc_column_t status_columns[] = {
    CALL_COLUMNS,
    { "CallDuration",      "CallDuration",      MINICC_COL_INT,      0, 0 },
    { "RecordingUrl",      "RecordingUrl",      MINICC_COL_TEXT,  1024, 0 },
    { "RecordingSid",      "RecordingSid",      MINICC_COL_SID,     34, 0 },
    { "RecordingDuration", "RecordingDuration", MINICC_COL_INT,      0, 0 },
    { "Time",              NULL,                MINICC_COL_ARRIVAL,  0, 0 }
};

/* An operator's call: who (telnum: a webhook that does not know sends
 * NULL, which leaves it), since when, its state (doc/contract.txt 13:
 * ready, talking, wrap-up, break and its reason, offline) since Since, and
 * the queue its loop serves (NULL leaves it). */
static const minicc_column_t operator_session_columns[] = {
    { "CallSid",  "CallSid", MINICC_COL_CALLSID,       34, 0 },
    { "telnum",   "From",    MINICC_COL_TEXT,          64, 0 },
    { "Started",  NULL,      MINICC_COL_FIRST_ARRIVAL,  0, 0 },
    { "State",    NULL,      MINICC_COL_STATE,         16, 1 },
    { "Reason",   NULL,      MINICC_COL_STATE,         64, 1 },
    { "Since",    NULL,      MINICC_COL_STATE,          0, 1 },
    { "Queue",    NULL,      MINICC_COL_TEXT,          64, 1 },
    { "LastSeen", NULL,      MINICC_COL_ARRIVAL,        0, 0 }
};

/* A customer's call that was not let into the queue, and why (Reason:
 * closed, holiday; set by the webhook, not a parameter). */
static const minicc_column_t turned_away_columns[] = {
    { "CallSid", "CallSid", MINICC_COL_CALLSID, 34, 0 },
    { "From",    "From",    MINICC_COL_TEXT,    64, 0 },
    { "To",      "To",      MINICC_COL_TEXT,    64, 0 },
    { "Reason",  NULL,      MINICC_COL_TEXT,    16, 0 },
    { "Time",    NULL,      MINICC_COL_ARRIVAL,  0, 0 }
};

/* A message left by a caller turned away: the Record action and its
 * status callback each bring part of it, in either order. */
static const minicc_column_t voicemail_columns[] = {
    { "CallSid",           "CallSid",           MINICC_COL_CALLSID,     34, 0 },
    { "From",              "From",              MINICC_COL_TEXT,        64, 0 },
    { "Reason",            NULL,                MINICC_COL_TURNED_AWAY, 16, 0 },
    { "RecordingSid",      "RecordingSid",      MINICC_COL_SID,         34, 0 },
    { "RecordingUrl",      "RecordingUrl",      MINICC_COL_TEXT,      1024, 0 },
    { "RecordingDuration", "RecordingDuration", MINICC_COL_INT,          0, 0 },
    { "Time",              NULL,                MINICC_COL_ARRIVAL,      0, 0 }
};

/* A waiting caller's request to be called back (minicc-callback): Queue
 * is the webhook's MiniCCQueue; the operators' loop keeps the rest of the
 * row (sql/minicc.sql). */
static const minicc_column_t callback_columns[] = {
    { "CallSid",   "CallSid",   MINICC_COL_CALLSID, 34, 0 },
    { "From",      "From",      MINICC_COL_TEXT,    64, 0 },
    { "To",        "To",        MINICC_COL_TEXT,    64, 0 },
    { "Queue",     NULL,        MINICC_COL_TEXT,    64, 0 },
    { "QueueTime", "QueueTime", MINICC_COL_INT,      0, 0 },
    { "Time",      NULL,        MINICC_COL_ARRIVAL,  0, 0 }
};

/* A caller seen waiting (the wait loop's polls, written by polls.c): the
 * latest poll of each call; Queue is the poll's MiniCCQueue. */
static const minicc_column_t live_columns[] = {
    { "CallSid",   "CallSid",   MINICC_COL_CALLSID, 34, 0 },
    { "Queue",     NULL,        MINICC_COL_TEXT,    64, 0 },
    { "QueueTime", "QueueTime", MINICC_COL_INT,      0, 0 },
    { "Time",      NULL,        MINICC_COL_ARRIVAL,  0, 0 }
};

/* A conversation recorded (MiniCCRecordCalls), by the recording's status
 * callback: keyed by RecordingSid, CallSid the operator's call that
 * dialled (Twilio's parent call). */
static const minicc_column_t recording_columns[] = {
    { "RecordingSid",      "RecordingSid",      MINICC_COL_CALLSID,  34, 0 },
    { "CallSid",           "CallSid",           MINICC_COL_SID,      34, 0 },
    { "RecordingUrl",      "RecordingUrl",      MINICC_COL_TEXT,   1024, 0 },
    { "RecordingStatus",   "RecordingStatus",   MINICC_COL_TEXT,     16, 0 },
    { "RecordingDuration", "RecordingDuration", MINICC_COL_INT,       0, 0 },
    { "RecordingChannels", "RecordingChannels", MINICC_COL_INT,       0, 0 },
    { "Time",              NULL,                MINICC_COL_ARRIVAL,   0, 0 }
};

/* A caller's score (MiniCCSurvey), once: Queue is the webhook's
 * MiniCCQueue, Score the key they pressed. */
static const minicc_column_t survey_columns[] = {
    { "CallSid", "CallSid", MINICC_COL_CALLSID, 34, 0 },
    { "From",    "From",    MINICC_COL_TEXT,    64, 0 },
    { "Score",   "Digits",  MINICC_COL_INT,      0, 0 },
    { "Queue",   NULL,      MINICC_COL_TEXT,    64, 0 },
    { "Time",    NULL,      MINICC_COL_ARRIVAL,  0, 0 }
};

#define TABLE(name, cols, upsert) \
    { name, cols, sizeof(cols) / sizeof(cols[0]), upsert }

static const minicc_table_t tables[MINICC_TABLE_COUNT] = {
    TABLE("enqueue_data", enqueue_columns, MINICC_UPSERT_LATER),
    TABLE("queue_data", queue_columns, MINICC_UPSERT_LATER),
    TABLE("statuscallback_data", status_columns, MINICC_UPSERT_LATER),
    TABLE("operator_sessions", operator_session_columns, MINICC_UPSERT_MERGE),
    TABLE("turned_away", turned_away_columns, MINICC_UPSERT_LATER),
    TABLE("voicemails", voicemail_columns, MINICC_UPSERT_MERGE),
    TABLE("callbacks", callback_columns, MINICC_UPSERT_FIRST),
    TABLE("live_waiting", live_columns, MINICC_UPSERT_LATER),
    TABLE("recordings", recording_columns, MINICC_UPSERT_LATER),
    TABLE("surveys", survey_columns, MINICC_UPSERT_FIRST)
};

const char **minicc_table_values(apr_pool_t *p, minicc_table_e table,
                                 const char **values, int nvalues)
{
    const minicc_table_t *t = minicc_table(table);
    const char **all;
    int i, j, added = 0;

    if (nvalues == t->ncolumns) {
        return values;
    }
    for (i = 0; i < t->ncolumns; i++) {
        added += t->columns[i].later;
    }
    if (!added || nvalues != t->ncolumns - added) {
        return NULL;
    }
    all = apr_pcalloc(p, sizeof(char *) * t->ncolumns);
    for (i = j = 0; i < t->ncolumns; i++) {
        if (!t->columns[i].later) {
            all[i] = values[j++];
        }
    }
    return all;
}

/* mod_dbd's labels, by statement id. */
#define BATCH_LABELS(single) \
    single "_x2", single "_x4", single "_x8", single "_x16"

static const char *const labels[MINICC_STMT_COUNT] = {
    "minicc_enqueue_upsert", "minicc_queue_upsert", "minicc_status_upsert",
    "minicc_operator_session_upsert", "minicc_turned_away_upsert",
    "minicc_voicemail_upsert", "minicc_callback_upsert",
    "minicc_live_upsert", "minicc_recording_upsert",
    "minicc_survey_upsert", "minicc_callers", "minicc_report_hours",
    "minicc_report_calls",
    "minicc_report_waits", "minicc_report_operators",
    "minicc_report_abandoned", "minicc_report_turned_away",
    "minicc_report_voicemails", "minicc_report_callbacks",
    "minicc_report_callback_list", "minicc_report_operator_states",
    "minicc_report_queues", "minicc_report_queue_hours",
    "minicc_report_queue_waits", "minicc_report_recordings",
    "minicc_report_csat", "minicc_callback_asked",
    "minicc_callback_outcome", "minicc_callback_claim",
    "minicc_callback_claimed", "minicc_live_queues", "minicc_live_operators",
    "minicc_live_purge", "minicc_live_purged", "minicc_agent_call",
    "minicc_retention_claim", "minicc_retention_holder",
    "minicc_retention_batch", "minicc_retention_batched",
    "minicc_retention_done",
    /* MINICC_BATCH_LEVELS of each, in the order of the tables */
    BATCH_LABELS("minicc_enqueue_upsert"),
    BATCH_LABELS("minicc_queue_upsert"),
    BATCH_LABELS("minicc_status_upsert"),
    BATCH_LABELS("minicc_operator_session_upsert"),
    BATCH_LABELS("minicc_turned_away_upsert"),
    BATCH_LABELS("minicc_voicemail_upsert"),
    BATCH_LABELS("minicc_callback_upsert"),
    BATCH_LABELS("minicc_live_upsert"),
    BATCH_LABELS("minicc_recording_upsert"),
    BATCH_LABELS("minicc_survey_upsert")
};

const minicc_table_t *minicc_table(minicc_table_e table)
{
    return &tables[table];
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

static long row_queue_time(const minicc_row_t *row)
{
    const minicc_table_t *t = &tables[row->table];
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        if (!strcmp(t->columns[i].column, "QueueTime")) {
            return row->values[i] ? atol(row->values[i]) : LONG_MIN;
        }
    }
    return LONG_MIN;
}

int minicc_row_compare(const minicc_row_t *a, const minicc_row_t *b)
{
    long qa = row_queue_time(a), qb = row_queue_time(b);

    if (qa != qb) {
        return qa < qb ? -1 : 1;
    }
    /* the key (CallSid) is the first column of every table */
    if (!a->values[0] || !b->values[0]) {
        return !a->values[0] - !b->values[0];
    }
    return strcmp(a->values[0], b->values[0]);
}

static const char *arrival_column(const minicc_table_t *t)
{
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        if (t->columns[i].kind == MINICC_COL_ARRIVAL) {
            return t->columns[i].column;
        }
    }
    return NULL;
}

/* Why a call was turned away, from its CallSid (the one placeholder): what
 * turned_away says (closed, holiday, overflow, max-wait), else what its
 * queue exit says (queue-full, error). */
#define TURNED_AWAY_REASON \
    "(SELECT COALESCE(MAX(t.Reason), MAX(CASE e.QueueResult " \
    "WHEN 'queue-full' THEN 'queue-full' WHEN 'error' THEN 'error' " \
    "WHEN 'system-error' THEN 'error' END)) FROM (SELECT %s AS sid) k " \
    "LEFT JOIN turned_away t ON t.CallSid = k.sid " \
    "LEFT JOIN enqueue_data e ON e.CallSid = k.sid)"

/* INSERT ... ON DUPLICATE KEY UPDATE where each column takes the new value
 * only if the new row arrived no earlier than the stored one: a retried
 * webhook, or an old row replayed late, never overwrites a newer one.
 * MySQL assigns left to right, so the arrival column comes last and every
 * comparison sees the stored arrival time.  A table that keeps its first
 * row updates nothing: the key is set to itself. */
static const char *upsert(apr_pool_t *p, const minicc_table_t *t, int nrows)
{
    const char *arrival = arrival_column(t);
    const char *names = "", *holders = "", *updates = "", *last = "";
    const char *rows = "";
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        const char *c = t->columns[i].column;
        const char *sep = i ? ", " : "";

        names = apr_pstrcat(p, names, sep, "`", c, "`", NULL);
        holders = apr_pstrcat(p, holders, sep,
                              t->columns[i].kind == MINICC_COL_TURNED_AWAY
                              ? TURNED_AWAY_REASON : "%s", NULL);
        if (t->upsert == MINICC_UPSERT_FIRST) {
            if (t->columns[i].kind == MINICC_COL_CALLSID) {
                last = apr_psprintf(p, "`%s` = `%s`", c, c);
            }
            continue;
        }
        switch (t->columns[i].kind) {
        case MINICC_COL_CALLSID:
            break;
        case MINICC_COL_TURNED_AWAY:
            updates = apr_psprintf(p, "%s`%s` = COALESCE(VALUES(`%s`), "
                                   "`%s`), ", updates, c, c, c);
            break;
        case MINICC_COL_ARRIVAL:
            last = apr_psprintf(p, "`%s` = GREATEST(`%s`, VALUES(`%s`))",
                                c, c, c);
            break;
        case MINICC_COL_FIRST_ARRIVAL:
            updates = apr_psprintf(p, "%s`%s` = LEAST(`%s`, VALUES(`%s`)), ",
                                   updates, c, c, c);
            break;
        case MINICC_COL_STATE:
            updates = apr_psprintf(p, "%s`%s` = VALUES(`%s`), ", updates, c,
                                   c);
            break;
        default:
            updates = t->upsert == MINICC_UPSERT_MERGE
                ? apr_psprintf(p, "%s`%s` = COALESCE(VALUES(`%s`), `%s`), ",
                               updates, c, c, c)
                : apr_psprintf(p, "%s`%s` = IF(VALUES(`%s`) >= `%s`, "
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

/* The report's figures come from the summaries that sql/minicc.sql's
 * triggers keep per UTC hour (report_hours, report_hangups,
 * report_pickups, report_operators): a month is some thousand rows however
 * many calls it had.  Times are UTC; the bounds are those of the local
 * days asked for, in UTC.  They hold counts, so the thresholds are bound, not stored.  Only
 * the call-back list reads enqueue_data itself, newest first by its
 * (QueueResult, Time) index.  The placeholders, in order, are given
 * beside each statement: report.c binds them so. */
#define IN_RANGE(column) column " >= %s AND " column " < %s"

static const char *const statements[] = {
    /* MINICC_STMT_CALLERS: a date, now twice: every operator's number
     * (kind 0), every holiday on or after the date (kind 1), every queue
     * with call-backs in line (kind 2), every operator's queues with
     * their priority (kind 3: "PRIORITY QUEUE") and every queue with
     * callers waiting now and the longest wait among them (kind 4: as the
     * live view counts them), for callers.c's copy; the holidays of the
     * past are left out, so that the copy does not grow with the years */
    "SELECT 0, telnum, PIN FROM operators UNION ALL "
    "SELECT 1, CAST(`Day` AS CHAR), NULL FROM holidays WHERE `Day` >= %s "
    "UNION ALL SELECT DISTINCT 2, Queue, NULL FROM callbacks "
    "WHERE Status IN ('pending', 'dialling') "
    "UNION ALL SELECT 3, telnum, CONCAT(priority, ' ', queue) "
    "FROM operator_queues "
    "UNION ALL SELECT 4, v.Queue, "
    "CAST(MAX(TIMESTAMPDIFF(SECOND, v.Joined, %s)) AS CHAR) "
    "FROM live_waiting v LEFT JOIN enqueue_data e ON e.CallSid = v.CallSid "
    "LEFT JOIN queue_data g ON g.CallSid = v.CallSid "
    "WHERE v.`Time` >= %s - INTERVAL 15 MINUTE AND e.CallSid IS NULL "
    "AND g.CallSid IS NULL AND v.Queue IS NOT NULL GROUP BY v.Queue",
    /* MINICC_STMT_REPORT_HOURS: from, to, short abandon (twice), from, to:
     * per UTC hour (report.c places it in its local hour) */
    "SELECT CAST(h.`Hour` AS CHAR), h.offered, h.answered, "
    "COALESCE(g.abandoned, 0), COALESCE(g.short, 0), "
    "COALESCE(h.longest, 0) FROM (SELECT `Hour`, SUM(Offered) AS offered, "
    "SUM(Answered) AS answered, MAX(LongestWait) AS longest FROM "
    "report_hours WHERE " IN_RANGE("`Hour`") " GROUP BY `Hour`) h "
    "LEFT JOIN (SELECT `Hour`, SUM(IF(Seconds >= %d, N, 0)) AS abandoned, "
    "SUM(IF(Seconds < %d, N, 0)) AS short FROM report_hangups WHERE "
    IN_RANGE("`Hour`") " GROUP BY `Hour`) g ON g.`Hour` = h.`Hour` "
    "ORDER BY h.`Hour`",
    /* MINICC_STMT_REPORT_CALLS: from, to */
    "SELECT COALESCE(SUM(CallSeconds) / NULLIF(SUM(CallsTimed), 0), 0) "
    "FROM report_hours WHERE " IN_RANGE("`Hour`"),
    /* MINICC_STMT_REPORT_WAITS: service level, from, to; the bar of each
     * queue time is written in below (BAR) */
    "SELECT IF(Timed, BAR, NULL) AS b, "
    "SUM(N), SUM(IF(Timed, N, 0)), SUM(IF(Timed, Seconds * N, 0)), "
    "SUM(IF(Timed AND Seconds <= %d, N, 0)) FROM report_pickups WHERE "
    IN_RANGE("`Hour`") " GROUP BY b",
    /* MINICC_STMT_REPORT_OPERATORS: from, to */
    "SELECT NULLIF(telnum, ''), SUM(Answered) AS answered FROM "
    "report_operators WHERE " IN_RANGE("`Hour`") " GROUP BY telnum "
    "HAVING answered > 0 ORDER BY answered DESC, telnum",
    /* MINICC_STMT_REPORT_ABANDONED: short abandon, from, to (the list is
     * for people to work through, not an export) */
    "SELECT `From`, `Time`, QueueTime FROM enqueue_data WHERE "
    "QueueResult = 'hangup' AND COALESCE(QueueTime, 0) >= %d AND "
    IN_RANGE("`Time`") " ORDER BY `Time` DESC LIMIT 1000",
    /* MINICC_STMT_REPORT_TURNED_AWAY: from, to, from, to: the calls turned
     * away by reason, and the queue exits Twilio found full */
    "SELECT Reason, COUNT(*) FROM turned_away WHERE " IN_RANGE("`Time`")
    " GROUP BY Reason UNION ALL SELECT 'queue-full', COUNT(*) FROM "
    "enqueue_data WHERE QueueResult = 'queue-full' AND " IN_RANGE("`Time`"),
    /* MINICC_STMT_REPORT_VOICEMAILS: from, to: newest first, with how many
     * there are in all */
    "SELECT `From`, `Time`, Reason, RecordingDuration, RecordingUrl, "
    "COUNT(*) OVER () FROM voicemails WHERE " IN_RANGE("`Time`")
    " ORDER BY `Time` DESC LIMIT 1000",
    /* MINICC_STMT_REPORT_CALLBACKS: from, to: asked, completed, failed,
     * still in line, and the mean seconds from asking to the dialling of
     * those completed */
    "SELECT COUNT(*), COALESCE(SUM(Status = 'completed'), 0), "
    "COALESCE(SUM(Status = 'failed'), 0), "
    "COALESCE(SUM(Status IN ('pending', 'dialling')), 0), "
    "AVG(IF(Status = 'completed', "
    "TIMESTAMPDIFF(MICROSECOND, `Time`, Claimed) / 1000000, NULL)) "
    "FROM callbacks WHERE " IN_RANGE("`Time`"),
    /* MINICC_STMT_REPORT_CALLBACK_LIST: from, to: those not completed,
     * newest first */
    "SELECT `From`, `Time`, Status, Attempts, Outcome FROM callbacks "
    "WHERE Status <> 'completed' AND " IN_RANGE("`Time`")
    " ORDER BY `Time` DESC LIMIT 1000",
    /* MINICC_STMT_REPORT_OPERATOR_STATES: from, now, now, to, from, to, to,
     * from: per operator, state and reason, the seconds of the range in
     * it (a state not ended yet lasts until now while its call is seen,
     * else until the call was last seen) and how many times it was
     * entered in the range (doc/contract.txt 13) */
    "SELECT s.telnum, s.State, COALESCE(s.Reason, ''), "
    "SUM(GREATEST(TIMESTAMPDIFF(MICROSECOND, GREATEST(s.Began, %s), "
    "LEAST(COALESCE(s.Ended, IF(o.LastSeen >= %s - INTERVAL 15 MINUTE, %s, "
    "o.LastSeen)), %s)), 0)) / 1000000, "
    "SUM(s.Began >= %s AND s.Began < %s) FROM operator_states s "
    "LEFT JOIN operator_sessions o ON o.CallSid = s.CallSid "
    "WHERE s.Began < %s AND (s.Ended IS NULL OR s.Ended > %s) "
    "AND s.State <> 'offline' AND s.telnum IS NOT NULL "
    "GROUP BY s.telnum, s.State, COALESCE(s.Reason, '')",
    /* MINICC_STMT_REPORT_QUEUES: from, to: per queue, kind (offered,
     * answered, hang-ups, pick-ups) and QueueTime, how many (report.c
     * applies each queue's thresholds) */
    "SELECT Queue, Kind, Seconds, SUM(N) FROM report_queues WHERE "
    IN_RANGE("`Hour`") " GROUP BY Queue, Kind, Seconds "
    "HAVING SUM(N) <> 0 ORDER BY Queue, Kind, Seconds",
    /* MINICC_STMT_REPORT_QUEUE_HOURS: short abandon (twice), a queue,
     * from, to: MINICC_STMT_REPORT_HOURS' columns for that queue alone
     * (the report's queue filter), from report_queues */
    "SELECT CAST(h AS CHAR), SUM(o), SUM(a), SUM(ab), SUM(sh), MAX(l) FROM ("
    "SELECT `Hour` AS h, IF(Kind = 0, SUM(N), 0) AS o, "
    "IF(Kind = 1, SUM(N), 0) AS a, "
    "IF(Kind = 2 AND Seconds >= %d, SUM(N), 0) AS ab, "
    "IF(Kind = 2 AND Seconds < %d, SUM(N), 0) AS sh, "
    "IF(Kind = 0 AND SUM(N) > 0, Seconds, 0) AS l "
    "FROM report_queues WHERE Queue = %s AND " IN_RANGE("`Hour`")
    " GROUP BY `Hour`, Kind, Seconds) x GROUP BY h ORDER BY h",
    /* MINICC_STMT_REPORT_QUEUE_WAITS: service level, a queue, from, to:
     * MINICC_STMT_REPORT_WAITS' columns for that queue alone (BAR) */
    "SELECT IF(Seconds >= 0, BAR, NULL) AS b, "
    "SUM(N), SUM(IF(Seconds >= 0, N, 0)), SUM(IF(Seconds >= 0, Seconds * N, 0)), "
    "SUM(IF(Seconds >= 0 AND Seconds <= %d, N, 0)) FROM report_queues "
    "WHERE Kind = 3 AND Queue = %s AND " IN_RANGE("`Hour`") " GROUP BY b",
    /* MINICC_STMT_REPORT_RECORDINGS: from, to: newest first, with how
     * many there are in all: when, the operator (operator_sessions of the
     * call that dialled), the caller (that call's latest pick-up before
     * the recording ended, by the queue_dequeing index), its length,
     * channels and URL */
    "SELECT r.`Time`, o.telnum, (SELECT g.`From` FROM queue_data g "
    "WHERE g.DequeingCallSid = r.CallSid AND g.`Time` <= r.`Time` "
    "ORDER BY g.`Time` DESC LIMIT 1), r.RecordingDuration, "
    "r.RecordingChannels, r.RecordingUrl, COUNT(*) OVER () "
    "FROM recordings r LEFT JOIN operator_sessions o ON o.CallSid = r.CallSid "
    "WHERE " IN_RANGE("r.`Time`") " ORDER BY r.`Time` DESC LIMIT 1000",
    /* MINICC_STMT_REPORT_CSAT: from, to, three times: the callers' mean
     * score (two decimals) and responses: of the whole range (kind 0),
     * per operator (kind 1: the operator of the caller's pick-up, '' when
     * none is known) and per queue (kind 2) */
    "SELECT 0, NULL, ROUND(AVG(Score), 2), COUNT(*) FROM surveys "
    "WHERE " IN_RANGE("`Time`")
    " UNION ALL SELECT 1, COALESCE(o.telnum, ''), ROUND(AVG(v.Score), 2), "
    "COUNT(*) FROM surveys v LEFT JOIN queue_data g ON g.CallSid = v.CallSid "
    "LEFT JOIN operator_sessions o ON o.CallSid = g.DequeingCallSid "
    "WHERE " IN_RANGE("v.`Time`") " GROUP BY 2"
    " UNION ALL SELECT 2, COALESCE(Queue, ''), ROUND(AVG(Score), 2), "
    "COUNT(*) FROM surveys WHERE " IN_RANGE("`Time`") " GROUP BY 2 "
    "ORDER BY 1, 2",
    /* MINICC_STMT_CALLBACK_ASKED: a CallSid: did its caller ask for a
     * call-back (minicc-exit after a leave) */
    "SELECT 1 FROM callbacks WHERE CallSid = %s",
    /* MINICC_STMT_CALLBACK_OUTCOME: DialCallStatus (completed, busy,
     * no-answer, failed, canceled), MiniCCCallbackAttempts, now, the
     * status again, the call-back's CallSid (from the Dial's action URL),
     * the operator's CallSid: the call-back this operator dialled is done,
     * or back in line, or failed after the last attempt (MySQL assigns
     * left to right: Status sees the new Attempts) */
    "UPDATE callbacks SET Attempts = Attempts + (%s <> 'completed'), "
    "Status = IF(%s = 'completed', 'completed', "
    "IF(Attempts >= %s, 'failed', 'pending')), "
    "Closed = IF(Status = 'pending', NULL, %s), Outcome = %s, "
    "Operator = IF(Status = 'pending', NULL, Operator) "
    "WHERE CallSid = %s AND Operator = %s AND Status = 'dialling'",
    /* MINICC_STMT_CALLBACK_CLAIM: the operator's CallSid, now, its queue,
     * now three times, the CallSid twice more: the oldest call-back in line
     * (one that did not get through waits a minute, so that a busy line is
     * not dialled again at once; one claimed 10 minutes ago with no
     * outcome is back in line once the operator's call has ended, and
     * after 2 hours whatever: a call-back conversation may last) is this
     * operator's when it is due: the operator's last Dial took no caller
     * (no guidance named it since its previous loop, and it was not a
     * call-back's), or the call-back joined the line before the caller it
     * took last.  One UPDATE: of operators asking at once, one claims it; the
     * others then find it taken. */
    "UPDATE callbacks SET Status = 'dialling', Operator = %s, Claimed = %s "
    "WHERE Queue = %s AND `From` IS NOT NULL AND ((Status = 'pending' "
    "AND (Attempts = 0 OR Claimed < %s - INTERVAL 1 MINUTE)) "
    "OR (Status = 'dialling' AND Claimed < %s - INTERVAL 10 MINUTE "
    "AND (Claimed < %s - INTERVAL 2 HOUR OR EXISTS (SELECT 1 FROM "
    "statuscallback_data c WHERE c.CallSid = Operator)))) AND ("
    "EXISTS (SELECT 1 FROM operator_sessions s WHERE s.CallSid = %s "
    "AND NOT EXISTS (SELECT 1 FROM queue_data q WHERE q.DequeingCallSid = "
    "s.CallSid AND q.`Time` >= s.LastSeen) AND NOT EXISTS (SELECT 1 FROM "
    "callbacks b WHERE b.Operator = s.CallSid AND b.Claimed >= s.LastSeen)) "
    "OR Joined < (SELECT q.`Time` - INTERVAL COALESCE(q.QueueTime, 0) "
    "SECOND FROM queue_data q WHERE q.DequeingCallSid = %s "
    "ORDER BY q.`Time` DESC LIMIT 1)) ORDER BY Joined LIMIT 1",
    /* MINICC_STMT_CALLBACK_CLAIMED: the operator's CallSid: the call-back
     * it claimed, to dial */
    "SELECT CallSid, `From`, `To` FROM callbacks WHERE Operator = %s "
    "AND Status = 'dialling' ORDER BY Claimed DESC LIMIT 1",
    /* MINICC_STMT_LIVE_QUEUES: now twice (UTC, as the rows have it): per
     * queue, the callers waiting now (seen in the last
     * 15 minutes, neither out of the queue nor picked up), the longest
     * wait among them, and the call-backs in line */
    "SELECT q, SUM(w), MAX(l), SUM(c) FROM ("
    "SELECT v.Queue AS q, COUNT(*) AS w, "
    "MAX(TIMESTAMPDIFF(SECOND, v.Joined, %s)) AS l, 0 AS c "
    "FROM live_waiting v LEFT JOIN enqueue_data e ON e.CallSid = v.CallSid "
    "LEFT JOIN queue_data g ON g.CallSid = v.CallSid "
    "WHERE v.`Time` >= %s - INTERVAL 15 MINUTE AND e.CallSid IS NULL "
    "AND g.CallSid IS NULL GROUP BY v.Queue "
    "UNION ALL SELECT Queue, 0, 0, COUNT(*) FROM callbacks "
    "WHERE Status IN ('pending', 'dialling') GROUP BY Queue) x "
    "WHERE q IS NOT NULL GROUP BY q ORDER BY q",
    /* MINICC_STMT_LIVE_OPERATORS: now four times: each operator's call on
     * the line (seen in the last 12 hours, no status callback yet, not
     * logged out; ready or on a break and no loop request for 10 minutes:
     * gone without a status callback), its state (a call from before the
     * states: ready), reason, seconds in it, and the queue its loop
     * serves */
    "SELECT s.telnum, COALESCE(s.State, 'ready'), s.Reason, "
    "GREATEST(TIMESTAMPDIFF(SECOND, COALESCE(s.Since, s.Started), %s), 0), "
    "s.Queue FROM operator_sessions s "
    "WHERE s.LastSeen >= %s - INTERVAL 12 HOUR AND s.telnum IS NOT NULL "
    "AND COALESCE(s.State, '') <> 'offline' "
    "AND NOT (COALESCE(s.State, 'ready') IN ('ready', 'break') "
    "AND s.LastSeen < %s - INTERVAL 10 MINUTE) "
    "AND NOT EXISTS (SELECT 1 FROM statuscallback_data c "
    "WHERE c.CallSid = s.CallSid) ORDER BY s.telnum, s.CallSid",
    /* MINICC_STMT_LIVE_PURGE: a time: the callers seen waiting that no
     * live view will count again (their last poll came before it), a
     * batch of 1,000 at a time, by the live_waiting_time index: the
     * module's user may not DELETE, so sql/minicc.sql's trigger on
     * housekeeping does it */
    "UPDATE housekeeping SET OlderThan = %s WHERE Name = 'live_waiting'",
    /* MINICC_STMT_LIVE_PURGED: how many rows the last purge deleted (on
     * the same connection, right after it) */
    "SELECT Deleted FROM housekeeping WHERE Name = 'live_waiting'",
    /* MINICC_STMT_AGENT_CALL: now, a telnum, a CallSid twice: the
     * operator call of that telnum (client:USER) with that CallSid, or
     * with '' its newest (by the operator_sessions_telnum index): its
     * CallSid, state (before the states: ready), reason, seconds in it,
     * the queue its loop serves, the caller of its latest pick-up and that
     * caller's queue (by the queue_dequeing index), and 1 when a status
     * callback said it ended */
    "SELECT s.CallSid, COALESCE(s.State, 'ready'), s.Reason, "
    "GREATEST(TIMESTAMPDIFF(SECOND, COALESCE(s.Since, s.Started), %s), 0), "
    "s.Queue, g.`From`, g.Queue, "
    "EXISTS (SELECT 1 FROM statuscallback_data c WHERE c.CallSid = s.CallSid) "
    "FROM operator_sessions s LEFT JOIN queue_data g "
    "ON g.CallSid = (SELECT q.CallSid FROM queue_data q "
    "WHERE q.DequeingCallSid = s.CallSid ORDER BY q.`Time` DESC LIMIT 1) "
    "WHERE s.telnum = %s AND (s.CallSid = %s OR %s = '') "
    "ORDER BY s.LastSeen DESC LIMIT 1",
    /* MINICC_STMT_RETENTION_CLAIM: a token, a lease's end, today, now,
     * the token: the day's retention run is this server's (doc/contract.txt
     * 16) unless one finished today or another's lease runs; a holder
     * whose lease runs (a run taking longer) extends it */
    "UPDATE housekeeping SET Holder = %s, LeaseUntil = %s "
    "WHERE Name = 'retention' AND (`Day` IS NULL OR `Day` < %s) "
    "AND (LeaseUntil IS NULL OR LeaseUntil < %s OR Holder = %s)",
    /* MINICC_STMT_RETENTION_HOLDER: who holds the run */
    "SELECT Holder FROM housekeeping WHERE Name = 'retention'",
    /* MINICC_STMT_RETENTION_BATCH: a bound: sql/minicc.sql's trigger
     * deletes a batch of at most 1,000 rows older than it */
    "UPDATE housekeeping SET OlderThan = %s WHERE Name = 'retention:batch'",
    /* MINICC_STMT_RETENTION_BATCHED: how many the batch deleted, and from
     * which table ("N TABLE"; "0 " when none was left) */
    "SELECT CONCAT(Deleted, ' ', COALESCE(Doing, '')) FROM housekeeping "
    "WHERE Name = 'retention:batch'",
    /* MINICC_STMT_RETENTION_DONE: today, the token: the day's run is
     * done */
    "UPDATE housekeeping SET `Day` = %s, LeaseUntil = NULL "
    "WHERE Name = 'retention' AND Holder = %s"
};

/* The histogram's bar of a queue time, from the same constants that
 * report.c draws it with. */
static const char *with_bars(apr_pool_t *p, const char *sql)
{
    const char *at = strstr(sql, "BAR");

    return apr_psprintf(p, "%.*sLEAST(CEILING(Seconds / %d), %d)%s",
                        (int)(at - sql), sql, MINICC_WAIT_BUCKET,
                        MINICC_WAIT_BUCKETS - 1, at + 3);
}

const char *minicc_sql_label(int id)
{
    return labels[id];
}

const char *minicc_sql_text(apr_pool_t *p, int id)
{
    int t, k;

    if (id < MINICC_TABLE_COUNT) {
        return upsert(p, &tables[id], 1);
    }
    if (id >= MINICC_STMT_BATCH) {
        t = (id - MINICC_STMT_BATCH) / MINICC_BATCH_LEVELS;
        k = (id - MINICC_STMT_BATCH) % MINICC_BATCH_LEVELS;
        return upsert(p, &tables[t], 2 << k);
    }
    return id == MINICC_STMT_REPORT_WAITS || id == MINICC_STMT_REPORT_QUEUE_WAITS
        ? with_bars(p, statements[id - MINICC_STMT_CALLERS])
        : statements[id - MINICC_STMT_CALLERS];
}
