/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The directives (doc/contract.txt, 3): per-directory, merged from outer to
 * inner, and two server-wide ones.  Every value is checked here, so that
 * a mistake stops `apachectl configtest` instead of reaching a caller.
 * The directives of one value are the lines of MINICC_SETTINGS
 * (minicc_config.h); everything here goes over all of them.
 */
#include <apr_lib.h>
#include <apr_uri.h>

#include "mod_minicc_private.h"
#include "minicc_config.h"
#include "minicc_text.h"

#include <http_core.h>
#include <ap_mpm.h>

/* The messages' keys and default texts, and the URL targets' names and
 * defaults: one line each of minicc_config.h's MINICC_MESSAGES and
 * MINICC_URLS. */
#define MESSAGE_KEY(id, key, en, ja) key,
#define MESSAGE_TEXT(id, key, en, ja) en,
#define MESSAGE_TEXT_JA(id, key, en, ja) ja,
static const char *const message_keys[MINICC_MSG_COUNT] = {
    MINICC_MESSAGES(MESSAGE_KEY)
};
static const char *const default_messages[MINICC_MSG_COUNT] = {
    MINICC_MESSAGES(MESSAGE_TEXT)
};
static const char *const default_messages_ja[MINICC_MSG_COUNT] = {
    MINICC_MESSAGES(MESSAGE_TEXT_JA)
};

/* Relative on purpose: Twilio resolves them against the URL it requested,
 * so handlers side by side in one folder of URLs need no configuration. */
#define URL_NAME(id, name) name,
static const char *const url_targets[MINICC_URL_COUNT] = {
    MINICC_URLS(URL_NAME)
};

/* Twilio waits 15 s for an answer; a caller must hear one before that,
 * even when the database hangs.  A webhook that met the hang can wait up
 * to about three of these (a pooled connection's ping, its reconnect,
 * then a new connection; see db.c): 4 s at most keeps that under 15 s. */
#define DEFAULT_DB_TIMEOUT     2
#define MAX_DB_TIMEOUT         4

/* How the value of a MINICC_SETTINGS directive is read: into text (as
 * given, or normalised) and number; an error string for configtest. */
typedef struct setting setting_t;
typedef const char *(*parse_fn)(cmd_parms *cmd, const setting_t *s,
                                const char *arg, const char **text,
                                int *number);

struct setting {
    const char *name;
    parse_fn parse;
    int min, max;
    const char *text;           /* the default, NULL: none */
    int number;
};

void *minicc_create_dir_conf(apr_pool_t *p, char *dir)
{
    (void)dir;
    return apr_pcalloc(p, sizeof(minicc_dir_conf));
}

typedef struct minicc_merged {
    const minicc_dir_conf *base;
    const minicc_dir_conf *conf;        /* base, then this section */
    const struct minicc_merged *next;
} minicc_merged_t;

/* The merge of add onto base made at startup, or NULL. */
static const minicc_dir_conf *merged_at_startup(const minicc_dir_conf *base,
                                                const minicc_dir_conf *add)
{
    const minicc_merged_t *m;

    for (m = add->merged; m; m = m->next) {
        if (m->base == base) {
            return m->conf;
        }
    }
    return NULL;
}

#define MERGE_PTR(f)  new->f = add->f ? add->f : base->f
/* a list and its length, taken whole from the section that set it */
#define MERGE_LIST(f, n) do { \
        const minicc_dir_conf *from_ = add->f ? add : base; \
        new->f = from_->f; \
        new->n = from_->n; \
    } while (0)

void *minicc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const minicc_dir_conf *base = basev, *add = addv;
    const minicc_dir_conf *made = merged_at_startup(base, add);
    minicc_dir_conf *new;
    int i;

    if (made) {
        /* read-only, as every request's configuration */
        return (void *)made;
    }
    new = apr_pcalloc(p, sizeof(*new));
    for (i = 0; i < MINICC_SETTING_COUNT; i++) {
        const minicc_dir_conf *from = add->text[i] ? add : base;

        new->text[i] = from->text[i];
        new->number[i] = from->number[i];
    }
    for (i = 0; i < MINICC_MSG_COUNT; i++) {
        MERGE_PTR(messages[i]);
    }
    for (i = 0; i < MINICC_URL_COUNT; i++) {
        MERGE_PTR(urls[i]);
    }
    MERGE_PTR(hours);
    MERGE_LIST(reasons, nreasons);
    MERGE_LIST(tokens, ntokens);
    MERGE_LIST(menu, nmenu);
    MERGE_LIST(levels, nlevels);
    return new;
}

/* Whether no directive of ours was given in c's section. */
static int sets_nothing(const minicc_dir_conf *c)
{
    int i;

    for (i = 0; i < MINICC_SETTING_COUNT; i++) {
        if (c->text[i]) {
            return 0;
        }
    }
    for (i = 0; i < MINICC_MSG_COUNT; i++) {
        if (c->messages[i]) {
            return 0;
        }
    }
    for (i = 0; i < MINICC_URL_COUNT; i++) {
        if (c->urls[i]) {
            return 0;
        }
    }
    return !c->tokens && !c->hours && !c->reasons && !c->menu && !c->levels;
}

/* A merge with a section that sets nothing is the other side as it is:
 * most sections of a server are not ours, and a server may have many
 * virtual hosts. */
minicc_dir_conf *minicc_conf_merge_once(apr_pool_t *pconf,
                                        minicc_dir_conf *base,
                                        minicc_dir_conf *add)
{
    const minicc_dir_conf *made = merged_at_startup(base, add);
    minicc_merged_t *m;

    if (made) {
        return (minicc_dir_conf *)made;
    }
    m = apr_palloc(pconf, sizeof(*m));
    m->base = base;
    m->conf = sets_nothing(add) ? base
            : sets_nothing(base) ? add
            : minicc_merge_dir_conf(pconf, base, add);
    m->next = add->merged;
    add->merged = m;
    return (minicc_dir_conf *)m->conf;
}

void *minicc_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    minicc_srv_conf *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->db_timeout = DEFAULT_DB_TIMEOUT;
    return sc;
}

/* Its settings are server-wide (GLOBAL_ONLY): a virtual host has the main
 * server's. */
void *minicc_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const minicc_srv_conf *base = basev;
    minicc_srv_conf *new = apr_pcalloc(p, sizeof(*new));

    (void)addv;
    new->spool = base->spool;
    new->db_timeout = base->db_timeout;
    new->retention_days = base->retention_days;
    return new;
}

/* Whether a DBDParams value sets pass to the samples' password, read as
 * apr-util's mysql driver reads it (dbd_mysql_open): at each '=', the key
 * is the letters before it (spaces skipped), the first of host, user,
 * pass ... that it begins, case-insensitively; the value runs from the
 * first non-space after it to the first of the driver's delimiters. */
static int sets_sample_password(const char *params)
{
    static const char delims[] = " \r\n\t;|,";
    static const char sample[] = MINICC_SAMPLE_PASSWORD;
    const char *eq, *key, *value;
    apr_size_t klen, vlen;

    /* after a value, the next key is looked for past it, as the driver
     * does: "user=p=x" sets user to "p=x" */
    for (eq = strchr(params, '='); eq; eq = strchr(value + vlen, '=')) {
        for (key = eq; key > params && apr_isspace(key[-1]); key--) {
        }
        for (klen = 0; key > params && apr_isalpha(key[-1]); key--) {
            klen++;
        }
        for (value = eq + 1; apr_isspace(*value); value++) {
        }
        vlen = strcspn(value, delims);
        /* "h", "u" and no key at all are host's and user's (the driver
         * takes the first field the key begins); any start of "pass" is
         * pass */
        if (klen && klen <= 4 && !strncasecmp(key, "pass", klen)
            && vlen == sizeof(sample) - 1 && !strncmp(value, sample, vlen)) {
            return 1;
        }
    }
    return 0;
}

/* A DBDParams that sets the samples' password, anywhere in the
 * configuration read (Include'd files and <VirtualHost> included;
 * <IfModule> and <IfDefine> that did not apply are not in the tree). */
static const ap_directive_t *sample_password_in(apr_pool_t *p,
                                                const ap_directive_t *d)
{
    const ap_directive_t *found;

    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "DBDParams") && d->args) {
            const char *args = d->args;

            if (sets_sample_password(ap_getword_conf(p, &args))) {
                return d;
            }
        }
        if (d->first_child
            && (found = sample_password_in(p, d->first_child))) {
            return found;
        }
    }
    return NULL;
}

/* The database would refuse every connection, and the mistake would show
 * only at the first call: configtest says it now. */
const char *minicc_conf_sample_password(apr_pool_t *p)
{
    const ap_directive_t *d = sample_password_in(p, ap_conftree);

    if (!d) {
        return NULL;
    }
    return apr_psprintf(p, "DBDParams (%s, line %d) still has the sample's "
                        "pass=" MINICC_SAMPLE_PASSWORD ": give the database "
                        "user minicc a password of your own (README, "
                        "\"Installing\") and put it there",
                        d->filename, d->line_num);
}

minicc_srv_conf *minicc_srv_conf_of(server_rec *s)
{
    return ap_get_module_config(s->module_config, &minicc_module);
}

/* ---- reading the values ---- */

/* Text that will be spoken: it must survive the trip into XML unchanged,
 * so reject what the writer would have to drop. */
static const char *check_text(cmd_parms *cmd, const char *what,
                              const char *text)
{
    int changed;

    if (!*text) {
        return apr_psprintf(cmd->pool, "%s: the text must not be empty",
                            what);
    }
    minicc_text_clean(cmd->temp_pool, text, strlen(text), 1, &changed);
    if (changed) {
        return apr_psprintf(cmd->pool, "%s: the text is not valid UTF-8 "
                            "or holds control characters", what);
    }
    return NULL;
}

static const char *parse_queue(cmd_parms *cmd, const setting_t *s,
                               const char *arg, const char **text,
                               int *number)
{
    const char *err = check_text(cmd, s->name, arg);

    (void)number;
    if (err) {
        return err;
    }
    /* Twilio's own limit for a queue's friendly name; the one check the
     * queue= of a URL and the report's filter pass */
    if (!minicc_conf_queue_name_ok(arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is longer than Twilio's "
                            "%d characters for a queue name, or holds a tab "
                            "or a line's end", s->name, arg, s->max);
    }
    *text = arg;
    return NULL;
}

/* A Twilio SID of its kind (AC, SK, AP and 32 hex digits). */
static const char *parse_sid_of(cmd_parms *cmd, const setting_t *s,
                                const char *arg, const char **text,
                                const char *prefix)
{
    if (!minicc_is_sid(arg) || strncmp(arg, prefix, 2)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a Twilio SID %s "
                            "followed by 32 hexadecimal digits", s->name, arg,
                            prefix);
    }
    *text = arg;
    return NULL;
}

static const char *parse_account_sid(cmd_parms *cmd, const setting_t *s,
                                     const char *arg, const char **text,
                                     int *number)
{
    (void)number;
    return parse_sid_of(cmd, s, arg, text, "AC");
}

static const char *parse_key_sid(cmd_parms *cmd, const setting_t *s,
                                 const char *arg, const char **text,
                                 int *number)
{
    (void)number;
    return parse_sid_of(cmd, s, arg, text, "SK");
}

static const char *parse_app_sid(cmd_parms *cmd, const setting_t *s,
                                 const char *arg, const char **text,
                                 int *number)
{
    (void)number;
    return parse_sid_of(cmd, s, arg, text, "AP");
}

/* The lines of a secret's file, read at startup while Apache is still
 * root, so that only root need read it: each line without the spaces at
 * its ends, blank lines and # comments skipped; at most max of them
 * (lines[max]), *n set.  Messages name the file (resolved), never a line. */
static const char *read_secret_lines(cmd_parms *cmd, const char *what,
                                     const char *arg, int max,
                                     const char **lines, int *n,
                                     const char **path)
{
    apr_file_t *f;
    char line[512];
    apr_status_t rv;

    *n = 0;
    *path = ap_server_root_relative(cmd->temp_pool, arg);
    if (!*path) {
        return apr_psprintf(cmd->pool, "%s: bad path '%s'", what, arg);
    }
    rv = apr_file_open(&f, *path, APR_FOPEN_READ, APR_OS_DEFAULT,
                       cmd->temp_pool);
    if (rv != APR_SUCCESS) {
        char buf[120];

        return apr_psprintf(cmd->pool, "%s: cannot read '%s': %s", what,
                            *path, apr_strerror(rv, buf, sizeof(buf)));
    }
    while (apr_file_gets(line, sizeof(line), f) == APR_SUCCESS) {
        char *t = line, *end;

        while (apr_isspace(*t)) {
            t++;
        }
        end = t + strlen(t);
        while (end > t && apr_isspace(end[-1])) {
            *--end = '\0';
        }
        if (!*t || *t == '#') {
            continue;
        }
        if (*n == max) {
            apr_file_close(f);
            return apr_psprintf(cmd->pool, "%s: '%s' holds more than %s",
                                what, *path,
                                max == 1 ? "one line" : "two lines");
        }
        lines[(*n)++] = apr_pstrdup(cmd->pool, t);
    }
    apr_file_close(f);
    return NULL;
}

/* The API key's secret: the one line of its file, one word; the text kept
 * is the secret, never said in a message (the file's path is). */
static const char *parse_secret_file(cmd_parms *cmd, const setting_t *s,
                                     const char *arg, const char **text,
                                     int *number)
{
    const char *path, *err;
    int n;

    (void)number;
    err = read_secret_lines(cmd, s->name, arg, 1, text, &n, &path);
    if (!err && (!n || strpbrk(*text, " \t"))) {
        err = apr_psprintf(cmd->pool, "%s: '%s' does not hold a secret (one "
                           "word on a line)", s->name, path);
    }
    return err;
}

static int is_language_tag(const char *tag)
{
    const char *p = tag;
    int first = 1;

    for (;;) {
        const char *sub = p;

        while (first ? apr_isalpha(*p) : apr_isalnum(*p)) {
            p++;
        }
        if (first ? (p - sub < 2 || p - sub > 3) : (p - sub < 1 || p - sub > 8)) {
            return 0;
        }
        if (!*p) {
            return 1;
        }
        if (*p++ != '-') {
            return 0;
        }
        first = 0;
    }
}

static const char *parse_language(cmd_parms *cmd, const setting_t *s,
                                  const char *arg, const char **text,
                                  int *number)
{
    (void)number;
    if (!is_language_tag(arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a language tag "
                            "such as en-US or ja-JP", s->name, arg);
    }
    *text = arg;
    return NULL;
}

static const char *parse_voice(cmd_parms *cmd, const setting_t *s,
                               const char *arg, const char **text,
                               int *number)
{
    const char *p;

    (void)number;
    for (p = arg; *p; p++) {
        if (!apr_isalnum(*p) && *p != '.' && *p != '-' && *p != '_') {
            break;
        }
    }
    if (!*arg || *p) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a voice name such "
                            "as alice or Polly.Mizuki", s->name, arg);
    }
    *text = arg;
    return NULL;
}

/* A URL for TwiML: absolute http(s) with a host, or relative (Twilio
 * resolves it against the URL it requested). */
static const char *check_url(cmd_parms *cmd, const char *what,
                             const char *url)
{
    apr_uri_t uri;
    const char *p;

    for (p = url; *p; p++) {
        if (apr_isspace(*p) || apr_iscntrl(*p) || (unsigned char)*p > 0x7E) {
            break;
        }
    }
    if (!*url || *p || apr_uri_parse(cmd->temp_pool, url, &uri) != APR_SUCCESS
        || (uri.scheme && (!uri.hostname || !*uri.hostname
                           || (strcasecmp(uri.scheme, "http")
                               && strcasecmp(uri.scheme, "https"))))) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a relative URL or "
                            "an absolute http(s) URL", what, url);
    }
    return NULL;
}

static const char *parse_url(cmd_parms *cmd, const setting_t *s,
                             const char *arg, const char **text, int *number)
{
    const char *err = check_url(cmd, s->name, arg);

    (void)number;
    if (!err) {
        *text = arg;
    }
    return err;
}

/* The SDK's address goes into the page's Content-Security-Policy as it is
 * (agent.c): a path from / or an absolute URL, without a query, a
 * fragment or what would end a CSP source. */
static const char *parse_sdk_url(cmd_parms *cmd, const setting_t *s,
                                 const char *arg, const char **text,
                                 int *number)
{
    const char *err = check_url(cmd, s->name, arg);

    (void)number;
    if (!err && ((arg[0] != '/' && !strstr(arg, "://")) || arg[1] == '/'
                 || strpbrk(arg, ";,'\"?#"))) {
        err = apr_psprintf(cmd->pool, "%s: '%s' is not a path from / or an "
                           "http(s) URL without ; , quotes, ? or #",
                           s->name, arg);
    }
    if (!err) {
        *text = arg;
    }
    return err;
}

/* Only scheme://host[:port]: the path and query are the request's own. */
static const char *parse_public_url(cmd_parms *cmd, const setting_t *s,
                                    const char *arg, const char **text,
                                    int *number)
{
    apr_uri_t uri;
    char *url = apr_pstrdup(cmd->pool, arg);
    apr_size_t len = strlen(url);

    (void)number;
    while (len > 0 && url[len - 1] == '/') {
        url[--len] = '\0';
    }
    if (apr_uri_parse(cmd->temp_pool, url, &uri) != APR_SUCCESS
        || !uri.scheme || !uri.hostname || !*uri.hostname || uri.query
        || uri.fragment
        || (uri.path && *uri.path)
        || (strcasecmp(uri.scheme, "http") && strcasecmp(uri.scheme, "https"))
        || strpbrk(url, " \t\r\n")) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not scheme://host[:port],"
                            " the address Twilio calls (e.g. "
                            "https://cc.example.com)", s->name, arg);
    }
    *text = url;
    return NULL;
}

static const char *parse_number(cmd_parms *cmd, const char *name,
                                const char *arg, int min, int max, int *out)
{
    const char *p = arg;

    for (; *p; p++) {
        if (!apr_isdigit(*p)) {
            break;
        }
    }
    if (!*arg || *p || p - arg > 6 || atoi(arg) < min || atoi(arg) > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds "
                            "from %d to %d", name, arg, min, max);
    }
    *out = atoi(arg);
    return NULL;
}

/* A number of callers. */
static const char *parse_count(cmd_parms *cmd, const setting_t *s,
                               const char *arg, const char **text,
                               int *number)
{
    const char *p = arg;

    for (; *p; p++) {
        if (!apr_isdigit(*p)) {
            break;
        }
    }
    if (!*arg || *p || p - arg > 6 || atoi(arg) < s->min
        || atoi(arg) > s->max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number from %d to "
                            "%d", s->name, arg, s->min, s->max);
    }
    *number = atoi(arg);
    *text = arg;
    return NULL;
}

static const char *parse_seconds(cmd_parms *cmd, const setting_t *s,
                                 const char *arg, const char **text,
                                 int *number)
{
    const char *err = parse_number(cmd, s->name, arg, s->min, s->max,
                                   number);

    if (!err) {
        *text = arg;
    }
    return err;
}

/* A key of the phone's keypad that a Gather of one digit can take (# ends
 * a Gather). */
static const char *parse_key(cmd_parms *cmd, const setting_t *s,
                             const char *arg, const char **text, int *number)
{
    (void)number;
    if (strlen(arg) != 1 || (!apr_isdigit(*arg) && *arg != '*')) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not one key: 0 to 9 "
                            "or *", s->name, arg);
    }
    *text = arg;
    return NULL;
}

/* The language of the messages' defaults: en (0) or ja (1). */
static const char *parse_language_of_messages(cmd_parms *cmd,
                                              const setting_t *s,
                                              const char *arg,
                                              const char **text, int *number)
{
    if (strcmp(arg, "en") && strcmp(arg, "ja")) {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither en (English) "
                            "nor ja (Japanese)", s->name, arg);
    }
    *text = arg;
    *number = !strcmp(arg, "ja");
    return NULL;
}

/* An On|Off directive: Apache reads it (AP_INIT_FLAG), set_flag keeps it. */
#define parse_flag NULL

/* For tests only: "YYYY-MM-DD HH:MM:SS", the moment a request is judged at
 * by MiniCCHours and the holidays. */
static const char *parse_test_time(cmd_parms *cmd, const setting_t *s,
                                   const char *arg, const char **text,
                                   int *number)
{
    (void)number;
    if (!minicc_time_local_check(arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a local time as "
                            "YYYY-MM-DD HH:MM:SS", s->name, arg);
    }
    *text = arg;
    return NULL;
}

/* For tests only: "YYYY-MM-DD HH:MM:SS[.ffffff]Z", a moment in UTC (so
 * that an hour that a change of clocks repeats is no ambiguity), or the
 * word header: each request's own X-MiniCC-Test-Clock (bench/day). */
static const char *parse_test_clock(cmd_parms *cmd, const setting_t *s,
                                    const char *arg, const char **text,
                                    int *number)
{
    apr_time_t t;

    (void)number;
    if (strcmp(arg, MINICC_TEST_CLOCK_HEADER_WORD)
        && !minicc_time_clock_parse(arg, &t)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a moment in UTC as "
                            "YYYY-MM-DD HH:MM:SS[.ffffff]Z, nor the word "
                            "%s", s->name, arg,
                            MINICC_TEST_CLOCK_HEADER_WORD);
    }
    *text = arg;
    return NULL;
}

#define SETTING(id, name, parse, min, max, text, number, help) \
    [MINICC_##id] = { name, parse_##parse, min, max, text, number },
static const setting_t settings[MINICC_SETTING_COUNT] = {
    MINICC_SETTINGS(SETTING)
};

static const char *set_setting(cmd_parms *cmd, void *dconf, const char *arg)
{
    minicc_dir_conf *c = dconf;
    const setting_t *s = cmd->info;
    minicc_setting_e id = (minicc_setting_e)(s - settings);
    const char *text = NULL;
    int number = 0;
    const char *err = s->parse(cmd, s, arg, &text, &number);

    if (!err) {
        c->text[id] = text;
        c->number[id] = number;
    }
    return err;
}

static const char *set_flag(cmd_parms *cmd, void *dconf, int on)
{
    minicc_dir_conf *c = dconf;
    minicc_setting_e id = (minicc_setting_e)((const setting_t *)cmd->info
                                             - settings);

    c->text[id] = on ? "On" : "Off";
    c->number[id] = on;
    return NULL;
}

const char *minicc_conf_text(const minicc_dir_conf *c, minicc_setting_e id)
{
    return c->text[id] ? c->text[id] : settings[id].text;
}

const char *minicc_conf_setting_name(minicc_setting_e id)
{
    return settings[id].name;
}

int minicc_conf_number(const minicc_dir_conf *c, minicc_setting_e id)
{
    return c->text[id] ? c->number[id] : settings[id].number;
}

const char *minicc_conf_message(const minicc_dir_conf *c, minicc_msg_e key)
{
    if (c->messages[key]) {
        return c->messages[key];
    }
    return minicc_conf_number(c, MINICC_MESSAGE_DEFAULTS)
        ? default_messages_ja[key] : default_messages[key];
}

const char *minicc_conf_url(const minicc_dir_conf *c, minicc_url_e target)
{
    return c->urls[target] ? c->urls[target] : url_targets[target];
}

/* Each value after its length, so that equal keys mean equal settings;
 * "-" for a setting without a value (no MiniCCVoice, say). */
const char *minicc_conf_key(apr_pool_t *p, const minicc_dir_conf *c)
{
    const char *key = "";
    int i;

    for (i = 0; i < MINICC_SETTING_COUNT; i++) {
        const char *v = minicc_conf_text(c, i);

        key = v ? apr_psprintf(p, "%s %" APR_SIZE_T_FMT ":%s %d", key,
                               strlen(v), v, minicc_conf_number(c, i))
                : apr_pstrcat(p, key, " -", NULL);
    }
    for (i = 0; i < MINICC_MSG_COUNT; i++) {
        const char *v = minicc_conf_message(c, i);

        key = apr_psprintf(p, "%s %" APR_SIZE_T_FMT ":%s", key, strlen(v), v);
    }
    for (i = 0; i < MINICC_URL_COUNT; i++) {
        const char *v = minicc_conf_url(c, i);

        key = apr_psprintf(p, "%s %" APR_SIZE_T_FMT ":%s", key, strlen(v), v);
    }
    for (i = 0; i < c->nreasons; i++) {
        key = apr_psprintf(p, "%s %c%" APR_SIZE_T_FMT ":%s", key,
                           c->reasons[i].key, strlen(c->reasons[i].name),
                           c->reasons[i].name);
    }
    for (i = 0; i < c->nmenu; i++) {
        const char *t = c->menu[i].target ? c->menu[i].target : "";

        key = apr_psprintf(p, "%s m%c%d%" APR_SIZE_T_FMT ":%s", key,
                           c->menu[i].key, (int)c->menu[i].what, strlen(t),
                           t);
    }
    return key;
}

/* ---- operators' states ---- */

int minicc_conf_operator_menu(const minicc_dir_conf *c)
{
    if (c->text[MINICC_OPERATOR_MENU]) {
        return c->number[MINICC_OPERATOR_MENU];
    }
    return minicc_conf_number(c, MINICC_WRAP_UP) > 0 || c->nreasons > 0;
}

int minicc_conf_operator_states(const minicc_dir_conf *c)
{
    return minicc_conf_operator_menu(c)
        || minicc_conf_number(c, MINICC_WRAP_UP) > 0;
}

const char *minicc_conf_reason(const minicc_dir_conf *c, char key)
{
    int i;

    for (i = 0; i < c->nreasons; i++) {
        if (c->reasons[i].key == key) {
            return c->reasons[i].name;
        }
    }
    return NULL;
}

/* One "KEY Name" of MiniCCBreakReasons, added to what the section said
 * before: a key from 1 to 9 (0 and the menu's own # and * stay free),
 * each once, and a name of 1 to 64 characters, as operator_states.Reason
 * holds it. */
static const char *set_break_reason(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    minicc_dir_conf *c = dconf;
    minicc_reason_t *all;
    const char *name = arg + 1;
    int changed = 0;

    while (*name == ' ' || *name == '\t') {
        name++;
    }
    if (!(arg[0] >= '1' && arg[0] <= '9') || name == arg + 1 || !*name) {
        return apr_psprintf(cmd->pool, "MiniCCBreakReasons: '%s' is not a "
                            "key from 1 to 9, a space and a name, as in "
                            "\"1 Lunch\"", arg);
    }
    if (minicc_conf_reason(c, arg[0])) {
        return apr_psprintf(cmd->pool, "MiniCCBreakReasons: the key %c is "
                            "given twice", arg[0]);
    }
    if (minicc_utf8_length(name) > 64
        || strcmp(minicc_text_clean(cmd->temp_pool, name, strlen(name), 1,
                                    &changed), name) || changed) {
        return apr_psprintf(cmd->pool, "MiniCCBreakReasons: the name of %c "
                            "must be 1 to 64 characters of UTF-8 without "
                            "control characters", arg[0]);
    }
    all = apr_palloc(cmd->pool, sizeof(*all) * (c->nreasons + 1));
    if (c->nreasons) {
        memcpy(all, c->reasons, sizeof(*all) * c->nreasons);
    }
    all[c->nreasons].key = arg[0];
    all[c->nreasons].name = apr_pstrdup(cmd->pool, name);
    c->reasons = all;
    c->nreasons++;
    return NULL;
}

/* ---- the callers' menu and its queues (doc/contract.txt 15) ---- */

static const minicc_menu_t default_menu[] = {
    { '1', MINICC_MENU_QUEUE, NULL },
    { '2', MINICC_MENU_INFORMATION, NULL }
};

const minicc_menu_t *minicc_conf_menu(const minicc_dir_conf *c, int *n)
{
    if (!c->menu) {
        *n = (int)(sizeof(default_menu) / sizeof(default_menu[0]));
        return default_menu;
    }
    *n = c->nmenu;
    return c->menu;
}

const minicc_menu_t *minicc_conf_menu_key(const minicc_dir_conf *c, char key)
{
    int n, i;
    const minicc_menu_t *menu = minicc_conf_menu(c, &n);

    for (i = 0; i < n; i++) {
        if (menu[i].key == key) {
            return &menu[i];
        }
    }
    return NULL;
}

const char *minicc_conf_first_queue(const minicc_dir_conf *c)
{
    int n, i;
    const minicc_menu_t *menu = minicc_conf_menu(c, &n);

    for (i = 0; i < n; i++) {
        if (menu[i].what == MINICC_MENU_QUEUE && menu[i].target) {
            return menu[i].target;
        }
        if (menu[i].what == MINICC_MENU_QUEUE) {
            break;
        }
    }
    return minicc_conf_text(c, MINICC_QUEUE);
}

int minicc_conf_service_level(const minicc_dir_conf *c, const char *queue)
{
    int i;

    for (i = 0; queue && i < c->nlevels; i++) {
        if (!strcmp(c->levels[i].queue, queue)) {
            return c->levels[i].seconds;
        }
    }
    return minicc_conf_number(c, MINICC_SERVICE_LEVEL);
}

int minicc_conf_queue_name_ok(const char *queue)
{
    return queue && *queue && minicc_utf8_length(queue) <= 64
           && minicc_text_is_clean(queue);
}

/* The URLs of a queue's own requests, which say the queue (the survey's:
 * its row's Queue, doc/contract.txt 16). */
static const minicc_url_e queue_urls[] = {
    MINICC_URL_WAIT, MINICC_URL_EXIT, MINICC_URL_GUIDANCE, MINICC_URL_CALLBACK,
    MINICC_URL_SURVEY
};

static minicc_dir_conf *make_queue_conf(apr_pool_t *p,
                                        const minicc_dir_conf *c,
                                        const char *queue)
{
    minicc_dir_conf *q = apr_pmemdup(p, c, sizeof(*c));
    const char *arg = apr_pstrcat(p, MINICC_QUEUE_ARG "=",
                                  minicc_form_escape(p, queue), NULL);
    apr_size_t i;

    q->text[MINICC_QUEUE] = queue;
    q->queue = queue;
    q->origin = c;
    for (i = 0; i < sizeof(queue_urls) / sizeof(queue_urls[0]); i++) {
        const char *url = minicc_conf_url(c, queue_urls[i]);

        q->urls[queue_urls[i]] = apr_pstrcat(p, url,
                                             strchr(url, '?') ? "&" : "?",
                                             arg, NULL);
    }
    q->docs = NULL;
    q->merged = NULL;
    q->queues = NULL;
    return q;
}

/* c for queue as made at startup (c itself for its MiniCCQueue), or
 * NULL. */
static const minicc_dir_conf *made_queue_conf(const minicc_dir_conf *c,
                                              const char *queue)
{
    const minicc_queue_confs_t *made;

    if (!queue || !strcmp(queue, minicc_conf_text(c, MINICC_QUEUE))) {
        return c;
    }
    if (c->origin) {
        c = c->origin;
        if (!strcmp(queue, minicc_conf_text(c, MINICC_QUEUE))) {
            return c;
        }
    }
    for (made = c->queues; made; made = made->next) {
        if (!strcmp(made->conf->queue, queue)) {
            return made->conf;
        }
    }
    return NULL;
}

const minicc_dir_conf *minicc_conf_queue(apr_pool_t *p,
                                         const minicc_dir_conf *c,
                                         const char *queue)
{
    const minicc_dir_conf *made = made_queue_conf(c, queue);

    return made ? made : make_queue_conf(p, c->origin ? c->origin : c,
                                         queue);
}

void minicc_conf_queues_make(apr_pool_t *pconf, minicc_dir_conf *c)
{
    int i;

    if (c->origin) {
        return;     /* a queue's: its origin's are made */
    }
    for (i = 0; i < c->nmenu; i++) {
        const char *queue = c->menu[i].target;
        minicc_queue_confs_t *made;

        /* each once: a section's configuration may be prepared twice */
        if (c->menu[i].what != MINICC_MENU_QUEUE || !queue
            || made_queue_conf(c, queue)) {
            continue;
        }
        made = apr_palloc(pconf, sizeof(*made));
        made->conf = make_queue_conf(pconf, c, queue);
        made->next = c->queues;
        c->queues = made;
    }
}

/* The targets of MiniCCMenu by their words (minicc_config.h). */
#define MENU_WORD(id, word) word,
static const char *const menu_words[] = {
    MINICC_MENU_WORDS(MENU_WORD)
};

/* "MiniCCMenu KEY TARGET [NAME]": a key of the callers' menu, added to
 * what the section said before (a section that gives the menu gives all
 * of it).  Keys 0-9 and *, each once; targets queue NAME, information,
 * voicemail, or a URL. */
static const char *set_menu(cmd_parms *cmd, void *dconf, const char *key,
                            const char *target, const char *name)
{
    minicc_dir_conf *c = dconf;
    minicc_menu_t item, *all;
    int i;

    if (strlen(key) != 1 || (!apr_isdigit(*key) && *key != '*')) {
        return apr_psprintf(cmd->pool, "MiniCCMenu: '%s' is not one key: 0 "
                            "to 9 or * (# ends a Gather)", key);
    }
    for (i = 0; i < c->nmenu; i++) {
        if (c->menu[i].key == *key) {
            return apr_psprintf(cmd->pool, "MiniCCMenu: the key %c is given "
                                "twice", *key);
        }
    }
    item.key = *key;
    item.target = NULL;
    if (!strcasecmp(target, menu_words[MINICC_MENU_QUEUE])) {
        const char *err;

        if (!name) {
            return apr_psprintf(cmd->pool, "MiniCCMenu %c queue: the "
                                "queue's name is missing (MiniCCMenu %c "
                                "queue NAME)", *key, *key);
        }
        err = check_text(cmd, apr_psprintf(cmd->temp_pool, "MiniCCMenu %c "
                                           "queue", *key), name);
        if (err) {
            return err;
        }
        if (!minicc_conf_queue_name_ok(name)) {
            return apr_psprintf(cmd->pool, "MiniCCMenu %c queue: '%s' is "
                                "longer than Twilio's 64 characters for a "
                                "queue name", *key, name);
        }
        item.what = MINICC_MENU_QUEUE;
        item.target = name;
    }
    else if (name) {
        return apr_psprintf(cmd->pool, "MiniCCMenu %c: '%s %s' is not a "
                            "target: queue NAME, information, voicemail or "
                            "a URL", *key, target, name);
    }
    else if (!strcasecmp(target, menu_words[MINICC_MENU_INFORMATION])) {
        item.what = MINICC_MENU_INFORMATION;
    }
    else if (!strcasecmp(target, menu_words[MINICC_MENU_VOICEMAIL])) {
        item.what = MINICC_MENU_VOICEMAIL;
    }
    else if (strchr(target, '/')) {
        const char *err = check_url(cmd, apr_psprintf(cmd->temp_pool,
                                                      "MiniCCMenu %c", *key),
                                    target);

        if (err) {
            return err;
        }
        item.what = MINICC_MENU_URL;
        item.target = target;
    }
    else {
        return apr_psprintf(cmd->pool, "MiniCCMenu %c: '%s' is not a target:"
                            " queue NAME, information, voicemail or a URL "
                            "(with a /)", *key, target);
    }
    all = apr_palloc(cmd->pool, sizeof(*all) * (c->nmenu + 1));
    if (c->nmenu) {
        memcpy(all, c->menu, sizeof(*all) * c->nmenu);
    }
    all[c->nmenu] = item;
    c->menu = all;
    c->nmenu++;
    return NULL;
}

/* "MiniCCQueueServiceLevel NAME seconds". */
static const char *set_queue_level(cmd_parms *cmd, void *dconf,
                                   const char *queue, const char *seconds)
{
    minicc_dir_conf *c = dconf;
    minicc_queue_level_t *all;
    const char *err;
    int n, i;

    if (!minicc_conf_queue_name_ok(queue)) {
        return apr_psprintf(cmd->pool, "MiniCCQueueServiceLevel: '%s' is "
                            "not a queue name (1 to 64 characters, no "
                            "control characters)", queue);
    }
    err = parse_number(cmd, "MiniCCQueueServiceLevel", seconds, 1, 3600, &n);
    if (err) {
        return err;
    }
    for (i = 0; i < c->nlevels; i++) {
        if (!strcmp(c->levels[i].queue, queue)) {
            return apr_psprintf(cmd->pool, "MiniCCQueueServiceLevel: the "
                                "queue '%s' is given twice", queue);
        }
    }
    all = apr_palloc(cmd->pool, sizeof(*all) * (c->nlevels + 1));
    if (c->nlevels) {
        memcpy(all, c->levels, sizeof(*all) * c->nlevels);
    }
    all[c->nlevels].queue = queue;
    all[c->nlevels].seconds = n;
    c->levels = all;
    c->nlevels++;
    return NULL;
}

/* ---- opening hours (time.c's) ---- */

/* One "DAYS HH:MM-HH:MM", added to what the section's MiniCCHours said
 * before. */
static const char *set_hours(cmd_parms *cmd, void *dconf, const char *arg)
{
    minicc_dir_conf *c = dconf;
    minicc_hours_t *hours = (minicc_hours_t *)c->hours;
    const char *err;

    if (!*arg) {
        return "MiniCCHours: an empty range; say e.g. \"Mon-Fri 09:00-17:00\"";
    }
    err = minicc_time_hours_add(cmd->pool, &hours, arg);
    c->hours = hours;
    return err;
}

apr_time_t minicc_conf_now(const minicc_dir_conf *c, apr_time_t request_time,
                           const apr_table_t *headers)
{
    const char *clock = minicc_conf_text(c, MINICC_TEST_CLOCK);
    apr_time_t t;

    if (clock && !strcmp(clock, MINICC_TEST_CLOCK_HEADER_WORD)) {
        clock = apr_table_get(headers, MINICC_TEST_CLOCK_HEADER);
    }
    return clock && minicc_time_clock_parse(clock, &t) ? t : request_time;
}

void minicc_conf_when(const minicc_dir_conf *c, apr_time_t request_time,
                      minicc_when_t *when)
{
    minicc_time_when(request_time, minicc_conf_text(c, MINICC_TEST_TIME),
                     when);
}

int minicc_conf_open(const minicc_dir_conf *c, const minicc_when_t *when)
{
    return minicc_time_hours_open(c->hours, when);
}

/* ---- the directives of a key and a value ---- */

static const char *find_key(cmd_parms *cmd, const char *const *names, int n,
                            const char *what, const char *key, int *index)
{
    const char *all = "";
    int i;

    for (i = 0; i < n; i++) {
        if (!strcmp(key, names[i])) {
            *index = i;
            return NULL;
        }
        all = apr_pstrcat(cmd->temp_pool, all, i ? " " : "", names[i], NULL);
    }
    return apr_psprintf(cmd->pool, "%s: unknown %s '%s'; the %ss are %s",
                        cmd->cmd->name, what, key, what, all);
}

static const char *set_message(cmd_parms *cmd, void *dconf, const char *key,
                               const char *text)
{
    minicc_dir_conf *c = dconf;
    int i = 0;
    const char *err = find_key(cmd, message_keys, MINICC_MSG_COUNT,
                               "message", key, &i);

    if (!err) {
        err = check_text(cmd, apr_pstrcat(cmd->temp_pool, "MiniCCMessage ",
                                          key, NULL), text);
    }
    if (!err) {
        c->messages[i] = text;
    }
    return err;
}


static const char *set_url(cmd_parms *cmd, void *dconf, const char *target,
                           const char *url)
{
    minicc_dir_conf *c = dconf;
    int i = 0;
    const char *err = find_key(cmd, url_targets, MINICC_URL_COUNT, "target",
                               target, &i);

    if (!err) {
        err = check_url(cmd, apr_pstrcat(cmd->temp_pool, "MiniCCURL ",
                                         target, NULL), url);
    }
    if (!err) {
        c->urls[i] = url;
    }
    return err;
}

static const char *check_token(cmd_parms *cmd, const char *where,
                               const char *token)
{
    const char *p;

    for (p = token; *p; p++) {
        if (apr_isspace(*p) || apr_iscntrl(*p)) {
            break;
        }
    }
    if (!*token || *p) {
        return apr_psprintf(cmd->pool, "%s: an auth token is one word "
                            "(Twilio's are 32 hex digits)", where);
    }
    return NULL;
}

/* One token, or two while the account's token is being rotated (Twilio's
 * primary and secondary): either signature is accepted. */
static const char *set_auth_token(cmd_parms *cmd, void *dconf,
                                  const char *token1, const char *token2)
{
    minicc_dir_conf *c = dconf;
    const char **tokens = apr_palloc(cmd->pool, 2 * sizeof(char *));
    const char *err = check_token(cmd, "MiniCCAuthToken", token1);

    if (!err && token2) {
        err = check_token(cmd, "MiniCCAuthToken", token2);
    }
    if (err) {
        return err;
    }
    tokens[0] = token1;
    tokens[1] = token2;
    c->tokens = tokens;
    c->ntokens = token2 ? 2 : 1;
    return NULL;
}

/* The token from a file that only root need read: the configuration is
 * read before Apache gives up root, so the token never has to sit in a
 * world-readable apache2.conf.  One or two tokens, one per line. */
static const char *set_auth_token_file(cmd_parms *cmd, void *dconf,
                                       const char *arg)
{
    minicc_dir_conf *c = dconf;
    const char **tokens = apr_pcalloc(cmd->pool, 2 * sizeof(char *));
    const char *path, *err;
    int i, n;

    err = read_secret_lines(cmd, "MiniCCAuthTokenFile", arg, 2, tokens, &n,
                            &path);
    if (err) {
        return err;
    }
    if (!n) {
        return apr_psprintf(cmd->pool, "MiniCCAuthTokenFile: '%s' holds no "
                            "token", path);
    }
    /* "token1 token2" on one line is a mistake to report, not one long
     * token to accept */
    for (i = 0; i < n; i++) {
        err = check_token(cmd, apr_psprintf(cmd->temp_pool,
                          "MiniCCAuthTokenFile %s", path), tokens[i]);
        if (err) {
            return err;
        }
    }
    c->tokens = tokens;
    c->ntokens = n;
    return NULL;
}

/* The main server's settings, for a server-wide directive; NULL (and
 * *err set) inside <VirtualHost>, <Directory> or <Location>. */
static minicc_srv_conf *server_wide_conf(cmd_parms *cmd, const char **err)
{
    if ((*err = ap_check_cmd_context(cmd, GLOBAL_ONLY))) {
        return NULL;
    }
    return ap_get_module_config(cmd->server->module_config, &minicc_module);
}

static const char *set_spool(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *err;
    minicc_srv_conf *sc = server_wide_conf(cmd, &err);

    (void)dconf;
    if (!sc) {
        return err;
    }
    sc->spool = ap_server_root_relative(cmd->pool, arg);
    if (!sc->spool) {
        return apr_psprintf(cmd->pool, "MiniCCSpool: bad path '%s'", arg);
    }
    return NULL;
}

static const char *set_db_timeout(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    const char *err;
    minicc_srv_conf *sc = server_wide_conf(cmd, &err);

    (void)dconf;
    if (!sc) {
        return err;
    }
    if (!strcasecmp(arg, "Off")) {
        sc->db_timeout = 0;
        return NULL;
    }
    if ((err = parse_number(cmd, cmd->cmd->name, arg, 1, MAX_DB_TIMEOUT,
                            &sc->db_timeout))) {
        return apr_pstrcat(cmd->pool, err, ", or Off (Twilio gives up on a "
                           "webhook after 15 s)", NULL);
    }
    return NULL;
}

/* The days of rows kept (doc/contract.txt 16): a whole number of days,
 * up to a hundred years. */
static const char *set_retention(cmd_parms *cmd, void *dconf,
                                 const char *arg)
{
    const char *err;
    minicc_srv_conf *sc = server_wide_conf(cmd, &err);

    (void)dconf;
    if (!sc) {
        return err;
    }
    return parse_number(cmd, cmd->cmd->name, arg, 1, 36500,
                        &sc->retention_days);
}

/* Server config, virtual hosts, <Directory> and <Location>; not .htaccess:
 * what a call hears is the administrator's to say. */
#define DIR_CONF (RSRC_CONF | ACCESS_CONF)

/* One command a line of MINICC_SETTINGS: a flag as Apache reads flags,
 * any other value as one argument. */
#define COMMAND_flag(id, name, help) \
    AP_INIT_FLAG(name, set_flag, (void *)&settings[MINICC_##id], DIR_CONF, \
                 help),
#define COMMAND_VALUE(id, name, help) \
    AP_INIT_TAKE1(name, set_setting, (void *)&settings[MINICC_##id], \
                  DIR_CONF, help),
#define COMMAND_queue COMMAND_VALUE
#define COMMAND_language COMMAND_VALUE
#define COMMAND_voice COMMAND_VALUE
#define COMMAND_url COMMAND_VALUE
#define COMMAND_public_url COMMAND_VALUE
#define COMMAND_seconds COMMAND_VALUE
#define COMMAND_test_time COMMAND_VALUE
#define COMMAND_test_clock COMMAND_VALUE
#define COMMAND_count COMMAND_VALUE
#define COMMAND_key COMMAND_VALUE
#define COMMAND_language_of_messages COMMAND_VALUE
#define COMMAND_account_sid COMMAND_VALUE
#define COMMAND_key_sid COMMAND_VALUE
#define COMMAND_app_sid COMMAND_VALUE
#define COMMAND_secret_file COMMAND_VALUE
#define COMMAND_sdk_url COMMAND_VALUE
#define COMMAND(id, name, parse, min, max, text, number, help) \
    COMMAND_##parse(id, name, help)
/* the keys and targets in the help texts, from their tables */
#define KEY_HELP(id, key, en, ja) " " key
#define URL_HELP(id, name) " " name
const command_rec minicc_cmds[] = {
    MINICC_SETTINGS(COMMAND)
    AP_INIT_ITERATE("MiniCCHours", set_hours, NULL, DIR_CONF,
                    "when customers are let in: \"DAYS HH:MM-HH:MM\" ..., "
                    "e.g. \"Mon-Fri 09:00-17:00\" \"Sat 10:00-13:00\" "
                    "(default: always)"),
    AP_INIT_ITERATE("MiniCCBreakReasons", set_break_reason, NULL, DIR_CONF,
                    "the reasons of an operator's break, by key: \"1 Lunch\" "
                    "\"2 Training\" ... (default: a break without a reason)"),
    AP_INIT_TAKE23("MiniCCMenu", set_menu, NULL, DIR_CONF,
                   "a key of the callers' menu and what it does: queue NAME, "
                   "information, voicemail, or a URL (default: 1 queue, 2 "
                   "information)"),
    AP_INIT_TAKE2("MiniCCQueueServiceLevel", set_queue_level, NULL, DIR_CONF,
                  "a queue's name and its service level in seconds "
                  "(default: MiniCCServiceLevel)"),
    AP_INIT_TAKE2("MiniCCMessage", set_message, NULL, DIR_CONF,
                  "a message key (" MINICC_MESSAGES(KEY_HELP) " ) and its "
                  "text"),
    AP_INIT_TAKE2("MiniCCURL", set_url, NULL, DIR_CONF,
                  "a target (" MINICC_URLS(URL_HELP) " ) and the URL "
                  "written for it in TwiML"),
    AP_INIT_TAKE12("MiniCCAuthToken", set_auth_token, NULL, DIR_CONF,
                   "Twilio auth token (and a second one while rotating): "
                   "requests must carry a valid X-Twilio-Signature"),
    AP_INIT_TAKE1("MiniCCAuthTokenFile", set_auth_token_file, NULL, DIR_CONF,
                  "file holding the Twilio auth token (one or two lines)"),
    AP_INIT_TAKE1("MiniCCSpool", set_spool, NULL, RSRC_CONF,
                  "file where rows wait while the database is unreachable"),
    AP_INIT_TAKE1("MiniCCRetention", set_retention, NULL, RSRC_CONF,
                  "days of rows kept: older ones are deleted once a day "
                  "(server-wide; default: every row kept)"),
    AP_INIT_TAKE1("MiniCCDBTimeout", set_db_timeout, NULL, RSRC_CONF,
                  "seconds a webhook waits for the database before it "
                  "answers without it (1 to 4, default 2), or Off"),
    { NULL }
};
