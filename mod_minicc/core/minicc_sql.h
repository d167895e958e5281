/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The tables as the module sees them, and every SQL statement it sends
 * (sql.c): APR only, so that a unit test can hold the column sizes against
 * sql/minicc.sql.  Statements are numbered here and prepared by mod_dbd
 * under their labels (db.c); values are always bound, with apr_dbd's %s
 * placeholders.
 */
#ifndef MINICC_SQL_H
#define MINICC_SQL_H

#include <apr_pools.h>

typedef enum {
    MINICC_TABLE_ENQUEUE, MINICC_TABLE_QUEUE, MINICC_TABLE_STATUS,
    MINICC_TABLE_OPERATOR_SESSION, MINICC_TABLE_TURNED_AWAY,
    MINICC_TABLE_VOICEMAIL, MINICC_TABLE_CALLBACK, MINICC_TABLE_LIVE,
    MINICC_TABLE_RECORDING, MINICC_TABLE_SURVEY,
    MINICC_TABLE_COUNT
} minicc_table_e;

typedef enum {
    MINICC_COL_CALLSID,         /* the key: a valid SID, or no row */
    MINICC_COL_SID,             /* another SID: malformed -> NULL */
    MINICC_COL_INT,             /* signed 32-bit: anything else -> NULL */
    MINICC_COL_TEXT,            /* at most maxchars characters, or NULL */
    MINICC_COL_ARRIVAL,         /* when the webhook arrived; the later
                                 * arrival wins */
    MINICC_COL_FIRST_ARRIVAL,   /* when the first webhook arrived; kept */
    MINICC_COL_TURNED_AWAY,     /* why the call was turned away, from the
                                 * rows of the row's CallSid (the value bound
                                 * is the CallSid; sql.c) */
    MINICC_COL_STATE            /* an operator's state, set by the webhook:
                                 * stored as sent, NULL included, for the
                                 * table's trigger to order (sql/minicc.sql:
                                 * a state replayed late is not the current
                                 * one, but still a row of operator_states) */
} minicc_column_kind_e;

/* A row whose CallSid is stored already: */
typedef enum {
    MINICC_UPSERT_LATER,        /* each column takes the later arrival's */
    MINICC_UPSERT_MERGE,        /* each webhook brings some columns: a value
                                 * sent replaces the stored one, a missing
                                 * one (NULL) leaves it */
    MINICC_UPSERT_FIRST         /* changes nothing: the first is kept */
} minicc_upsert_e;

typedef struct {
    const char *column;
    const char *param;          /* Twilio's parameter; NULL: set by the
                                 * webhook, or the time */
    minicc_column_kind_e kind;
    int maxchars;               /* VARCHAR(maxchars) in sql/minicc.sql */
    int later;                  /* 1: added with the operators' states; a
                                 * row an older version spooled lacks it */
} minicc_column_t;

typedef struct {
    const char *name;
    const minicc_column_t *columns;
    int ncolumns;
    minicc_upsert_e upsert;     /* what a row of a stored CallSid does */
} minicc_table_t;

const minicc_table_t *minicc_table(minicc_table_e table);
/* The table called name; MINICC_TABLE_COUNT when there is none. */
minicc_table_e minicc_table_by_name(const char *name);

/* A row's values as this version writes them: values when there are as
 * many as the table has columns; a row an older version spooled, before
 * the operators' states (the columns marked later), with NULL in their
 * places (in p); NULL when nvalues fits neither. */
const char **minicc_table_values(apr_pool_t *p, minicc_table_e table,
                                 const char **values, int nvalues);

/* A row of one table: a value per column, NULL for SQL NULL. */
typedef struct {
    minicc_table_e table;
    const char **values;
    int nvalues;
} minicc_row_t;

/* Where a row goes in a multi-row statement, as strcmp: by QueueTime (none
 * first), then by key.  The triggers of sql/minicc.sql lock summary rows
 * keyed by QueueTime, and the statement the rows themselves by key;
 * statements that all take them in the same order do not deadlock over
 * them. */
int minicc_row_compare(const minicc_row_t *a, const minicc_row_t *b);

/* Multi-row upserts (group commit): 2, 4, ... MINICC_BATCH_MAX rows. */
#define MINICC_BATCH_LEVELS 4
#define MINICC_BATCH_MAX (1 << MINICC_BATCH_LEVELS)

/* The report's queue-time histogram: bar 0 holds waits of 0 s, bar k
 * those of MINICC_WAIT_BUCKET * (k - 1) + 1 to MINICC_WAIT_BUCKET * k s,
 * the last one everything longer.  With bars closed on the right, a
 * service level of 20 s is exactly the edge of a bar. */
#define MINICC_WAIT_BUCKET 10
#define MINICC_WAIT_BUCKETS 13

/* Statement ids: the single-row upsert of table t is t itself; the upsert
 * of 2 << k rows is MINICC_STMT_UPSERT_ROWS(t, k). */
enum {
    MINICC_STMT_CALLERS = MINICC_TABLE_COUNT,
    MINICC_STMT_REPORT_HOURS,
    MINICC_STMT_REPORT_CALLS,
    MINICC_STMT_REPORT_WAITS,
    MINICC_STMT_REPORT_OPERATORS,
    MINICC_STMT_REPORT_ABANDONED,
    MINICC_STMT_REPORT_TURNED_AWAY,
    MINICC_STMT_REPORT_VOICEMAILS,
    MINICC_STMT_REPORT_CALLBACKS,
    MINICC_STMT_REPORT_CALLBACK_LIST,
    MINICC_STMT_REPORT_OPERATOR_STATES,
    MINICC_STMT_REPORT_QUEUES,
    MINICC_STMT_REPORT_QUEUE_HOURS,
    MINICC_STMT_REPORT_QUEUE_WAITS,
    MINICC_STMT_REPORT_RECORDINGS,
    MINICC_STMT_REPORT_CSAT,
    MINICC_STMT_CALLBACK_ASKED,
    MINICC_STMT_CALLBACK_OUTCOME,
    MINICC_STMT_CALLBACK_CLAIM,
    MINICC_STMT_CALLBACK_CLAIMED,
    MINICC_STMT_LIVE_QUEUES,
    MINICC_STMT_LIVE_OPERATORS,
    MINICC_STMT_LIVE_PURGE,
    MINICC_STMT_LIVE_PURGED,
    MINICC_STMT_AGENT_CALL,
    MINICC_STMT_RETENTION_CLAIM,
    MINICC_STMT_RETENTION_HOLDER,
    MINICC_STMT_RETENTION_BATCH,
    MINICC_STMT_RETENTION_BATCHED,
    MINICC_STMT_RETENTION_DONE,
    MINICC_STMT_BATCH,
    MINICC_STMT_COUNT = MINICC_STMT_BATCH
                        + MINICC_TABLE_COUNT * MINICC_BATCH_LEVELS
};
#define MINICC_STMT_UPSERT_ROWS(t, k) \
    (MINICC_STMT_BATCH + (t) * MINICC_BATCH_LEVELS + (k))

/* The columns of the report's SELECTs (sql.c), by name: figures.c and
 * report.c read a row as row[MINICC_..._X], never by a bare number. */
enum {                          /* MINICC_STMT_REPORT_HOURS */
    MINICC_HOURS_HOUR, MINICC_HOURS_OFFERED, MINICC_HOURS_ANSWERED,
    MINICC_HOURS_ABANDONED, MINICC_HOURS_SHORT, MINICC_HOURS_LONGEST,
    MINICC_HOURS_COLS
};
enum {                          /* MINICC_STMT_REPORT_CALLS */
    MINICC_CALLS_AVG, MINICC_CALLS_COLS
};
enum {                          /* MINICC_STMT_REPORT_WAITS */
    MINICC_WAITS_BAR, MINICC_WAITS_PICKUPS, MINICC_WAITS_TIMED,
    MINICC_WAITS_SECONDS, MINICC_WAITS_WITHIN, MINICC_WAITS_COLS
};
enum {                          /* MINICC_STMT_REPORT_OPERATORS */
    MINICC_OPS_TELNUM, MINICC_OPS_ANSWERED, MINICC_OPS_COLS
};
enum {                          /* MINICC_STMT_REPORT_ABANDONED */
    MINICC_ABANDONED_FROM, MINICC_ABANDONED_TIME, MINICC_ABANDONED_WAIT,
    MINICC_ABANDONED_COLS
};
enum {                          /* MINICC_STMT_REPORT_TURNED_AWAY */
    MINICC_AWAY_REASON, MINICC_AWAY_CALLS, MINICC_AWAY_COLS
};
enum {                          /* MINICC_STMT_REPORT_RECORDINGS */
    MINICC_REC_TIME, MINICC_REC_OPERATOR, MINICC_REC_CALLER,
    MINICC_REC_DURATION, MINICC_REC_CHANNELS, MINICC_REC_URL,
    MINICC_REC_TOTAL, MINICC_REC_COLS
};
enum {                          /* MINICC_STMT_REPORT_CSAT */
    MINICC_CSAT_KIND, MINICC_CSAT_NAME, MINICC_CSAT_MEAN,
    MINICC_CSAT_RESPONSES, MINICC_CSAT_COLS
};
/* MINICC_CSAT_KIND: the whole range, an operator's, a queue's */
#define MINICC_CSAT_ALL 0
#define MINICC_CSAT_OPERATOR 1
#define MINICC_CSAT_QUEUE 2
enum {                          /* MINICC_STMT_REPORT_VOICEMAILS */
    MINICC_VM_FROM, MINICC_VM_TIME, MINICC_VM_REASON, MINICC_VM_DURATION,
    MINICC_VM_URL, MINICC_VM_TOTAL, MINICC_VM_COLS
};
enum {                          /* MINICC_STMT_REPORT_CALLBACKS */
    MINICC_CBS_REQUESTED, MINICC_CBS_COMPLETED, MINICC_CBS_FAILED,
    MINICC_CBS_PENDING, MINICC_CBS_MEAN, MINICC_CBS_COLS
};
enum {                          /* MINICC_STMT_REPORT_OPERATOR_STATES */
    MINICC_OPST_TELNUM, MINICC_OPST_STATE, MINICC_OPST_REASON,
    MINICC_OPST_SECONDS, MINICC_OPST_ENTERED, MINICC_OPST_COLS
};
enum {                          /* MINICC_STMT_REPORT_QUEUES */
    MINICC_QUEUES_QUEUE, MINICC_QUEUES_KIND, MINICC_QUEUES_SECONDS,
    MINICC_QUEUES_N, MINICC_QUEUES_COLS
};
/* report_queues' kinds (sql/minicc.sql) */
#define MINICC_QUEUE_OFFERED 0
#define MINICC_QUEUE_ANSWERED 1
#define MINICC_QUEUE_HANGUP 2
#define MINICC_QUEUE_PICKUP 3
enum {                          /* MINICC_STMT_LIVE_OPERATORS */
    MINICC_LIVE_OP_TELNUM, MINICC_LIVE_OP_STATE, MINICC_LIVE_OP_REASON,
    MINICC_LIVE_OP_SECONDS, MINICC_LIVE_OP_QUEUE, MINICC_LIVE_OP_COLS
};
enum {                          /* MINICC_STMT_AGENT_CALL */
    MINICC_AGENT_CALLSID, MINICC_AGENT_STATE, MINICC_AGENT_REASON,
    MINICC_AGENT_SECONDS,
    MINICC_AGENT_QUEUE, MINICC_AGENT_CALLER, MINICC_AGENT_CALLER_QUEUE,
    MINICC_AGENT_ENDED, MINICC_AGENT_COLS
};
enum {                          /* MINICC_STMT_REPORT_CALLBACK_LIST */
    MINICC_CBL_FROM, MINICC_CBL_TIME, MINICC_CBL_STATUS, MINICC_CBL_ATTEMPTS,
    MINICC_CBL_OUTCOME, MINICC_CBL_COLS
};

/* mod_dbd's label of statement id (static), and its SQL, made in p. */
const char *minicc_sql_label(int id);
const char *minicc_sql_text(apr_pool_t *p, int id);

#endif /* MINICC_SQL_H */
