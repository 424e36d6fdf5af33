
/*
 * Copyright (C) ct-netsuite authors
 *
 * The status location.
 */


#ifndef _NGX_CT_NETSUITE_STATUS_H_INCLUDED_
#define _NGX_CT_NETSUITE_STATUS_H_INCLUDED_


#include "ngx_ct_netsuite_query.h"

#include <jansson.h>


ngx_int_t ngx_ct_netsuite_status_handler(ngx_http_request_t *r);

char *ngx_ct_netsuite_status_token_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/*
 * The bearer token check (after the request body is discarded):
 * NGX_DECLINED to go on, or what the content handler returns for the
 * answer already sent (401).
 */
ngx_int_t ngx_ct_netsuite_status_auth(ngx_http_request_t *r);

/* An error answer {"result","id","error"} with Cache-Control: no-store. */
ngx_int_t ngx_ct_netsuite_status_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *result, ngx_str_t *id, const char *error);

/* Starts cmd with "name <prefix>:<key>" (prefix of ct_netsuite_stream). */
ngx_int_t ngx_ct_netsuite_status_key(ngx_http_request_t *r,
    ngx_ct_netsuite_cmd_t *cmd, const char *name, const char *key);

/* view as compact JSON and a newline in r->pool; view is released. */
ngx_int_t ngx_ct_netsuite_status_dump(ngx_http_request_t *r, json_t *view,
    ngx_str_t *json);

/*
 * The bearer token and method checks of the status and metrics locations:
 * NGX_DECLINED to go on, or what the content handler returns for the
 * answer already sent (401, 405).
 */
ngx_int_t ngx_ct_netsuite_status_access(ngx_http_request_t *r);


#endif /* _NGX_CT_NETSUITE_STATUS_H_INCLUDED_ */
