
/*
 * Copyright (C) ct-netsuite authors
 */


#include "ngx_ct_netsuite_auth.h"


static ngx_ct_netsuite_scheme_t  *ngx_ct_netsuite_schemes[] = {
    &ngx_ct_netsuite_auth_hmac,
    &ngx_ct_netsuite_auth_token,
    &ngx_ct_netsuite_auth_pubsub,
    &ngx_ct_netsuite_auth_sns,
    &ngx_ct_netsuite_auth_eventgrid,
    &ngx_ct_netsuite_auth_stripe,
    &ngx_ct_netsuite_auth_none,
    NULL
};


char *
ngx_ct_netsuite_auth_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_ct_netsuite_loc_conf_t  *lcf = conf;

    ngx_str_t                  *value;
    ngx_uint_t                  i;
    ngx_ct_netsuite_auth_t     *auth;
    ngx_ct_netsuite_scheme_t   *scheme;

    value = cf->args->elts;
    scheme = NULL;

    for (i = 0; ngx_ct_netsuite_schemes[i]; i++) {
        if (ngx_strcmp(ngx_ct_netsuite_schemes[i]->name.data, value[1].data)
            == 0)
        {
            scheme = ngx_ct_netsuite_schemes[i];
            break;
        }
    }

    if (scheme == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown ct_netsuite_auth scheme \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    if (lcf->auth == NGX_CONF_UNSET_PTR) {
        lcf->auth = ngx_array_create(cf->pool, 2,
                                     sizeof(ngx_ct_netsuite_auth_t));
        if (lcf->auth == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    auth = lcf->auth->elts;

    for (i = 0; i < lcf->auth->nelts; i++) {
        if (auth[i].scheme == scheme) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "ct_netsuite_auth \"%V\" is duplicate",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    auth = ngx_array_push(lcf->auth);
    if (auth == NULL) {
        return NGX_CONF_ERROR;
    }

    auth->scheme = scheme;
    auth->conf = scheme->create(cf, &value[2], cf->args->nelts - 2);

    if (auth->conf == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_str_t *
ngx_ct_netsuite_arg_value(ngx_str_t *arg, const char *name, ngx_str_t *value)
{
    size_t  len;

    len = ngx_strlen(name);

    if (arg->len <= len || ngx_strncmp(arg->data, name, len) != 0
        || arg->data[len] != '=')
    {
        return NULL;
    }

    value->data = arg->data + len + 1;
    value->len = arg->len - len - 1;

    return value;
}


/* --- secrets --------------------------------------------------------------- */

static ngx_int_t
ngx_ct_netsuite_secrets_lines(ngx_conf_t *cf, ngx_ct_netsuite_secrets_t *s,
    u_char *p, u_char *end)
{
    u_char     *line, *last;
    ngx_str_t  *v;

    while (p < end) {
        line = p;

        while (p < end && *p != '\n') {
            p++;
        }

        last = p++;

        while (line < last && (*line == ' ' || *line == '\t')) {
            line++;
        }

        while (last > line
               && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'))
        {
            last--;
        }

        if (line == last || *line == '#') {
            continue;
        }

        v = ngx_array_push(s->values);
        if (v == NULL) {
            return NGX_ERROR;
        }

        v->len = last - line;
        v->data = ngx_pnalloc(cf->pool, v->len);
        if (v->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(v->data, line, v->len);
    }

    return NGX_OK;
}


/*
 * Read like ngx_ssl_session_ticket_keys(): by the master, before workers
 * drop privileges, so a 0600 root-owned file works; the buffer is wiped.
 */

static ngx_int_t
ngx_ct_netsuite_secrets_file(ngx_conf_t *cf, ngx_ct_netsuite_secrets_t *s,
    ngx_str_t *name)
{
    u_char           *buf, *path;
    size_t            size;
    ssize_t           n;
    ngx_int_t         rc;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    /* an absolute name is used as it is: it must end in NUL for open() */
    path = ngx_pnalloc(cf->pool, name->len + 1);
    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(path, name->data, name->len + 1);
    name->data = path;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = *name;
    file.log = cf->log;

    file.fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", name);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    buf = NULL;

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", name);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (size == 0 || size > 16384) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" is empty or larger than 16k",
                           name);
        goto done;
    }

    buf = ngx_alloc(size, cf->log);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, buf, size, 0);

    if (n != (ssize_t) size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read secret file \"%V\"", name);
        goto done;
    }

    rc = ngx_ct_netsuite_secrets_lines(cf, s, buf, buf + size);

done:

    if (buf) {
        ngx_explicit_memzero(buf, size);
        ngx_free(buf);
    }

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", name);
    }

    return rc;
}


ngx_int_t
ngx_ct_netsuite_secrets_parse(ngx_conf_t *cf, ngx_ct_netsuite_secrets_t *s,
    ngx_str_t *arg)
{
    ngx_str_t                          v;
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    if (s->values == NULL) {
        s->values = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        s->complex = ngx_array_create(cf->pool, 1,
                                      sizeof(ngx_http_complex_value_t));
        if (s->values == NULL || s->complex == NULL) {
            return NGX_ERROR;
        }
    }

    if (ngx_ct_netsuite_arg_value(arg, "secret_file", &v)) {
        return ngx_ct_netsuite_secrets_file(cf, s, &v);
    }

    if (ngx_ct_netsuite_arg_value(arg, "secret", &v) == NULL) {
        return NGX_DECLINED;
    }

    cv = ngx_array_push(s->complex);
    if (cv == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &v;
    ccv.complex_value = cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_ct_netsuite_secrets_check(ngx_conf_t *cf, ngx_ct_netsuite_secrets_t *s,
    const char *scheme)
{
    if (s->values == NULL
        || (s->values->nelts == 0 && s->complex->nelts == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "ct_netsuite_auth %s needs at least one "
                           "secret_file= or secret=", scheme);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_array_t *
ngx_ct_netsuite_secrets_get(ngx_http_request_t *r,
    ngx_ct_netsuite_secrets_t *s)
{
    ngx_str_t                 *v, *out;
    ngx_uint_t                 i;
    ngx_array_t               *a;
    ngx_http_complex_value_t  *cv;

    /* files only, the usual case: nothing to evaluate, nothing to copy */
    if (s->complex->nelts == 0) {
        return s->values;
    }

    a = ngx_array_create(r->pool, s->values->nelts + s->complex->nelts,
                         sizeof(ngx_str_t));
    if (a == NULL) {
        return NULL;
    }

    v = s->values->elts;

    for (i = 0; i < s->values->nelts; i++) {
        out = ngx_array_push(a);
        *out = v[i];
    }

    cv = s->complex->elts;

    for (i = 0; i < s->complex->nelts; i++) {
        out = ngx_array_push(a);

        if (ngx_http_complex_value(r, &cv[i], out) != NGX_OK) {
            return NULL;
        }

        if (out->len == 0) {
            /* an unset variable is no secret */
            a->nelts--;
        }
    }

    return a;
}


ngx_int_t
ngx_ct_netsuite_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    size_t            len;
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    found = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != len
            || ngx_strncasecmp(h[i].key.data, (u_char *) name, len) != 0)
        {
            continue;
        }

        if (found++) {
            return NGX_ERROR;
        }

        *value = h[i].value;
    }

    return found ? NGX_OK : NGX_DECLINED;
}


/* --- none: tests only -------------------------------------------------------- */

static void *
ngx_ct_netsuite_auth_none_create(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs)
{
    if (nargs) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "ct_netsuite_auth none takes no arguments");
        return NULL;
    }

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "ct_netsuite_auth none: deliveries to this location "
                       "are not authenticated; use it for tests only");

    return (void *) 1;
}


static ngx_int_t
ngx_ct_netsuite_auth_none_verify(ngx_http_request_t *r, void *conf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    return NGX_OK;
}


ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_none = {
    ngx_string("none"),
    ngx_ct_netsuite_auth_none_create,
    NULL,
    ngx_ct_netsuite_auth_none_verify
};
