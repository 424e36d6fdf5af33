
/*
 * Copyright (C) ct-netsuite authors
 *
 * The status location.
 */


#ifndef _NGX_CT_NETSUITE_STATUS_H_INCLUDED_
#define _NGX_CT_NETSUITE_STATUS_H_INCLUDED_


#include "ngx_ct_netsuite_module.h"


ngx_int_t ngx_ct_netsuite_status_handler(ngx_http_request_t *r);

char *ngx_ct_netsuite_status_token_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/*
 * The bearer token and method checks of the status and metrics locations:
 * NGX_DECLINED to go on, or what the content handler returns for the
 * answer already sent (401, 405).
 */
ngx_int_t ngx_ct_netsuite_status_access(ngx_http_request_t *r);


#endif /* _NGX_CT_NETSUITE_STATUS_H_INCLUDED_ */
