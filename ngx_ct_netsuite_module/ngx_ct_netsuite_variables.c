
/*
 * Copyright (C) ct-netsuite authors
 *
 * $ct_netsuite_event_id, $ct_netsuite_event_type, $ct_netsuite_result for
 * access logs.  Not cacheable: the values appear only once the body was
 * parsed and Redis answered.
 */


#include "ngx_ct_netsuite_module.h"


static ngx_int_t ngx_ct_netsuite_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_ct_netsuite_vars[] = {

    { ngx_string("ct_netsuite_event_id"), NULL, ngx_ct_netsuite_variable,
      offsetof(ngx_ct_netsuite_ctx_t, event_id),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ct_netsuite_event_type"), NULL, ngx_ct_netsuite_variable,
      offsetof(ngx_ct_netsuite_ctx_t, event_type),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("ct_netsuite_result"), NULL, ngx_ct_netsuite_variable,
      offsetof(ngx_ct_netsuite_ctx_t, result),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_ct_netsuite_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t              *s;
    ngx_ct_netsuite_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_ct_netsuite_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((u_char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


ngx_int_t
ngx_ct_netsuite_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_ct_netsuite_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}
