/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-keys: the key fetcher beside nginx.  nginx workers never make
 * outbound calls; this command downloads what the module reads from files
 * (Google's JWKS, SNS signing certificates the module asked for in
 * <prefix>:keys:wanted) and performs the SNS subscription confirmations the
 * module queued in <prefix>:control.
 */

#ifndef _CTNS_KEYS_H_INCLUDED_
#define _CTNS_KEYS_H_INCLUDED_


#include <stddef.h>

#include "ctns_redis.h"


#define CTNS_KEYS_GROUP  "ctns-keys"


typedef struct {
    const char         *redis;              /* host:port, unix:/path or
                                               cluster=host:port,... */
    char               *redis_password;     /* AUTH on connect, NULL: none */
    ctns_conf_redis_t   server;             /* redis, parsed */
    const char         *prefix;
    const char         *jwks_url;
    const char         *jwks_file;
    const char         *cert_dir;
    const char         *cert_base_url;      /* tests: fetch base + URL
                                               path */
    const char         *confirm_base_url;   /* tests: the same for
                                               SubscribeURL */
    long                interval;           /* 0: once */
    long                timeout;            /* seconds per HTTP request */
} ctns_keys_conf_t;


/* The outcome of one piece of work, in increasing gravity. */
typedef enum {
    CTNS_KEYS_DONE = 0,
    CTNS_KEYS_REFUSED,               /* permanent: logged, dropped */
    CTNS_KEYS_RETRY                  /* transient: kept for the next run */
} ctns_keys_rc_t;


void ctns_keys_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * GET url into a malloc'd buffer of at most max bytes, no redirects.
 * Returns the HTTP status, or -1 on a transport error (reason in errbuf).
 */
long ctns_keys_http_get(const char *url, long timeout, size_t max,
    char **body, size_t *len, char *errbuf, size_t errlen);

/* Writes path through a temporary file and rename(2); -1 with errno. */
int ctns_keys_write_file(const char *path, const char *data, size_t len);

/* base + path when base is set (tests), else the URL itself. */
char *ctns_keys_fetch_url(const char *base, const char *url,
    const char *path, size_t path_len);

int ctns_keys_jwks(const ctns_keys_conf_t *conf);
int ctns_keys_sns_certs(const ctns_keys_conf_t *conf, ctns_redis_t *rc);
int ctns_keys_sns_confirm(const ctns_keys_conf_t *conf, ctns_redis_t *rc);


#endif /* _CTNS_KEYS_H_INCLUDED_ */
