
/*
 * Copyright (C) ct-netsuite authors
 *
 * The request body as one contiguous, bounded buffer.  nginx keeps a body
 * that fits client_body_buffer_size in memory (one buffer, since the
 * handler asks for request_body_in_single_buf) and spills a larger one to a
 * temporary file; both end up here.  JSON parsing needs contiguous bytes.
 */


#include "ngx_ct_netsuite_module.h"


static off_t
ngx_ct_netsuite_body_size(ngx_chain_t *cl)
{
    off_t  size;

    size = 0;

    for ( /* void */ ; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    return size;
}


ngx_int_t
ngx_ct_netsuite_read_body(ngx_http_request_t *r, size_t max,
    ngx_str_t *body)
{
    off_t                      size;
    u_char                    *p;
    ssize_t                    n;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    ngx_http_request_body_t   *rb;

    rb = r->request_body;

    if (rb == NULL || rb->bufs == NULL) {
        ngx_str_null(body);
        return NGX_OK;
    }

    size = ngx_ct_netsuite_body_size(rb->bufs);

    if (size > (off_t) max) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    b = rb->bufs->buf;

    if (rb->bufs->next == NULL && !b->in_file) {
        body->data = b->pos;
        body->len = b->last - b->pos;
        return NGX_OK;
    }

    body->data = ngx_pnalloc(r->pool, size);
    if (body->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body->data;

    for (cl = rb->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                          "ct_netsuite: reading the body from \"%V\" failed",
                          &b->file->name);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p += n;
    }

    body->len = p - body->data;

    return NGX_OK;
}
