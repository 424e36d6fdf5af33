
/*
 * Copyright (C) ct-netsuite authors
 *
 * ngx_ct_netsuite_module: commercetools deliveries in, Redis streams out.
 * This file holds the directives, configuration and process hooks; the
 * webhook, Redis, schemes and answers live in their own files.
 */


#include "ngx_ct_netsuite_auth.h"
#include "ngx_ct_netsuite_links.h"
#include "ngx_ct_netsuite_metrics.h"
#include "ngx_ct_netsuite_redis.h"
#include "ngx_ct_netsuite_status.h"

#include "ctns_hmac.h"
#include "ctns_shard.h"


#define NGX_CT_NETSUITE_MAX_BODY     (1024 * 1024)
#define NGX_CT_NETSUITE_MAXLEN       1000000
#define NGX_CT_NETSUITE_DEDUP_TTL    (7 * 86400)
#define NGX_CT_NETSUITE_TIMEOUT      3000


static ngx_int_t ngx_ct_netsuite_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_ct_netsuite_postconfiguration(ngx_conf_t *cf);
static void *ngx_ct_netsuite_create_main_conf(ngx_conf_t *cf);
static void *ngx_ct_netsuite_create_loc_conf(ngx_conf_t *cf);
static char *ngx_ct_netsuite_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_ct_netsuite_redis_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_ct_netsuite_stream_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_ct_netsuite_webhook_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_ct_netsuite_content_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_ct_netsuite_init_process(ngx_cycle_t *cycle);
static void ngx_ct_netsuite_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_ct_netsuite_commands[] = {

    { ngx_string("ct_netsuite_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_ct_netsuite_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ct_netsuite_stream"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_ct_netsuite_stream_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ct_netsuite_webhook"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_ct_netsuite_webhook_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ct_netsuite_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_ct_netsuite_auth_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ct_netsuite_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_ct_netsuite_content_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_ct_netsuite_loc_conf_t, status),
      (void *) ngx_ct_netsuite_status_handler },

    { ngx_string("ct_netsuite_status_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_ct_netsuite_status_token_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ct_netsuite_status_payloads"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_ct_netsuite_loc_conf_t, status_payloads),
      NULL },

    { ngx_string("ct_netsuite_status_link"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_ct_netsuite_status_link_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ct_netsuite_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_ct_netsuite_content_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_ct_netsuite_loc_conf_t, metrics),
      (void *) ngx_ct_netsuite_metrics_handler },

      ngx_null_command
};


static ngx_http_module_t  ngx_ct_netsuite_module_ctx = {
    ngx_ct_netsuite_preconfiguration,      /* preconfiguration */
    ngx_ct_netsuite_postconfiguration,     /* postconfiguration */

    ngx_ct_netsuite_create_main_conf,      /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_ct_netsuite_create_loc_conf,       /* create location configuration */
    ngx_ct_netsuite_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_ct_netsuite_module = {
    NGX_MODULE_V1,
    &ngx_ct_netsuite_module_ctx,           /* module context */
    ngx_ct_netsuite_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_ct_netsuite_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_ct_netsuite_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_ct_netsuite_preconfiguration(ngx_conf_t *cf)
{
    return ngx_ct_netsuite_add_variables(cf);
}


static ngx_int_t
ngx_ct_netsuite_postconfiguration(ngx_conf_t *cf)
{
    ngx_ct_netsuite_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_ct_netsuite_module);

    if (rmcf->used && rmcf->host.len == 0 && rmcf->path.len == 0
        && rmcf->nseeds == 0)
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "ct_netsuite locations need \"ct_netsuite_redis\" in "
                      "the http block");
        return NGX_ERROR;
    }

    if (rmcf->used) {
        return ngx_ct_netsuite_metrics_init_conf(cf, rmcf);
    }

    return NGX_OK;
}


static void *
ngx_ct_netsuite_create_main_conf(ngx_conf_t *cf)
{
    ngx_ct_netsuite_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    rmcf->timeout = NGX_CT_NETSUITE_TIMEOUT;

    return rmcf;
}


static void *
ngx_ct_netsuite_create_loc_conf(ngx_conf_t *cf)
{
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    lcf->webhook = NGX_CONF_UNSET;
    lcf->max_body = NGX_CONF_UNSET_SIZE;
    lcf->stream = NGX_CONF_UNSET_PTR;
    lcf->auth = NGX_CONF_UNSET_PTR;
    lcf->status = NGX_CONF_UNSET;
    lcf->metrics = NGX_CONF_UNSET;
    lcf->status_payloads = NGX_CONF_UNSET;
    lcf->status_token = NGX_CONF_UNSET_PTR;
    lcf->status_links = NGX_CONF_UNSET_PTR;

    return lcf;
}


static char *
ngx_ct_netsuite_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_ct_netsuite_loc_conf_t *prev = parent;
    ngx_ct_netsuite_loc_conf_t *conf = child;

    ngx_ct_netsuite_stream_t  *st;

    ngx_conf_merge_value(conf->webhook, prev->webhook, 0);
    ngx_conf_merge_size_value(conf->max_body, prev->max_body,
                              NGX_CT_NETSUITE_MAX_BODY);
    ngx_conf_merge_ptr_value(conf->auth, prev->auth, NULL);
    ngx_conf_merge_ptr_value(conf->stream, prev->stream, NULL);
    ngx_conf_merge_value(conf->status, prev->status, 0);
    ngx_conf_merge_value(conf->metrics, prev->metrics, 0);
    ngx_conf_merge_value(conf->status_payloads, prev->status_payloads, 0);
    ngx_conf_merge_ptr_value(conf->status_token, prev->status_token, NULL);
    ngx_conf_merge_ptr_value(conf->status_links, prev->status_links, NULL);

    if (conf->stream == NULL) {
        st = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_stream_t));
        if (st == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(&st->prefix, "ctns");
        st->shards = CTNS_SHARDS_DEFAULT;
        st->maxlen = NGX_CT_NETSUITE_MAXLEN;
        st->dedup_ttl = NGX_CT_NETSUITE_DEDUP_TTL;

        conf->stream = st;
    }

    if (conf->webhook && conf->auth == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ct_netsuite_webhook\" needs "
                           "\"ct_netsuite_auth\" (use \"ct_netsuite_auth "
                           "none\" only for tests)");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * ct_netsuite_redis ADDRESS [db=N] [password=P] [timeout=T]
 * ct_netsuite_redis cluster=ADDRESS,... [password=P] [timeout=T]
 */

static char *
ngx_ct_netsuite_redis_cluster(ngx_conf_t *cf,
    ngx_ct_netsuite_main_conf_t *rmcf, ngx_str_t *seeds)
{
    int                   n;
    const char           *bad;
    ctns_cluster_addr_t   addrs[CTNS_CLUSTER_NODES_MAX / 4];

    /* seeds->data is NUL-terminated by the configuration parser */
    n = ctns_cluster_seeds_parse((char *) seeds->data, addrs,
                                 CTNS_CLUSTER_NODES_MAX / 4, &bad);
    if (n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid ct_netsuite_redis cluster seed \"%s\": "
                           "expected at most %d numeric HOST:PORT "
                           "addresses separated by commas", bad,
                           CTNS_CLUSTER_NODES_MAX / 4);
        return NGX_CONF_ERROR;
    }

    rmcf->seeds = ngx_pcalloc(cf->pool, n * sizeof(ctns_cluster_addr_t));
    if (rmcf->seeds == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(rmcf->seeds, addrs, n * sizeof(ctns_cluster_addr_t));
    rmcf->nseeds = n;

    return NGX_CONF_OK;
}


static char *
ngx_ct_netsuite_redis_address(ngx_conf_t *cf,
    ngx_ct_netsuite_main_conf_t *rmcf, ngx_str_t *addr)
{
    u_char     *p;
    size_t      len;
    ngx_url_t   u;

    if (addr->len > 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {
        rmcf->path.len = addr->len - 5;
        rmcf->path.data = ngx_pnalloc(cf->pool, rmcf->path.len + 1);
        if (rmcf->path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(rmcf->path.data, addr->data + 5, rmcf->path.len + 1);
        return NGX_CONF_OK;
    }

    /* resolved here: hiredis would call a blocking getaddrinfo() later */
    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = *addr;
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid ct_netsuite_redis address \"%V\": %s",
                           addr, u.err ? u.err : "no address");
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);

    /* hiredis wants a bare IPv6 address, without brackets */
    if (len > 2 && p[0] == '[') {
        ngx_memmove(p, p + 1, len - 2);
        len -= 2;
    }

    p[len] = '\0';

    rmcf->host.data = p;
    rmcf->host.len = len;
    rmcf->port = u.port;

    return NGX_CONF_OK;
}


static char *
ngx_ct_netsuite_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_ct_netsuite_main_conf_t  *rmcf = conf;

    ngx_str_t   *value, v;
    ngx_uint_t   i;

    if (rmcf->host.len || rmcf->path.len || rmcf->nseeds) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_ct_netsuite_arg_value(&value[1], "cluster", &v)) {
        if (ngx_ct_netsuite_redis_cluster(cf, rmcf, &v) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

    } else if (ngx_ct_netsuite_redis_address(cf, rmcf, &value[1])
               != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_ct_netsuite_arg_value(&value[i], "db", &v)) {
            rmcf->db = ngx_atoi(v.data, v.len);
            if (rmcf->db == NGX_ERROR) {
                goto invalid;
            }

            if (rmcf->nseeds && rmcf->db) {
                return "db= is not supported by Redis Cluster (db 0 only)";
            }

            continue;
        }

        if (ngx_ct_netsuite_arg_value(&value[i], "password", &v)) {
            rmcf->password = v;
            continue;
        }

        if (ngx_ct_netsuite_arg_value(&value[i], "timeout", &v)) {
            rmcf->timeout = ngx_parse_time(&v, 0);
            if (rmcf->timeout == (ngx_msec_t) NGX_ERROR
                || rmcf->timeout < 10)
            {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    /* not %V of the argument: it may be the password */
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid ct_netsuite_redis parameter #%ui", i);

    return NGX_CONF_ERROR;
}


/* ct_netsuite_stream PREFIX [shards=N] [maxlen=N] [dedup_ttl=T] */

static char *
ngx_ct_netsuite_stream_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_ct_netsuite_loc_conf_t  *lcf = conf;

    ngx_int_t                  n;
    ngx_str_t                 *value, v;
    ngx_uint_t                 i;
    ngx_ct_netsuite_stream_t  *st;

    if (lcf->stream != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    st = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_stream_t));
    if (st == NULL) {
        return NGX_CONF_ERROR;
    }

    st->prefix = value[1];
    st->shards = CTNS_SHARDS_DEFAULT;
    st->maxlen = NGX_CT_NETSUITE_MAXLEN;
    st->dedup_ttl = NGX_CT_NETSUITE_DEDUP_TTL;

    for (i = 0; i < value[1].len; i++) {
        if (!isalnum(value[1].data[i]) && value[1].data[i] != '_'
            && value[1].data[i] != '-' && value[1].data[i] != '.')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid ct_netsuite_stream prefix \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_ct_netsuite_arg_value(&value[i], "shards", &v)) {
            n = ngx_atoi(v.data, v.len);
            if (n < 1 || n > CTNS_SHARDS_MAX) {
                goto invalid;
            }

            st->shards = n;
            continue;
        }

        if (ngx_ct_netsuite_arg_value(&value[i], "maxlen", &v)) {
            n = ngx_atoi(v.data, v.len);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            st->maxlen = n;
            continue;
        }

        if (ngx_ct_netsuite_arg_value(&value[i], "dedup_ttl", &v)) {
            st->dedup_ttl = ngx_parse_time(&v, 1);
            if (st->dedup_ttl == (time_t) NGX_ERROR || st->dedup_ttl == 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    lcf->stream = st;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid ct_netsuite_stream parameter \"%V\"",
                       &value[i]);

    return NGX_CONF_ERROR;
}


/* ct_netsuite_webhook [max_body=SIZE] */

static char *
ngx_ct_netsuite_webhook_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_ct_netsuite_loc_conf_t  *lcf = conf;

    ngx_str_t                    *value, v;
    ngx_http_core_loc_conf_t     *clcf;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    if (lcf->webhook != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (ngx_ct_netsuite_arg_value(&value[1], "max_body", &v) == NULL) {
            return "has an invalid parameter";
        }

        lcf->max_body = ngx_parse_size(&v);
        if (lcf->max_body == (size_t) NGX_ERROR || lcf->max_body == 0) {
            return "has an invalid max_body";
        }
    }

    lcf->webhook = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_ct_netsuite_webhook_handler;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_ct_netsuite_module);
    rmcf->used = 1;

    return NGX_CONF_OK;
}


/*
 * ct_netsuite_status, ct_netsuite_metrics: a flag at cmd->offset and the
 * content handler in cmd->post, like stub_status.
 */

static char *
ngx_ct_netsuite_content_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_flag_t                   *flag;
    ngx_http_core_loc_conf_t     *clcf;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    flag = (ngx_flag_t *) ((u_char *) conf + cmd->offset);

    if (*flag != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    *flag = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = (ngx_http_handler_pt) cmd->post;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_ct_netsuite_module);
    rmcf->used = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_ct_netsuite_init_process(ngx_cycle_t *cycle)
{
    ngx_ct_netsuite_main_conf_t  *rmcf;

    /* cache manager and loader processes run init_process too */
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_ct_netsuite_module);

    if (rmcf == NULL || !rmcf->used) {
        return NGX_OK;
    }

    return ngx_ct_netsuite_redis_init_process(cycle, rmcf);
}


static void
ngx_ct_netsuite_exit_process(ngx_cycle_t *cycle)
{
    ngx_ct_netsuite_redis_exit_process();

    /* nginx built --with-debug dlclose()s modules at exit */
    ctns_hmac_cleanup();
}
