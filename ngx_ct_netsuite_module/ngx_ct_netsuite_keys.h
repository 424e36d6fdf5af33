
/*
 * Copyright (C) ct-netsuite authors
 *
 * What the key-based schemes (pubsub, sns) and eventgrid share.
 *
 * Key files are written by ctns-keys through rename(2): Google's JWKS and
 * SNS signing certificates.  They are read when the configuration is loaded
 * (so a reload re-reads them) and, in a worker, again when the file's
 * mtime, size or inode changed, looked at no more than once per second: a
 * stat(2) of a local file, never a network call on the request path.
 */


#ifndef _NGX_CT_NETSUITE_KEYS_H_INCLUDED_
#define _NGX_CT_NETSUITE_KEYS_H_INCLUDED_


#include "ngx_ct_netsuite_auth.h"

#include "ctns_verify.h"


typedef struct {
    ngx_str_t         path;         /* NUL-terminated */
    time_t            checked;      /* ngx_time() of the last stat */
    time_t            mtime;
    off_t             size;
    ngx_file_uniq_t   uniq;
    ngx_uint_t        present;
} ngx_ct_netsuite_keyfile_t;


/*
 * 1 when the file differs from what was last seen (appeared, replaced,
 * changed or vanished), 0 when unchanged or looked at less than a second
 * ago.  kf->present tells whether it exists now.
 */
ngx_int_t ngx_ct_netsuite_keyfile_changed(ngx_ct_netsuite_keyfile_t *kf,
    ngx_log_t *log);

/*
 * A lib/ verifier's result as the scheme's answer: NGX_OK, NGX_DECLINED
 * (401), 400, 503 or 500, with err's reason copied to ctx->reason.
 */
ngx_int_t ngx_ct_netsuite_lib_result(ngx_http_request_t *r,
    ngx_ct_netsuite_ctx_t *ctx, ctns_verify_rc_t rc, ctns_verify_err_t *err);

/* "NAME=TIME" (nginx time: 90, 90s, 5m) into *t; NGX_DECLINED if not NAME=. */
ngx_int_t ngx_ct_netsuite_arg_time(ngx_conf_t *cf, ngx_str_t *arg,
    const char *name, long *t);

/* Copies v NUL-terminated into cf->pool; NULL when out of memory. */
char *ngx_ct_netsuite_conf_cstr(ngx_conf_t *cf, ngx_str_t *v);


#endif /* _NGX_CT_NETSUITE_KEYS_H_INCLUDED_ */
