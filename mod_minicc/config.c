/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * Directives (SPEC §3): per-directory, merged from outer to inner.  Every
 * value is checked here, so that a mistake stops `apachectl configtest`
 * instead of reaching a caller.
 */
#include <apr_fnmatch.h>
#include <apr_lib.h>
#include <apr_uri.h>

#define MINICC_WITH_HTTPD
#include "mod_minicc.h"

#include <http_core.h>

static const char *const message_keys[MINICC_MSG_COUNT] = {
    "welcome", "retry", "noinput", "connecting", "trouble", "operator",
    "wait", "wait-general", "estimate", "guidance", "information"
};

static const char *const default_messages[MINICC_MSG_COUNT] = {
    "Thank you for calling. For an operator, press 1. "
        "For product information, press 2.",
    "Sorry, that is not a valid choice. For an operator, press 1. "
        "For product information, press 2.",
    "We will connect you to an operator.",
    "Connecting you to an operator. Please hold.",
    "We are sorry, we cannot take your call right now. "
        "Please call again later.",
    "You are in the operator queue. The next caller will be connected to you.",
    "Thank you for waiting. You are number {position} in line.",
    "Thank you for waiting. An operator will be with you shortly.",
    "The expected wait is about {minutes} minutes.",
    "You are now connected to an operator.",
    "Thank you for your interest in our products. Our latest product "
        "information is available on our web site. Goodbye."
};

/* Relative on purpose: Twilio resolves them against the URL it requested,
 * so handlers side by side in one folder of URLs need no configuration. */
static const char *const url_targets[MINICC_URL_COUNT] = {
    "incoming", "operator", "wait", "guidance", "exit", "information"
};

#define DEFAULT_QUEUE          "support"
#define DEFAULT_LANGUAGE       "en-US"
#define DEFAULT_HOLD_MUSIC \
    "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
#define DEFAULT_WAIT_PAUSE     3
#define DEFAULT_GATHER_TIMEOUT 10
#define DEFAULT_SERVICE_LEVEL  20
#define DEFAULT_SHORT_ABANDON  5
#define MAX_THRESHOLD          3600
/* Twilio waits 15 s for an answer; a caller must hear one before that,
 * even when the database hangs.  A webhook that met the hang can wait up
 * to about three of these (a pooled connection's ping, its reconnect,
 * then a new connection; see db.c and batch.c): 4 s at most keeps that
 * under 15 s. */
#define DEFAULT_DB_TIMEOUT     2
#define MAX_DB_TIMEOUT         4

/* Twilio's own limits: a queue's friendly name has at most 64 characters;
 * Pause and Gather take seconds, and a minute of hold is plenty between
 * two announcements. */
#define MAX_QUEUE_NAME   64
#define MAX_WAIT_PAUSE   600
#define MAX_GATHER_TIMEOUT 600

void *minicc_create_dir_conf(apr_pool_t *p, char *dir)
{
    minicc_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    c->wait_pause = MINICC_UNSET;
    c->gather_timeout = MINICC_UNSET;
    c->announce_wait = MINICC_UNSET;
    c->service_level = MINICC_UNSET;
    c->short_abandon = MINICC_UNSET;
    return c;
}

#define MERGE_PTR(f)  new->f = add->f ? add->f : base->f
#define MERGE_INT(f)  new->f = (add->f != MINICC_UNSET) ? add->f : base->f

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

    MERGE_PTR(queue);
    MERGE_PTR(language);
    MERGE_PTR(voice);
    MERGE_PTR(hold_music);
    for (i = 0; i < MINICC_MSG_COUNT; i++) {
        MERGE_PTR(messages[i]);
    }
    for (i = 0; i < MINICC_URL_COUNT; i++) {
        MERGE_PTR(urls[i]);
    }
    MERGE_INT(wait_pause);
    MERGE_INT(gather_timeout);
    MERGE_INT(announce_wait);
    MERGE_INT(service_level);
    MERGE_INT(short_abandon);
    if (add->tokens) {
        new->tokens = add->tokens;
        new->ntokens = add->ntokens;
    }
    else {
        new->tokens = base->tokens;
        new->ntokens = base->ntokens;
    }
    MERGE_PTR(public_url);
    return new;
}

/* Whether no directive of ours was given in c's section. */
static int sets_nothing(const minicc_dir_conf *c)
{
    int i;

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
    return !c->queue && !c->language && !c->voice && !c->hold_music
        && !c->tokens && !c->public_url && c->wait_pause == MINICC_UNSET
        && c->gather_timeout == MINICC_UNSET
        && c->announce_wait == MINICC_UNSET
        && c->service_level == MINICC_UNSET
        && c->short_abandon == MINICC_UNSET;
}

/* merge_dir_conf, remembered on add for the requests to come.  A merge
 * with a section that sets nothing is the other side as it is: most
 * sections of a server are not ours, and a server may have many virtual
 * hosts. */
static minicc_dir_conf *merge_once(apr_pool_t *pconf, minicc_dir_conf *base,
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

/* Whether ap_location_walk applies section to uri: the test of httpd
 * 2.4's request.c. */
static int location_applies(const core_dir_config *section, const char *uri)
{
    apr_size_t len;

    if (section->r) {
        return !ap_regexec(section->r, uri, 0, NULL, 0);
    }
    if (section->d_is_fnmatch) {
        return !apr_fnmatch(section->d, uri, APR_FNM_PATHNAME);
    }
    len = strlen(section->d);
    return !strncmp(section->d, uri, len)
        && (!len || section->d[len - 1] == '/' || uri[len] == '/'
            || !uri[len]);
}

/* What the TwiML of c is made of (every setting that handlers.c's
 * render() reads), each string after its length, so that equal keys mean
 * equal settings: equal documents. */
static const char *docs_key(apr_pool_t *p, const minicc_dir_conf *c)
{
    const char *strings[4 + MINICC_MSG_COUNT + MINICC_URL_COUNT];
    const char *key = apr_psprintf(p, "%d %d", minicc_conf_wait_pause(c),
                                   minicc_conf_gather_timeout(c));
    int n = 0, i;

    strings[n++] = minicc_conf_queue(c);
    strings[n++] = minicc_conf_language(c);
    strings[n++] = c->voice ? apr_pstrcat(p, "=", c->voice, NULL) : "";
    strings[n++] = minicc_conf_hold_music(c);
    for (i = 0; i < MINICC_MSG_COUNT; i++) {
        strings[n++] = minicc_conf_message(c, i);
    }
    for (i = 0; i < MINICC_URL_COUNT; i++) {
        strings[n++] = minicc_conf_url(c, i);
    }
    for (i = 0; i < n; i++) {
        key = apr_psprintf(p, "%s %" APR_SIZE_T_FMT ":%s", key,
                           strlen(strings[i]), strings[i]);
    }
    return key;
}

/* c's documents, rendered once for all the objects that say the same (a
 * main server's sections in each of many virtual hosts). */
static void render_once(apr_pool_t *pconf, apr_pool_t *ptemp,
                        apr_hash_t *rendered, minicc_dir_conf *c)
{
    const char *key;

    if (c->docs) {
        return;
    }
    key = docs_key(ptemp, c);
    if (!(c->docs = apr_hash_get(rendered, key, APR_HASH_KEY_STRING))) {
        c->docs = minicc_docs_render(pconf, ptemp, c);
        apr_hash_set(rendered, key, APR_HASH_KEY_STRING, c->docs);
    }
}

void minicc_docs_prepare(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *rendered = apr_hash_make(ptemp);

    for (; s; s = s->next) {
        minicc_dir_conf *defaults = ap_get_module_config(s->lookup_defaults,
                                                         &minicc_module);
        core_server_config *core = ap_get_core_module_config(
                                       s->module_config);
        ap_conf_vector_t **sections = (ap_conf_vector_t **)
                                      core->sec_url->elts;
        int n = core->sec_url->nelts, i, j;

        render_once(pconf, ptemp, rendered, defaults);
        for (i = 0; i < n; i++) {
            const core_dir_config *where = ap_get_core_module_config(
                                               sections[i]);
            minicc_dir_conf *now = ap_get_module_config(sections[i],
                                                        &minicc_module);

            if (!now) {
                continue;
            }
            /* a request that meets this section alone */
            render_once(pconf, ptemp, rendered,
                        merge_once(pconf, defaults, now));
            if (where->r || where->d_is_fnmatch || !where->d) {
                continue;
            }
            /* a request to the URL of this <Location>: the sections it
             * meets, merged in order, then onto the server's defaults */
            now = NULL;
            for (j = 0; j < n; j++) {
                minicc_dir_conf *section = ap_get_module_config(
                                               sections[j], &minicc_module);

                if (section && location_applies(ap_get_core_module_config(
                                                    sections[j]), where->d)) {
                    now = now ? merge_once(pconf, now, section) : section;
                }
            }
            if (now) {
                render_once(pconf, ptemp, rendered,
                            merge_once(pconf, defaults, now));
            }
        }
    }
}

void *minicc_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    minicc_srv_conf *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->db_timeout = MINICC_UNSET;
    return sc;
}

int minicc_conf_db_timeout(const minicc_srv_conf *sc)
{
    return sc->db_timeout == MINICC_UNSET ? DEFAULT_DB_TIMEOUT
                                          : sc->db_timeout;
}

const char *minicc_conf_queue(const minicc_dir_conf *c)
{
    return c->queue ? c->queue : DEFAULT_QUEUE;
}

const char *minicc_conf_language(const minicc_dir_conf *c)
{
    return c->language ? c->language : DEFAULT_LANGUAGE;
}

const char *minicc_conf_hold_music(const minicc_dir_conf *c)
{
    return c->hold_music ? c->hold_music : DEFAULT_HOLD_MUSIC;
}

const char *minicc_conf_message(const minicc_dir_conf *c, minicc_msg_e key)
{
    return c->messages[key] ? c->messages[key] : default_messages[key];
}

const char *minicc_conf_url(const minicc_dir_conf *c, minicc_url_e target)
{
    return c->urls[target] ? c->urls[target] : url_targets[target];
}

int minicc_conf_wait_pause(const minicc_dir_conf *c)
{
    return c->wait_pause != MINICC_UNSET ? c->wait_pause : DEFAULT_WAIT_PAUSE;
}

int minicc_conf_gather_timeout(const minicc_dir_conf *c)
{
    return c->gather_timeout != MINICC_UNSET ? c->gather_timeout
                                             : DEFAULT_GATHER_TIMEOUT;
}

int minicc_conf_announce_wait(const minicc_dir_conf *c)
{
    return c->announce_wait == 1;
}

int minicc_conf_service_level(const minicc_dir_conf *c)
{
    return c->service_level != MINICC_UNSET ? c->service_level
                                            : DEFAULT_SERVICE_LEVEL;
}

int minicc_conf_short_abandon(const minicc_dir_conf *c)
{
    return c->short_abandon != MINICC_UNSET ? c->short_abandon
                                            : DEFAULT_SHORT_ABANDON;
}

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

static const char *parse_seconds(cmd_parms *cmd, const char *arg, int min,
                                 int max, int *out)
{
    const char *p = arg;

    for (; *p; p++) {
        if (!apr_isdigit(*p)) {
            break;
        }
    }
    if (!*arg || *p || p - arg > 6 || atoi(arg) < min || atoi(arg) > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds "
                            "from %d to %d", cmd->cmd->name, arg, min, max);
    }
    *out = atoi(arg);
    return NULL;
}

static const char *set_queue(cmd_parms *cmd, void *dconf, const char *arg)
{
    minicc_dir_conf *c = dconf;
    const char *err = check_text(cmd, "MiniCCQueue", arg);

    if (err) {
        return err;
    }
    if (minicc_utf8_length(arg) > MAX_QUEUE_NAME) {
        return apr_psprintf(cmd->pool, "MiniCCQueue: '%s' is longer than "
                            "Twilio's %d characters for a queue name", arg,
                            MAX_QUEUE_NAME);
    }
    c->queue = arg;
    return NULL;
}

/* BCP 47 as Twilio uses it: en-US, ja-JP, cmn-Hans-CN ... */
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

static const char *set_language(cmd_parms *cmd, void *dconf, const char *arg)
{
    minicc_dir_conf *c = dconf;

    if (!is_language_tag(arg)) {
        return apr_psprintf(cmd->pool, "MiniCCLanguage: '%s' is not a "
                            "language tag such as en-US or ja-JP", arg);
    }
    c->language = arg;
    return NULL;
}

static const char *set_voice(cmd_parms *cmd, void *dconf, const char *arg)
{
    minicc_dir_conf *c = dconf;
    const char *p;

    for (p = arg; *p; p++) {
        if (!apr_isalnum(*p) && *p != '.' && *p != '-' && *p != '_') {
            break;
        }
    }
    if (!*arg || *p) {
        return apr_psprintf(cmd->pool, "MiniCCVoice: '%s' is not a voice "
                            "name such as alice or Polly.Mizuki", arg);
    }
    c->voice = arg;
    return NULL;
}

/* The index of key in names into *index, or an error listing the names,
 * so that the message and the table cannot disagree. */
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

static const char *set_hold_music(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    minicc_dir_conf *c = dconf;
    const char *err = check_url(cmd, "MiniCCHoldMusic", arg);

    if (!err) {
        c->hold_music = arg;
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

/* The directives that take seconds: where the value goes and what range
 * makes sense, passed to the one setter through cmd->info. */
typedef struct {
    apr_size_t offset;
    int min, max;
} seconds_slot_t;

static const seconds_slot_t wait_pause_slot = {
    APR_OFFSETOF(minicc_dir_conf, wait_pause), 0, MAX_WAIT_PAUSE };
static const seconds_slot_t gather_timeout_slot = {
    APR_OFFSETOF(minicc_dir_conf, gather_timeout), 1, MAX_GATHER_TIMEOUT };
static const seconds_slot_t service_level_slot = {
    APR_OFFSETOF(minicc_dir_conf, service_level), 1, MAX_THRESHOLD };
static const seconds_slot_t short_abandon_slot = {
    APR_OFFSETOF(minicc_dir_conf, short_abandon), 0, MAX_THRESHOLD };

static const char *set_seconds(cmd_parms *cmd, void *dconf, const char *arg)
{
    const seconds_slot_t *slot = cmd->info;

    return parse_seconds(cmd, arg, slot->min, slot->max,
                         (int *)((char *)dconf + slot->offset));
}

static const char *set_announce_wait(cmd_parms *cmd, void *dconf, int flag)
{
    (void)cmd;
    ((minicc_dir_conf *)dconf)->announce_wait = flag ? 1 : 0;
    return NULL;
}

/* An auth token is a secret, so say what is wrong with it, never what it is. */
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
    const char *path = ap_server_root_relative(cmd->temp_pool, arg);
    const char **tokens = apr_pcalloc(cmd->pool, 2 * sizeof(char *));
    apr_file_t *f;
    char line[512];
    int n = 0;
    apr_status_t rv;

    if (!path) {
        return apr_psprintf(cmd->pool, "MiniCCAuthTokenFile: bad path '%s'",
                            arg);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT,
                       cmd->temp_pool);
    if (rv != APR_SUCCESS) {
        char buf[120];

        return apr_psprintf(cmd->pool, "MiniCCAuthTokenFile: cannot read "
                            "'%s': %s", path,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    while (apr_file_gets(line, sizeof(line), f) == APR_SUCCESS) {
        char *t = line, *end;
        const char *err;

        /* only the line's ends: "token1 token2" on one line is a mistake
         * to report, not one long token to accept */
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
        if (n == 2) {
            apr_file_close(f);
            return apr_psprintf(cmd->pool, "MiniCCAuthTokenFile: '%s' holds "
                                "more than two tokens", path);
        }
        err = check_token(cmd, apr_psprintf(cmd->temp_pool,
                          "MiniCCAuthTokenFile %s", path), t);
        if (err) {
            apr_file_close(f);
            return err;
        }
        tokens[n++] = apr_pstrdup(cmd->pool, t);
    }
    apr_file_close(f);
    if (!n) {
        return apr_psprintf(cmd->pool, "MiniCCAuthTokenFile: '%s' holds no "
                            "token", path);
    }
    c->tokens = tokens;
    c->ntokens = n;
    return NULL;
}

/* Only scheme://host[:port]: the path and query are the request's own. */
static const char *set_public_url(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    minicc_dir_conf *c = dconf;
    apr_uri_t uri;
    char *url = apr_pstrdup(cmd->pool, arg);
    apr_size_t len = strlen(url);

    while (len > 0 && url[len - 1] == '/') {
        url[--len] = '\0';
    }
    if (apr_uri_parse(cmd->temp_pool, url, &uri) != APR_SUCCESS
        || !uri.scheme || !uri.hostname || !*uri.hostname || uri.query
        || uri.fragment
        || (uri.path && *uri.path)
        || (strcasecmp(uri.scheme, "http") && strcasecmp(uri.scheme, "https"))
        || strpbrk(url, " \t\r\n")) {
        return apr_psprintf(cmd->pool, "MiniCCPublicURL: '%s' is not "
                            "scheme://host[:port], the address Twilio "
                            "calls (e.g. https://cc.example.com)", arg);
    }
    c->public_url = url;
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
    if ((err = parse_seconds(cmd, arg, 1, MAX_DB_TIMEOUT, &sc->db_timeout))) {
        return apr_pstrcat(cmd->pool, err, ", or Off (Twilio gives up on a "
                           "webhook after 15 s)", NULL);
    }
    return NULL;
}

/* Server config, virtual hosts, <Directory> and <Location>; not .htaccess:
 * what a call hears is the administrator's to say. */
#define DIR_CONF (RSRC_CONF | ACCESS_CONF)

const command_rec minicc_cmds[] = {
    AP_INIT_TAKE1("MiniCCQueue", set_queue, NULL, DIR_CONF,
                  "the Twilio queue's name (default support)"),
    AP_INIT_TAKE1("MiniCCLanguage", set_language, NULL, DIR_CONF,
                  "language of every <Say> (default en-US)"),
    AP_INIT_TAKE1("MiniCCVoice", set_voice, NULL, DIR_CONF,
                  "voice of every <Say>, e.g. alice or Polly.Mizuki"),
    AP_INIT_TAKE2("MiniCCMessage", set_message, NULL, DIR_CONF,
                  "a message key and its text"),
    AP_INIT_TAKE1("MiniCCHoldMusic", set_hold_music, NULL, DIR_CONF,
                  "URL of the hold music played while callers wait"),
    AP_INIT_TAKE1("MiniCCWaitPause", set_seconds, (void *)&wait_pause_slot,
                  DIR_CONF,
                  "seconds of silence before the position announcement"),
    AP_INIT_TAKE1("MiniCCGatherTimeout", set_seconds,
                  (void *)&gather_timeout_slot, DIR_CONF,
                  "seconds the IVR waits for a key (default 10)"),
    AP_INIT_FLAG("MiniCCAnnounceWait", set_announce_wait, NULL, DIR_CONF,
                 "On to say the expected wait to queued callers"),
    AP_INIT_TAKE2("MiniCCURL", set_url, NULL, DIR_CONF,
                  "a target (incoming operator wait guidance exit "
                  "information) and the URL written for it in TwiML"),
    AP_INIT_TAKE12("MiniCCAuthToken", set_auth_token, NULL, DIR_CONF,
                   "Twilio auth token (and a second one while rotating): "
                   "requests must carry a valid X-Twilio-Signature"),
    AP_INIT_TAKE1("MiniCCAuthTokenFile", set_auth_token_file, NULL, DIR_CONF,
                  "file holding the Twilio auth token (one or two lines)"),
    AP_INIT_TAKE1("MiniCCPublicURL", set_public_url, NULL, DIR_CONF,
                  "scheme://host[:port] that Twilio calls, when Apache is "
                  "behind a proxy or TLS terminator"),
    AP_INIT_TAKE1("MiniCCServiceLevel", set_seconds,
                  (void *)&service_level_slot, DIR_CONF,
                  "report: pick-ups within this many seconds of waiting are "
                  "within the service level (default 20)"),
    AP_INIT_TAKE1("MiniCCShortAbandon", set_seconds,
                  (void *)&short_abandon_slot, DIR_CONF,
                  "report: hang-ups within this many seconds are short "
                  "abandons, left out of the abandon rate (default 5)"),
    AP_INIT_TAKE1("MiniCCSpool", set_spool, NULL, RSRC_CONF,
                  "file where rows wait while the database is unreachable"),
    AP_INIT_TAKE1("MiniCCDBTimeout", set_db_timeout, NULL, RSRC_CONF,
                  "seconds a webhook waits for the database before it "
                  "answers without it (1 to 4, default 2), or Off"),
    { NULL }
};
