
/*
 * Copyright (C) ct-netsuite authors
 *
 * Inside the Redis adapter: the links (one async connection per Redis
 * node: the single server, or each cluster master) and the commands in
 * flight.  ngx_ct_netsuite_redis.c runs the links, ngx_ct_netsuite_cluster.c
 * routes commands over them by key slot.
 */


#ifndef _NGX_CT_NETSUITE_LINK_H_INCLUDED_
#define _NGX_CT_NETSUITE_LINK_H_INCLUDED_


#include "ngx_ct_netsuite_redis.h"
#include "ctns_cluster.h"


#define NGX_CT_NETSUITE_REDIS_DISCONNECTED  0
#define NGX_CT_NETSUITE_REDIS_CONNECTING    1
#define NGX_CT_NETSUITE_REDIS_HANDSHAKE     2
#define NGX_CT_NETSUITE_REDIS_READY         3


typedef struct {
    redisAsyncContext                 *ac;
    ngx_uint_t                         state;
    ngx_uint_t                         pending;
    ngx_msec_t                         progress;   /* last reply, or first
                                                      command after idle */
    ngx_msec_t                         backoff;
    ngx_event_t                        reconnect;
    ngx_event_t                        watchdog;
    ngx_queue_t                        parked;     /* redirected commands
                                                      waiting for READY */
    const char                        *host;       /* numeric, or the unix
                                                      socket path */
    int                                port;       /* 0: unix socket */
    unsigned                           wanted:1;   /* reconnects when lost */
} ngx_ct_netsuite_link_t;


typedef struct {
    ngx_queue_t                        queue;      /* in link->parked */
    ngx_event_t                        retry;      /* TRYAGAIN back-off */
    ngx_ct_netsuite_redis_handler_pt   handler;
    void                              *data;
    uint64_t                           sent;       /* for the histogram */
    ngx_msec_t                         start;      /* redirections' budget */
    ngx_uint_t                         redirects;
    ngx_uint_t                         asking;     /* ASKING goes first */
    int                                argc;
    const char                       **argv;       /* our own copy in a
                                                      cluster, for resends */
    size_t                            *lens;
} ngx_ct_netsuite_redis_cmd_t;


typedef struct {
    ngx_ct_netsuite_link_t             links[CTNS_CLUSTER_NODES_MAX];
    ngx_uint_t                         nlinks;
    ngx_uint_t                         exiting;
    ngx_ct_netsuite_main_conf_t       *conf;
    ngx_log_t                         *log;
    char                               sha[41];

    /* cluster mode: link i is the map's node i */
    ngx_uint_t                         cluster;
    ngx_uint_t                         loaded;      /* a map came once */
    ngx_uint_t                         reset;       /* node table full */
    ngx_uint_t                         refreshing;  /* CLUSTER SLOTS sent */
    ngx_uint_t                         next;        /* round robin */
    ngx_event_t                        refresh;
    ngx_queue_t                        unrouted;    /* waiting for the
                                                       first map */
    ctns_cluster_map_t                 map;
} ngx_ct_netsuite_redis_t;


extern ngx_ct_netsuite_redis_t  ngx_ct_netsuite_redis;


void ngx_ct_netsuite_link_init(ngx_ct_netsuite_link_t *l, const char *host,
    int port);
void ngx_ct_netsuite_link_connect(ngx_ct_netsuite_link_t *l);
void ngx_ct_netsuite_link_close(ngx_ct_netsuite_link_t *l);
ngx_int_t ngx_ct_netsuite_link_ready(ngx_ct_netsuite_link_t *l);

/* Sends cmd on a READY link; NGX_DECLINED leaves cmd to the caller. */
ngx_int_t ngx_ct_netsuite_link_dispatch(ngx_ct_netsuite_link_t *l,
    ngx_ct_netsuite_redis_cmd_t *cmd);

/* Holds cmd until the link is READY (sent) or lost (answered NULL). */
void ngx_ct_netsuite_link_park(ngx_ct_netsuite_link_t *l,
    ngx_ct_netsuite_redis_cmd_t *cmd);

/*
 * Sends cmd on a ready link, parks it on one still connecting (a fresh
 * worker's first deliveries wait for the handshake instead of failing);
 * NGX_DECLINED when the link is down.
 */
ngx_int_t ngx_ct_netsuite_link_submit(ngx_ct_netsuite_link_t *l,
    ngx_ct_netsuite_redis_cmd_t *cmd);

/* Answers every command of a queue with NULL. */
void ngx_ct_netsuite_redis_flush(ngx_queue_t *queue);

/* The caller's handler with the final reply (or NULL); frees cmd. */
void ngx_ct_netsuite_redis_deliver(ngx_ct_netsuite_redis_cmd_t *cmd,
    redisReply *reply);

ngx_int_t ngx_ct_netsuite_cluster_init(ngx_ct_netsuite_redis_t *rd);
ngx_int_t ngx_ct_netsuite_cluster_send(ngx_ct_netsuite_redis_t *rd,
    ngx_ct_netsuite_redis_cmd_t *cmd);

/* NGX_OK when the reply was a redirection and cmd was taken over. */
ngx_int_t ngx_ct_netsuite_cluster_redirect(ngx_ct_netsuite_redis_t *rd,
    ngx_ct_netsuite_redis_cmd_t *cmd, redisReply *reply);

void ngx_ct_netsuite_cluster_link_ready(ngx_ct_netsuite_redis_t *rd);
void ngx_ct_netsuite_cluster_link_lost(ngx_ct_netsuite_redis_t *rd);
void ngx_ct_netsuite_cluster_exit(ngx_ct_netsuite_redis_t *rd);


#endif /* _NGX_CT_NETSUITE_LINK_H_INCLUDED_ */
