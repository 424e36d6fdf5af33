
/*
 * Copyright (C) ct-netsuite authors
 */


#ifndef _NGX_CT_NETSUITE_MODULE_H_INCLUDED_
#define _NGX_CT_NETSUITE_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ctns_cluster.h"
#include "ctns_event.h"


#define NGX_CT_NETSUITE_RETRY_AFTER   "5"


typedef struct ngx_ct_netsuite_scheme_s  ngx_ct_netsuite_scheme_t;


typedef struct {
    ngx_str_t                   host;        /* numeric, NUL-terminated */
    ngx_int_t                   port;        /* 0 for a unix socket */
    ngx_str_t                   path;        /* unix socket, NUL-terminated */
    ctns_cluster_addr_t        *seeds;       /* cluster mode: seed nodes */
    ngx_uint_t                  nseeds;
    ngx_str_t                   password;
    ngx_int_t                   db;
    ngx_msec_t                  timeout;
    ngx_uint_t                  used;        /* some location needs Redis */
    ngx_shm_zone_t             *metrics;     /* counters of all workers */
} ngx_ct_netsuite_main_conf_t;


typedef struct {
    ngx_str_t                   prefix;
    ngx_uint_t                  shards;
    ngx_uint_t                  maxlen;
    time_t                      dedup_ttl;
} ngx_ct_netsuite_stream_t;


typedef struct {
    ngx_flag_t                  webhook;
    size_t                      max_body;
    ngx_ct_netsuite_stream_t   *stream;
    ngx_array_t                *auth;        /* of ngx_ct_netsuite_auth_t */
    ngx_flag_t                  status;
    ngx_flag_t                  metrics;
    ngx_flag_t                  status_payloads;
    void                       *status_token; /* ngx_ct_netsuite_secrets_t */
    ngx_array_t                *status_links; /* ngx_keyval_t: type, URL */
} ngx_ct_netsuite_loc_conf_t;


/*
 * One unwrapped payload of a delivery: a commercetools one, or (control)
 * another kind the scheme named, with the stream it goes to.
 */

#define NGX_CT_NETSUITE_TO_EVENTS       0    /* <prefix>:{N}:events */
#define NGX_CT_NETSUITE_TO_CONTROL      1    /* <prefix>:control */
#define NGX_CT_NETSUITE_TO_SETTLEMENTS  2    /* <prefix>:{settlements}:events */

typedef struct {
    ngx_str_t                   data;
    ngx_str_t                   src;         /* channel, for the stream */
    unsigned                    control:2;   /* NGX_CT_NETSUITE_TO_* */
} ngx_ct_netsuite_payload_t;


/* Per request state, in r->pool. */

typedef struct {
    ngx_str_t                   body;
    ngx_array_t                 payloads;    /* ngx_ct_netsuite_payload_t */
    ngx_str_t                   event_id;
    ngx_str_t                   event_type;
    ngx_str_t                   result;
    ngx_str_t                   reason;      /* precise, for error.log */
    ngx_str_t                   wanted;      /* key URL for ctns:keys:wanted */
    ngx_str_t                   response;    /* a scheme's own answer */
    ngx_str_t                   url_secret;  /* taken out of the query
                                                before anything logs it */
    ngx_uint_t                  url_secrets; /* how many were sent */
} ngx_ct_netsuite_ctx_t;


extern ngx_module_t  ngx_ct_netsuite_module;


ngx_int_t ngx_ct_netsuite_webhook_handler(ngx_http_request_t *r);

ngx_int_t ngx_ct_netsuite_answer(ngx_http_request_t *r, ngx_uint_t status,
    const char *result, ngx_str_t *id, const char *error);

/* Adds a response header; *out (when given) points at it. */
ngx_int_t ngx_ct_netsuite_add_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len, ngx_table_elt_t **out);

ngx_int_t ngx_ct_netsuite_answer_raw(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *json);

ngx_int_t ngx_ct_netsuite_read_body(ngx_http_request_t *r, size_t max,
    ngx_str_t *body);

ngx_int_t ngx_ct_netsuite_add_variables(ngx_conf_t *cf);


#endif /* _NGX_CT_NETSUITE_MODULE_H_INCLUDED_ */
