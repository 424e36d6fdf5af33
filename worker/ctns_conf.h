/*
 * Copyright (C) ct-netsuite authors
 *
 * The worker's own configuration sections (redis, stream, netsuite,
 * commercetools, retry, worker, log).  The mapping sections belong to
 * ctns_map_conf_load().  Every problem is collected with its JSON path;
 * secrets are given as "env:NAME" or "file:/path" and resolved here.
 */

#ifndef _CTNS_CONF_H_INCLUDED_
#define _CTNS_CONF_H_INCLUDED_


#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ctns_conf_err.h"
#include "ctns_redis.h"


typedef enum {
    CTNS_AUTH_OAUTH2 = 0,
    CTNS_AUTH_TBA
} ctns_auth_type_e;


typedef struct {
    char               account_id[64];
    char               realm[64];        /* 1234567_SB1 */
    char               host[64];         /* 1234567-sb1 */
    char               base_url[512];    /* no trailing slash */
    ctns_auth_type_e   auth;

    /* OAuth 2.0 M2M */
    char               client_id[256];
    char               certificate_id[256];
    char               algorithm[8];
    EVP_PKEY          *pkey;
    char               token_url[640];

    /* TBA */
    char              *consumer_key;
    char              *consumer_secret;
    char              *token_id;
    char              *token_secret;

    int                concurrency;
    int                timeout_ms;
    int                connect_timeout_ms;
    char               user_agent[128];
} ctns_conf_netsuite_t;


typedef struct {
    int                enabled;
    char               api_url[512];
    char               auth_url[512];
    char               project_key[128];
    char               client_id[256];
    char              *client_secret;
    char               scopes[1024];
    int                concurrency;
    int                timeout_ms;
} ctns_conf_ct_t;


typedef struct {
    int64_t            base_ms;
    int64_t            cap_ms;
    int                max_attempts;
} ctns_conf_retry_t;


typedef struct {
    char               consumer[128];    /* "" = host-pid-random */
    int64_t            claim_idle_ms;
    int64_t            lock_ttl_ms;
    int                prefetch;
    int64_t            drain_timeout_ms;
    int64_t            poll_ms;
    int                max_deliveries;
} ctns_conf_worker_t;


typedef struct {
    char               prefix[64];
    int                shards;
} ctns_conf_stream_t;


typedef struct {
    int                level;
    char               file[512];        /* "" = stderr */
} ctns_conf_log_t;


typedef struct {
    json_t                *root;
    ctns_conf_redis_t      redis;
    ctns_conf_stream_t     stream;
    ctns_conf_netsuite_t   netsuite;
    ctns_conf_ct_t         ct;
    ctns_conf_retry_t      retry;
    ctns_conf_worker_t     worker;
    ctns_conf_log_t        log;
} ctns_conf_t;


/*
 * Reads and checks path.  Returns the configuration, or NULL with every
 * problem in errs (a file that cannot be read or parsed is one error).
 * The mapping sections are left in conf->root for ctns_map_conf_load().
 */
ctns_conf_t *ctns_conf_load(const char *path, ctns_conf_errors_t *errs);
void ctns_conf_free(ctns_conf_t *conf);

/* "env:NAME" / "file:/path" / literal -> malloc()ed value, or NULL. */
char *ctns_conf_secret(const char *ref, char *err, size_t errlen);


#endif /* _CTNS_CONF_H_INCLUDED_ */
