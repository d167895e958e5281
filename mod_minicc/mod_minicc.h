/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * mod_minicc: a small Twilio call center as an Apache httpd 2.4 module.
 *
 * One header shared by the module's files.  Pure code (form parsing, text
 * rules, the TwiML writer) depends only on APR and libxml2 so that it can
 * be unit-tested and fuzzed without a server; everything that needs httpd
 * is declared under MINICC_WITH_HTTPD.
 */
#ifndef MOD_MINICC_H
#define MOD_MINICC_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_strings.h>

/* Twilio's form bodies are a few hundred bytes; SPEC §6 caps them at 64 KiB. */
#define MINICC_MAX_BODY (64 * 1024)

/* ---- text.c: request parameters and the text rules of SPEC §4 and §6 ---- */

/* One form parameter.  Values may hold any byte, NUL included, so they
 * travel with their lengths until they are cleaned.  A handler reads two
 * or three of Twilio's twenty parameters, so values are decoded only when
 * asked for: value is NULL until then. */
typedef struct {
    const char *name;           /* decoded */
    apr_size_t name_len;
    const char *encoded;        /* the value as sent */
    apr_size_t encoded_len;
    const char *value;          /* decoded, NUL-terminated; or NULL */
    apr_size_t value_len;
} minicc_param_t;

typedef struct {
    apr_pool_t *pool;
    const char *body;
    apr_size_t body_len;
    apr_array_header_t *raw;    /* minicc_param_t, in body order; NULL
                                 * until a parameter is first asked for */
} minicc_params_t;

/* An application/x-www-form-urlencoded body, split into parameters when
 * one is first asked for (minicc_information needs none).  Never fails:
 * malformed escapes are kept literally, a pair without '=' has an empty
 * value.  The body must be NUL-terminated (body[len] == 0) and outlive
 * the parameters. */
minicc_params_t *minicc_form_parse(apr_pool_t *p, const char *body,
                                   apr_size_t len);

/* The last parameter called name (as PHP's $_POST, which the original
 * read), its value decoded; NULL when absent. */
const minicc_param_t *minicc_param_find(minicc_params_t *params,
                                        const char *name);

/* Splits the body and decodes every value (the signature covers them
 * all); params->raw is valid after it. */
void minicc_params_decode_all(minicc_params_t *params);

/* What minicc_text_clean changed, for the log line that says so. */
#define MINICC_CLEAN_NUL      0x1   /* NUL bytes dropped */
#define MINICC_CLEAN_UTF8     0x2   /* invalid UTF-8 replaced by U+FFFD */
#define MINICC_CLEAN_CONTROL  0x4   /* control characters dropped */

/* Returns in[0..len) as a NUL-terminated string that is valid UTF-8
 * without NUL bytes; with drop_controls, also without C0 controls other
 * than tab, LF and CR, DEL, U+FFFE and U+FFFF (what XML 1.0 cannot
 * carry).  That
 * is in itself when it already is (and in[len] is its NUL), else a copy.
 * *changed gets the MINICC_CLEAN_* flags of what was done. */
const char *minicc_text_clean(apr_pool_t *p, const char *in, apr_size_t len,
                              int drop_controls, int *changed);

/* Number of characters (code points) of a valid UTF-8 string. */
apr_size_t minicc_utf8_length(const char *s);

/* Nonzero when s is a Twilio SID: two capital letters and 32 hex digits. */
int minicc_is_sid(const char *s);

/* Nonzero when s is a decimal integer that fits a signed 32-bit column. */
int minicc_is_int32(const char *s);

/* QueuePosition as the original filtered it: the digits only, without
 * leading zeros; NULL when nothing usable (no digits, zero, > 6 digits). */
const char *minicc_queue_position(apr_pool_t *p, const char *raw);

/* AvgQueueTime (seconds) as whole minutes, rounded up, at least 1;
 * -1 when raw is not a non-negative integer. */
long minicc_wait_minutes(const char *raw);

/* Replaces every "{name}" in text by value. */
const char *minicc_fill(apr_pool_t *p, const char *text, const char *name,
                        const char *value);

/* ---- signature.c: X-Twilio-Signature ---- */

/* The signature Twilio sends for a request to url with these (form)
 * parameters; NULL if libcrypto failed. */
const char *minicc_signature(apr_pool_t *p, const char *token,
                             const char *url, minicc_params_t *params);

/* Nonzero when header is the signature of the request under one of the
 * tokens, for url as given or without "user:pass@", each also without its
 * port or with the default port written out, as Twilio's own validators
 * accept. */
int minicc_signature_valid(apr_pool_t *p, const char *const *tokens,
                           int ntokens, const char *url,
                           minicc_params_t *params, const char *header);

/* ---- spoolfmt.c: the spool's records ---- */

typedef struct {
    const char *table;
    const char **values;        /* NULL for SQL NULL */
    int nvalues;
} minicc_spool_rec_t;

apr_uint32_t minicc_crc32(const char *data, apr_size_t len);

/* One self-delimiting, checksummed record. */
char *minicc_spool_encode(apr_pool_t *p, const char *table,
                          const char *const *values, int nvalues,
                          apr_size_t *len);

/* Decodes the record at buf + *off: 1 and *off past it; 0 at the end;
 * -1 for a damaged record, with *off at the next place a record may start. */
int minicc_spool_decode(apr_pool_t *p, const char *buf, apr_size_t len,
                        apr_size_t *off, minicc_spool_rec_t *rec);

/* ---- twiml.c: TwiML through libxml2's xmlTextWriter ---- */

typedef struct minicc_twiml minicc_twiml;

/* Starts a document (XML declaration, <Response>); the writer and its buffer
 * are freed by a cleanup on p, so an early return cannot leak them. */
minicc_twiml *minicc_twiml_start(apr_pool_t *p);
void minicc_twiml_open(minicc_twiml *tw, const char *element);
void minicc_twiml_attr(minicc_twiml *tw, const char *name, const char *value);
void minicc_twiml_text(minicc_twiml *tw, const char *text);
void minicc_twiml_close(minicc_twiml *tw);
/* Text in which each "{name}" is a slot: a place that a request fills
 * with a value that needs no escaping (digits), so that the rest can be
 * written, and escaped, once at startup. */
void minicc_twiml_text_slots(minicc_twiml *tw, const char *text,
                             const char *name, int value);

/* A finished document, and its slots in order. */
typedef struct {
    apr_size_t at;              /* offset in text */
    int value;                  /* which of the request's values */
} minicc_slot_t;

typedef struct {
    const char *text;
    apr_size_t len;
    const minicc_slot_t *slots;
    int nslots;
} minicc_doc_t;

/* Ends the document; NULL if libxml2 failed at any step (out of memory). */
const minicc_doc_t *minicc_twiml_finish_doc(minicc_twiml *tw);
const char *minicc_twiml_finish(minicc_twiml *tw, apr_size_t *len);
/* The document with values[slot->value] in each slot, in p. */
const char *minicc_doc_fill(apr_pool_t *p, const minicc_doc_t *doc,
                            const char *const *values, apr_size_t *len);

#ifdef MINICC_WITH_HTTPD

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <apr_dbd.h>     /* mod_dbd.h needs it first */
#include <mod_dbd.h>

/* mod_minicc.c declares the module, which brings its own. */
#ifndef MINICC_DECLARES_MODULE
APLOG_USE_MODULE(minicc);
#endif
extern module AP_MODULE_DECLARE_DATA minicc_module;

/* ---- config.c ---- */

typedef enum {
    MINICC_TABLE_ENQUEUE, MINICC_TABLE_QUEUE, MINICC_TABLE_STATUS,
    MINICC_TABLE_OPERATOR_SESSION,
    MINICC_TABLE_COUNT
} minicc_table_e;


typedef enum {
    MINICC_MSG_WELCOME, MINICC_MSG_RETRY, MINICC_MSG_NOINPUT,
    MINICC_MSG_CONNECTING, MINICC_MSG_TROUBLE, MINICC_MSG_OPERATOR,
    MINICC_MSG_WAIT, MINICC_MSG_WAIT_GENERAL, MINICC_MSG_ESTIMATE,
    MINICC_MSG_GUIDANCE, MINICC_MSG_INFORMATION,
    MINICC_MSG_COUNT
} minicc_msg_e;

typedef enum {
    MINICC_URL_INCOMING, MINICC_URL_OPERATOR, MINICC_URL_WAIT,
    MINICC_URL_GUIDANCE, MINICC_URL_EXIT, MINICC_URL_INFORMATION,
    MINICC_URL_COUNT
} minicc_url_e;

#define MINICC_UNSET (-1)

/* Per-directory settings; NULL / MINICC_UNSET mean "not set here", and the
 * minicc_conf_* accessors below supply the defaults.  A new setting goes
 * into config.c's merge and sets_nothing(), and into docs_key() if the
 * TwiML says it. */
typedef struct {
    const char *queue;
    const char *language;
    const char *voice;
    const char *hold_music;
    const char *messages[MINICC_MSG_COUNT];
    const char *urls[MINICC_URL_COUNT];
    int wait_pause;
    int gather_timeout;
    int announce_wait;
    const char *const *tokens;  /* Twilio auth tokens; NULL: not checked */
    int ntokens;
    const char *public_url;     /* scheme://host[:port] Twilio calls */
    int service_level;          /* report thresholds, seconds */
    int short_abandon;
    /* Made at startup, never merged: the TwiML of this object (NULL:
     * rendered for each request), and the merges of this section onto
     * the bases the location walk merges it onto. */
    const minicc_doc_t *docs;
    const struct minicc_merged *merged;
} minicc_dir_conf;

typedef struct minicc_merged {
    const minicc_dir_conf *base;
    const minicc_dir_conf *conf;        /* base, then this section */
    const struct minicc_merged *next;
} minicc_merged_t;

/* Multi-row upserts (batch.c): 2, 4, ... MINICC_BATCH_MAX rows at once. */
#define MINICC_BATCH_LEVELS 4
#define MINICC_BATCH_MAX (1 << MINICC_BATCH_LEVELS)

/* mod_dbd statements: one upsert per table (indexed by minicc_table_e),
 * the operator lookup, the report's, then the multi-row upserts: for table
 * t and 2 << k rows, MINICC_STMT_BATCH + t * MINICC_BATCH_LEVELS + k. */
enum {
    MINICC_STMT_OPERATOR_LOOKUP = MINICC_TABLE_COUNT,
    MINICC_STMT_REPORT_HOURS,       /* report.c's, in its order */
    MINICC_STMT_REPORT_CALLS,
    MINICC_STMT_REPORT_WAITS,
    MINICC_STMT_REPORT_OPERATORS,
    MINICC_STMT_REPORT_ABANDONED,
    MINICC_STMT_BATCH,
    MINICC_STMT_COUNT = MINICC_STMT_BATCH
                        + MINICC_TABLE_COUNT * MINICC_BATCH_LEVELS
};

typedef struct minicc_batch minicc_batch_t;
typedef struct minicc_hang minicc_hang_t;

/* What a child keeps for each server_rec, made by child_init: a virtual
 * host without directives of ours shares the main server's
 * minicc_srv_conf, but may have a mod_dbd pool (and database) of its
 * own. */
typedef struct {
    minicc_batch_t *batch;      /* its row queue (batch.c); NULL under
                                 * prefork, which has nothing to group */
    minicc_hang_t *hang;        /* whether its database hangs (db.c) */
} minicc_child_state_t;

/* Per-server state, set once at configuration time and read-only after. */
typedef struct {
    ap_dbd_t *(*dbd_acquire)(request_rec *);
    ap_dbd_t *(*dbd_open)(apr_pool_t *, server_rec *);
    void (*dbd_close)(server_rec *, ap_dbd_t *);
    const char *labels[MINICC_STMT_COUNT];
    const char *sql[MINICC_STMT_COUNT];
    const char *spool;          /* MiniCCSpool, the main server's */
    int db_timeout;             /* MiniCCDBTimeout, the main server's:
                                 * seconds; 0 unbounded, MINICC_UNSET
                                 * not set */
    apr_hash_t *child_states;   /* server_rec -> minicc_child_state_t of
                                 * this child (made by child_init,
                                 * read-only after) */
} minicc_srv_conf;

/* This child's state for the request's server; NULL before child_init. */
const minicc_child_state_t *minicc_child_state(request_rec *r);

/* How long a child leaves the database alone after it left a query
 * unanswered for MiniCCDBTimeout (db.c). */
#define MINICC_HUNG_REST apr_time_from_sec(5)

extern const command_rec minicc_cmds[];
void *minicc_create_dir_conf(apr_pool_t *p, char *dir);
void *minicc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void *minicc_create_srv_conf(apr_pool_t *p, server_rec *s);

/* At startup (post_config): for the URL of each <Location>, the merges
 * that the location walk makes, and the TwiML of their result, so that a
 * request merges nothing and renders nothing, only fills in its values. */
void minicc_docs_prepare(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
const char *minicc_conf_queue(const minicc_dir_conf *c);
const char *minicc_conf_language(const minicc_dir_conf *c);
const char *minicc_conf_hold_music(const minicc_dir_conf *c);
const char *minicc_conf_message(const minicc_dir_conf *c, minicc_msg_e key);
const char *minicc_conf_url(const minicc_dir_conf *c, minicc_url_e target);
int minicc_conf_wait_pause(const minicc_dir_conf *c);
int minicc_conf_gather_timeout(const minicc_dir_conf *c);
int minicc_conf_announce_wait(const minicc_dir_conf *c);
int minicc_conf_service_level(const minicc_dir_conf *c);
int minicc_conf_short_abandon(const minicc_dir_conf *c);
/* MiniCCDBTimeout in seconds, the default when not set; 0: unbounded. */
int minicc_conf_db_timeout(const minicc_srv_conf *sc);

/* ---- handlers.c: the webhooks and what they share ---- */

/* What a webhook answers: one of these documents, with the request's
 * values in its slots. */
typedef enum {
    MINICC_DOC_EMPTY,                   /* exit, status */
    MINICC_DOC_WELCOME,                 /* incoming: the menu */
    MINICC_DOC_RETRY,                   /* incoming: another key */
    MINICC_DOC_CONNECTING,              /* incoming: key 1 */
    MINICC_DOC_TO_INFORMATION,          /* incoming: key 2 */
    MINICC_DOC_TO_OPERATOR,             /* incoming: an operator calls */
    MINICC_DOC_TROUBLE,                 /* incoming: the lookup failed */
    MINICC_DOC_OPERATOR,
    MINICC_DOC_WAIT,                    /* + 1: the position is known, */
    MINICC_DOC_WAIT_POSITION,           /* + 2: the estimate is said */
    MINICC_DOC_WAIT_ESTIMATE,
    MINICC_DOC_WAIT_POSITION_ESTIMATE,
    MINICC_DOC_GUIDANCE,
    MINICC_DOC_INFORMATION,
    MINICC_DOC_COUNT
} minicc_doc_e;

enum { MINICC_VALUE_POSITION, MINICC_VALUE_MINUTES, MINICC_VALUE_COUNT };

typedef struct {
    request_rec *r;
    const minicc_dir_conf *conf;
    minicc_params_t *params;
    minicc_doc_e doc;                           /* the answer */
    const char *values[MINICC_VALUE_COUNT];     /* digits, for its slots */
} minicc_call_t;

/* A parameter cleaned for storage (NULs dropped, invalid UTF-8 replaced;
 * the change is logged); NULL when absent. */
const char *minicc_param(minicc_call_t *call, const char *name);

/* Every document for conf, in pconf; NULL if libxml2 failed. */
const minicc_doc_t *minicc_docs_render(apr_pool_t *pconf, apr_pool_t *ptemp,
                                       const minicc_dir_conf *conf);
/* Document id for conf: rendered at startup, or now, in p (NULL if
 * libxml2 failed). */
const minicc_doc_t *minicc_doc_of(apr_pool_t *p, const minicc_dir_conf *conf,
                                  minicc_doc_e id);

/* The webhook behind a SetHandler name, or NULL.  A webhook sets
 * call->doc and its values and returns OK, or an HTTP status for a
 * request it refuses. */
typedef int (*minicc_webhook_fn)(minicc_call_t *call);
minicc_webhook_fn minicc_find_webhook(const char *handler);

/* ---- record.c: the rows of SPEC §4 ---- */


typedef struct {
    minicc_table_e table;
    const char **values;        /* one per column, NULL for SQL NULL */
    int nvalues;
} minicc_row_t;

/* Builds the row a webhook records, applying SPEC §4's rules (integers,
 * SIDs, lengths); NULL when the CallSid is not a SID. */
minicc_row_t *minicc_row_from_call(minicc_call_t *call, minicc_table_e table);
const char *minicc_table_name(minicc_table_e table);
int minicc_table_ncolumns(minicc_table_e table);
/* The table called name; MINICC_TABLE_COUNT when there is none. */
minicc_table_e minicc_table_by_name(const char *name);
const char *minicc_row_describe(apr_pool_t *p, const minicc_row_t *row);
/* Where a row goes in a multi-row statement: by QueueTime (none first).
 * The triggers of sql/minicc.sql lock summary rows keyed by QueueTime;
 * statements that all take them in the same order never deadlock. */
long minicc_row_order(const minicc_row_t *row);

/* The SQL that upserts nrows rows of table, with mod_dbd's %s
 * placeholders (the rows' values one after the other). */
const char *minicc_table_upsert_sql(apr_pool_t *p, minicc_table_e table,
                                    int nrows);
const char *minicc_table_label(minicc_table_e table);

/* ---- db.c: mod_dbd ---- */

/* Registers every statement with mod_dbd for every server; an error
 * string when mod_dbd is not loaded. */
const char *minicc_db_configure(apr_pool_t *pconf, server_rec *s);

/* Hooks mod_dbd's post_connect, so that connections remember their
 * session (see db.c). */
void minicc_db_register_hooks(void);
/* A child's memory of a database that hangs, with a lock when the MPM
 * runs threads; NULL when the lock cannot be made (logged). */
minicc_hang_t *minicc_db_hang_create(apr_pool_t *pchild, server_rec *s,
                                     int threaded);
/* Whether this request may ask the database: after a query of this child
 * went unanswered, none may for MINICC_HUNG_REST, then one at a time
 * until one is answered (a refusal logged). */
int minicc_db_may_ask(request_rec *r, const char *doing);
/* When a query of this child last went unanswered (0: none since one was
 * answered): a change says a hang was met in between. */
apr_time_t minicc_db_hang_time(request_rec *r);

/* Takes this request's pooled connection early, its statements made
 * current: mod_authn_dbd, which runs before the handler, then gets a
 * connection whose statements survived a database restart.  Zero when
 * there is no connection. */
int minicc_db_prepare_request(request_rec *r);

typedef enum { MINICC_CUSTOMER = 0, MINICC_OPERATOR = 1,
               MINICC_LOOKUP_FAILED = -1 } minicc_caller_e;
minicc_caller_e minicc_db_is_operator(request_rec *r, const char *telnum);

/* Writes a row (through this child's batch queue when there is one): 0,
 * -1 without a connection, else the MySQL error number (each failure
 * logged once). */
int minicc_db_write(request_rec *r, const minicc_row_t *row);
/* Writes n rows of one table on this request's connection, in as few
 * statements as the prepared sizes allow; errs[i] as minicc_db_write's
 * for rows[i].  A row the database refuses for good is tried alone, so
 * that it does not take the others with it. */
void minicc_db_write_rows(request_rec *r, const minicc_row_t *const *rows,
                          int n, int *errs);
/* The same on a connection the caller holds (from minicc_db_open). */
void minicc_db_write_rows_on(request_rec *r, ap_dbd_t *dbd,
                             const minicc_row_t *const *rows, int n,
                             int *errs);

/* A connection the caller keeps beyond this request (batch.c), from
 * mod_dbd's pool, its statements current; NULL when there is none
 * (logged).  Give it back with minicc_db_close. */
ap_dbd_t *minicc_db_open(request_rec *r, const char *doing);
/* The connection this request already took from mod_dbd, or NULL. */
ap_dbd_t *minicc_db_request_connection(request_rec *r);
/* Pings a kept connection that sat idle, as mod_dbd does when it hands
 * one out, and makes its statements current: zero when it is unusable. */
int minicc_db_recheck(request_rec *r, ap_dbd_t *dbd, const char *doing);
void minicc_db_close(server_rec *s, ap_dbd_t *dbd);
/* How many connections of the pool the connection came from may be kept
 * by batch.c: DBDKeep, and always one fewer than DBDMax. */
int minicc_db_pool_keep(ap_dbd_t *dbd);
/* The same on a connection the spool's replay holds. */
int minicc_db_write_on(server_rec *s, apr_pool_t *p, ap_dbd_t *dbd,
                       minicc_table_e table, const char **values,
                       int nvalues);
/* Runs a SELECT; its rows as arrays of ncols strings (NULL for SQL NULL),
 * or NULL when it failed (logged). */
apr_array_header_t *minicc_db_select(request_rec *r, int id, int nargs,
                                     const char **args, int ncols);

/* Nonzero when err is about the row itself: retrying cannot help. */
int minicc_db_error_is_permanent(int err);

/* ---- batch.c: group commit of the rows of concurrent webhooks ---- */

/* A child's row queue for server s (threaded MPMs); NULL when its lock
 * cannot be made (logged). */
minicc_batch_t *minicc_batch_create(apr_pool_t *pchild, server_rec *s);
/* Runs fn on a connection the child keeps between requests (no mod_dbd
 * ping for one used within the last second); when fn says a kept
 * connection did not work (nonzero: it did), once more on a fresh one.
 * fn's answer, or -1 when there was no connection (logged). */
typedef int (*minicc_batch_fn)(request_rec *r, ap_dbd_t *dbd, void *baton);
int minicc_batch_run(request_rec *r, minicc_batch_t *b, const char *doing,
                     minicc_batch_fn fn, void *baton);
/* Writes row together with the rows other threads are writing at the same
 * moment; returns when its statement returned, as minicc_db_write. */
int minicc_batch_write(request_rec *r, minicc_batch_t *b,
                       const minicc_row_t *row);

/* ---- report.c: minicc-report ---- */

const char *minicc_report_statement(int id, const char **label);
int minicc_report_handler(request_rec *r);

/* ---- spool.c: nothing lost while the database is away ---- */

/* Records a webhook's row: in the database now or, failing that, in the
 * spool until the database is back. */
void minicc_record(request_rec *r, const minicc_row_t *row);

const char *minicc_spool_check(apr_pool_t *ptemp, server_rec *s);
int minicc_spool_post_config(apr_pool_t *ptemp, server_rec *s);
void minicc_spool_child_init(apr_pool_t *pchild, server_rec *s);

/* Rows waiting in the spool, and the arrival time of the oldest (NULL
 * when none); -1 when there is no spool or it cannot be read. */
int minicc_spool_backlog(apr_pool_t *p, server_rec *s, const char **oldest);

#endif /* MINICC_WITH_HTTPD */

#endif /* MOD_MINICC_H */
