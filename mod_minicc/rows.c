/* Licensed under the Apache License, Version 2.0 (see COPYING). */

/*
 * The rows a webhook records (doc/contract.txt, 4): which parameter goes
 * into which column (sql.c's tables), and the rules a value must pass
 * before it is stored.  A value that breaks one is stored as NULL and the
 * log says why; nothing is ever cut by the server.
 */
#include "mod_minicc_private.h"
#include "minicc_config.h"
#include "minicc_rows.h"

#include <http_protocol.h>

const char *minicc_param(request_rec *r, minicc_params_t *params,
                         const char *name)
{
    const minicc_param_t *param = minicc_param_find(params, name);
    const char *value;
    int changed;

    if (!param) {
        return NULL;
    }
    value = minicc_text_clean(r->pool, param->value, param->value_len, 0,
                              &changed);
    if (changed) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(30301)
                      "parameter %s: %s%s%s", ap_escape_logitem(r->pool,
                      minicc_text_clean(r->pool, param->name,
                                        param->name_len, 1, &changed)),
                      (changed & MINICC_CLEAN_NUL) ? "NUL bytes dropped" : "",
                      (changed & MINICC_CLEAN_NUL)
                          && (changed & MINICC_CLEAN_UTF8) ? ", " : "",
                      (changed & MINICC_CLEAN_UTF8)
                          ? "invalid UTF-8 replaced by U+FFFD" : "");
    }
    return value;
}

apr_time_t minicc_now(request_rec *r)
{
    return minicc_conf_now(ap_get_module_config(r->per_dir_config,
                                                &minicc_module),
                           r->request_time, r->headers_in);
}

const char *minicc_arrival_time(request_rec *r)
{
    return minicc_time_str(r->pool, minicc_now(r));
}

minicc_row_t *minicc_row_from_request(request_rec *r, minicc_params_t *params,
                                     minicc_table_e table)
{
    const minicc_table_t *t = minicc_table(table);
    minicc_row_t *row = apr_palloc(r->pool, sizeof(*row));
    const char *callsid = NULL;
    int i;

    row->table = table;
    row->nvalues = t->ncolumns;
    row->values = apr_pcalloc(r->pool, sizeof(char *) * t->ncolumns);
    for (i = 0; i < t->ncolumns; i++) {
        const minicc_column_t *col = &t->columns[i];
        const char *v = col->param ? minicc_param(r, params, col->param) : NULL;
        const char *why = NULL;

        switch (col->kind) {
        case MINICC_COL_CALLSID:
            if (!minicc_is_sid(v)) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(30101)
                              "%s: %s '%s' is not a Twilio SID; "
                              "nothing recorded in %s", r->uri, col->param,
                              v ? ap_escape_logitem(r->pool, v) : "(missing)",
                              t->name);
                return NULL;
            }
            callsid = v;
            break;
        case MINICC_COL_SID:
            if (v && *v && !minicc_is_sid(v)) {
                why = "is not a Twilio SID";
            }
            break;
        case MINICC_COL_INT:
            if (v && !minicc_is_int32(v)) {
                why = "is not an integer";
            }
            break;
        case MINICC_COL_TEXT:
            if (v && minicc_utf8_length(v) > (apr_size_t)col->maxchars) {
                why = apr_psprintf(r->pool, "is longer than the %d "
                                   "characters of its column", col->maxchars);
            }
            break;
        case MINICC_COL_ARRIVAL:
        case MINICC_COL_FIRST_ARRIVAL:
            v = minicc_arrival_time(r);
            break;
        case MINICC_COL_TURNED_AWAY:
            v = callsid;    /* the key of turned_away's row */
            break;
        case MINICC_COL_STATE:
            break;          /* the webhook's to set (minicc_row_set) */
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

void minicc_row_set(minicc_row_t *row, const char *column, const char *value)
{
    const minicc_table_t *t = minicc_table(row->table);
    int i;

    for (i = 0; i < t->ncolumns; i++) {
        if (!strcmp(t->columns[i].column, column)) {
            row->values[i] = value;
        }
    }
}

const char *minicc_row_describe(apr_pool_t *p, const minicc_row_t *row)
{
    const minicc_table_t *t = minicc_table(row->table);
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
