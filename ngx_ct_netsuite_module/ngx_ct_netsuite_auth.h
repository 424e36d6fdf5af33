
/*
 * Copyright (C) ct-netsuite authors
 *
 * Authentication schemes of the webhook location ("ct_netsuite_auth NAME
 * args...").  A scheme parses its arguments once at configuration time and
 * verifies each delivery after the body was read.  Adding a channel means a
 * new ngx_ct_netsuite_auth_<name>.c defining one ngx_ct_netsuite_scheme_t,
 * and one line in ngx_ct_netsuite_schemes[] (ngx_ct_netsuite_auth.c).
 */


#ifndef _NGX_CT_NETSUITE_AUTH_H_INCLUDED_
#define _NGX_CT_NETSUITE_AUTH_H_INCLUDED_


#include "ngx_ct_netsuite_module.h"


struct ngx_ct_netsuite_scheme_s {
    ngx_str_t     name;

    /*
     * args are the directive's words after the scheme name.  Returns the
     * scheme's configuration, or NULL after ngx_conf_log_error().
     */
    void       *(*create)(ngx_conf_t *cf, ngx_str_t *args, ngx_uint_t nargs);

    /*
     * Optional, before the body is read and before the POST-only check:
     * NGX_DECLINED to go on, or an HTTP status after the scheme answered
     * (Event Grid's OPTIONS handshake).
     */
    ngx_int_t   (*preflight)(ngx_http_request_t *r, void *conf);

    /*
     * After the body was read into ctx->body (bounded, contiguous):
     *   NGX_OK        authentic; ctx->payloads holds the unwrapped
     *                 commercetools payloads, or is empty when the body
     *                 itself is the one payload (src = scheme name).
     *   NGX_DECLINED  401; ctx->reason says why (error.log only).
     *   400..599      that answer, ctx->reason logged, ctx->result names it;
     *                 503 also gets Retry-After.
     *   NGX_DONE      answer 200 with the JSON in ctx->response
     *                 (handshakes), append nothing.
     */
    ngx_int_t   (*verify)(ngx_http_request_t *r, void *conf,
                          ngx_ct_netsuite_ctx_t *ctx);
};


typedef struct {
    ngx_ct_netsuite_scheme_t   *scheme;
    void                       *conf;
} ngx_ct_netsuite_auth_t;


/*
 * Secrets for the symmetric schemes: any number of "secret_file=PATH"
 * (one secret per non-empty line, '#' comments; read when the
 * configuration is loaded, so a reload re-reads them) and "secret=VALUE"
 * (an nginx variable or complex value, evaluated per request).  Several
 * secrets at once are how keys are rotated.
 */
typedef struct {
    ngx_array_t                *values;      /* ngx_str_t, from files */
    ngx_array_t                *complex;     /* ngx_http_complex_value_t */
} ngx_ct_netsuite_secrets_t;


char *ngx_ct_netsuite_auth_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* NGX_OK: consumed; NGX_DECLINED: not a secret argument; NGX_ERROR. */
ngx_int_t ngx_ct_netsuite_secrets_parse(ngx_conf_t *cf,
    ngx_ct_netsuite_secrets_t *s, ngx_str_t *arg);
ngx_int_t ngx_ct_netsuite_secrets_check(ngx_conf_t *cf,
    ngx_ct_netsuite_secrets_t *s, const char *scheme);

/* All current secrets of a request: files first, then variables. */
ngx_array_t *ngx_ct_netsuite_secrets_get(ngx_http_request_t *r,
    ngx_ct_netsuite_secrets_t *s);

/* Constant-time comparison of a presented secret with a configured one. */
ngx_int_t ngx_ct_netsuite_secret_equal(ngx_str_t *a, ngx_str_t *b);

/* The value of "name=VALUE" when arg starts with name=, else NULL. */
ngx_str_t *ngx_ct_netsuite_arg_value(ngx_str_t *arg, const char *name,
    ngx_str_t *value);

/*
 * A request header by name: NGX_OK, NGX_DECLINED when absent, NGX_ERROR
 * when sent twice (a second signature header smuggled in beside the first
 * must not let either pass).
 */
ngx_int_t ngx_ct_netsuite_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);


extern ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_none;
extern ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_hmac;
extern ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_token;
extern ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_pubsub;
extern ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_sns;
extern ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_eventgrid;
extern ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_stripe;


#endif /* _NGX_CT_NETSUITE_AUTH_H_INCLUDED_ */
