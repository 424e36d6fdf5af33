
/*
 * Copyright (C) ct-netsuite authors
 *
 * Every answer of the webhook location: {"result":..,"id":..,"error":..}.
 * The error text is generic for signature failures (the precise reason goes
 * to error.log only) and names the field for malformed payloads.
 */


#include "ngx_ct_netsuite_module.h"


static u_char *
ngx_ct_netsuite_json_str(u_char *p, u_char *s, size_t len)
{
    if (s == NULL) {
        return ngx_cpymem(p, "null", 4);
    }

    *p++ = '"';
    p = (u_char *) ngx_escape_json(p, s, len);
    *p++ = '"';

    return p;
}


ngx_int_t
ngx_ct_netsuite_add_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len, ngx_table_elt_t **out)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = value;
    h->value.len = len;

    if (out) {
        *out = h;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_send(ngx_http_request_t *r, ngx_uint_t status, ngx_buf_t *b)
{
    ngx_int_t     rc;
    ngx_chain_t   out;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_ct_netsuite_answer_raw(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json)
{
    ngx_buf_t  *b;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = json->data;
    b->last = json->data + json->len;
    b->memory = 1;

    return ngx_ct_netsuite_send(r, status, b);
}


ngx_int_t
ngx_ct_netsuite_answer(ngx_http_request_t *r, ngx_uint_t status,
    const char *result, ngx_str_t *id, const char *error)
{
    size_t            len, elen;
    ngx_buf_t        *b;

    elen = error ? ngx_strlen(error) : 0;

    len = sizeof("{\"result\":\"\",\"id\":,\"error\":}\n") - 1
          + ngx_strlen(result) + 4 + 4
          + (id && id->len ? id->len + ngx_escape_json(NULL, id->data,
                                                       id->len) + 2 : 0)
          + (error ? elen + ngx_escape_json(NULL, (u_char *) error, elen) + 2
                   : 0);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"result\":\"%s\",\"id\":", result);
    b->last = ngx_ct_netsuite_json_str(b->last,
                                       id && id->len ? id->data : NULL,
                                       id ? id->len : 0);
    b->last = ngx_cpymem(b->last, ",\"error\":", 9);
    b->last = ngx_ct_netsuite_json_str(b->last, (u_char *) error, elen);
    b->last = ngx_cpymem(b->last, "}\n", 2);

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        && ngx_ct_netsuite_add_header(r, "Retry-After",
               (u_char *) NGX_CT_NETSUITE_RETRY_AFTER,
               sizeof(NGX_CT_NETSUITE_RETRY_AFTER) - 1, NULL) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_NOT_ALLOWED
        && ngx_ct_netsuite_add_header(r, "Allow", (u_char *) "POST", 4, NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_send(r, status, b);
}
