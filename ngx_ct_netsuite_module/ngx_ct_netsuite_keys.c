
/*
 * Copyright (C) ct-netsuite authors
 */


#include "ngx_ct_netsuite_keys.h"


ngx_int_t
ngx_ct_netsuite_keyfile_changed(ngx_ct_netsuite_keyfile_t *kf,
    ngx_log_t *log)
{
    time_t           now;
    ngx_file_info_t  fi;

    now = ngx_time();

    if (kf->checked == now) {
        return 0;
    }

    kf->checked = now;

    if (ngx_file_info(kf->path.data, &fi) == NGX_FILE_ERROR) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          ngx_file_info_n " \"%V\" failed", &kf->path);
        }

        if (!kf->present) {
            return 0;
        }

        kf->present = 0;
        return 1;
    }

    /* rename(2) within the same second still changes the inode */
    if (kf->present
        && kf->mtime == ngx_file_mtime(&fi)
        && kf->size == ngx_file_size(&fi)
        && kf->uniq == ngx_file_uniq(&fi))
    {
        return 0;
    }

    kf->present = 1;
    kf->mtime = ngx_file_mtime(&fi);
    kf->size = ngx_file_size(&fi);
    kf->uniq = ngx_file_uniq(&fi);

    return 1;
}


ngx_int_t
ngx_ct_netsuite_lib_result(ngx_http_request_t *r, ngx_ct_netsuite_ctx_t *ctx,
    ctns_verify_rc_t rc, ctns_verify_err_t *err)
{
    if (rc == CTNS_VERIFY_OK) {
        return NGX_OK;
    }

    ctx->reason.len = ngx_strlen(err->reason);
    ctx->reason.data = ngx_pnalloc(r->pool, ctx->reason.len + 1);
    if (ctx->reason.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_cpystrn(ctx->reason.data, (u_char *) err->reason,
                ctx->reason.len + 1);

    switch (rc) {

    case CTNS_VERIFY_MALFORMED:
        ngx_str_set(&ctx->result, "malformed");
        return NGX_HTTP_BAD_REQUEST;

    case CTNS_VERIFY_DENIED:
        return NGX_DECLINED;

    case CTNS_VERIFY_NOKEY:
        ngx_str_set(&ctx->result, "unavailable");
        return NGX_HTTP_SERVICE_UNAVAILABLE;

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


ngx_int_t
ngx_ct_netsuite_arg_time(ngx_conf_t *cf, ngx_str_t *arg, const char *name,
    long *t)
{
    time_t     v;
    ngx_str_t  s;

    if (ngx_ct_netsuite_arg_value(arg, name, &s) == NULL) {
        return NGX_DECLINED;
    }

    v = ngx_parse_time(&s, 1);

    if (v == (time_t) NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid %s \"%V\"",
                           name, &s);
        return NGX_ERROR;
    }

    *t = (long) v;

    return NGX_OK;
}


char *
ngx_ct_netsuite_conf_cstr(ngx_conf_t *cf, ngx_str_t *v)
{
    u_char  *p;

    p = ngx_pnalloc(cf->pool, v->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_cpystrn(p, v->data, v->len + 1);

    return (char *) p;
}
