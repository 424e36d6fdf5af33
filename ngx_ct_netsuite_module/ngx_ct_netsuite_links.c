
/*
 * Copyright (C) ct-netsuite authors
 *
 * Links into the NetSuite UI for the records of a status view, from URL
 * templates given by ct_netsuite_status_link.
 */


#include "ngx_ct_netsuite_links.h"


/*
 * ct_netsuite_status_link [TYPE] URL: $type, $id and $external_id in URL
 * are replaced by the record's values, URL-escaped.  A template for the
 * record's type wins over the one without a type.
 */

static ngx_str_t *
ngx_ct_netsuite_link_template(ngx_array_t *links, const char *type)
{
    ngx_uint_t     i;
    ngx_str_t     *fallback;
    ngx_keyval_t  *kv;

    kv = links->elts;
    fallback = NULL;

    for (i = 0; i < links->nelts; i++) {
        if (kv[i].key.len == 0) {
            fallback = &kv[i].value;

        } else if (kv[i].key.len == ngx_strlen(type)
                   && ngx_strncmp(kv[i].key.data, type, kv[i].key.len) == 0)
        {
            return &kv[i].value;
        }
    }

    return fallback;
}


/* With p == NULL returns the length instead of writing. */

static size_t
ngx_ct_netsuite_link_render(u_char *p, ngx_str_t *tpl, const char **vals)
{
    static const char  *names[] = { "$external_id", "$type", "$id", NULL };

    u_char      *s, *end, *start;
    size_t       len, n;
    ngx_uint_t   i;

    start = p;
    len = 0;
    n = 0;
    s = tpl->data;
    end = s + tpl->len;

    while (s < end) {
        for (i = 0; names[i]; i++) {
            n = ngx_strlen(names[i]);

            if ((size_t) (end - s) >= n && ngx_strncmp(s, names[i], n) == 0) {
                break;
            }
        }

        if (names[i] == NULL) {
            if (p) {
                *p++ = *s;
            }

            len++;
            s++;
            continue;
        }

        s += n;
        n = ngx_strlen(vals[i]);

        if (p) {
            p = (u_char *) ngx_escape_uri(p, (u_char *) vals[i], n,
                                          NGX_ESCAPE_ARGS);

        } else {
            len += n + 2 * ngx_escape_uri(NULL, (u_char *) vals[i], n,
                                          NGX_ESCAPE_ARGS);
        }
    }

    return p ? (size_t) (p - start) : len;
}


/* A string or integer member as text; buf holds a converted integer. */

static const char *
ngx_ct_netsuite_json_text(json_t *obj, const char *key, u_char *buf)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (json_is_string(v)) {
        return json_string_value(v);
    }

    if (json_is_integer(v)) {
        ngx_sprintf(buf, "%L%Z", (int64_t) json_integer_value(v));
        return (char *) buf;
    }

    return NULL;
}


void
ngx_ct_netsuite_links(ngx_http_request_t *r, json_t *records)
{
    u_char                      *p, num[3][NGX_INT64_LEN + 1];
    size_t                       i, len;
    json_t                      *rec;
    ngx_str_t                   *tpl;
    const char                  *vals[3];
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    if (lcf->status_links == NULL || !json_is_array(records)) {
        return;
    }

    json_array_foreach(records, i, rec) {
        vals[0] = ngx_ct_netsuite_json_text(rec, "externalId", num[0]);
        vals[1] = ngx_ct_netsuite_json_text(rec, "type", num[1]);
        vals[2] = ngx_ct_netsuite_json_text(rec, "id", num[2]);

        if (vals[1] == NULL || vals[2] == NULL) {
            continue;
        }

        if (vals[0] == NULL) {
            vals[0] = "";
        }

        tpl = ngx_ct_netsuite_link_template(lcf->status_links, vals[1]);
        if (tpl == NULL) {
            continue;
        }

        len = ngx_ct_netsuite_link_render(NULL, tpl, vals);

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            continue;
        }

        len = ngx_ct_netsuite_link_render(p, tpl, vals);

        json_object_set_new(rec, "link", json_stringn((char *) p, len));
    }
}


/* ct_netsuite_status_link [TYPE] URL */

char *
ngx_ct_netsuite_status_link_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_ct_netsuite_loc_conf_t  *lcf = conf;

    ngx_str_t     *value, *url;
    ngx_keyval_t  *kv;

    value = cf->args->elts;
    url = &value[cf->args->nelts - 1];

    if (ngx_strncmp(url->data, "https://", 8) != 0
        && ngx_strncmp(url->data, "http://", 7) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "ct_netsuite_status_link \"%V\" is not an http "
                           "or https URL", url);
        return NGX_CONF_ERROR;
    }

    if (lcf->status_links == NGX_CONF_UNSET_PTR) {
        lcf->status_links = ngx_array_create(cf->pool, 2,
                                             sizeof(ngx_keyval_t));
        if (lcf->status_links == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    kv = ngx_array_push(lcf->status_links);
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&kv->key);

    if (cf->args->nelts == 3) {
        kv->key = value[1];
    }

    kv->value = *url;

    return NGX_CONF_OK;
}
