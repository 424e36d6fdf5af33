/*
 * Copyright (C) ct-netsuite authors
 *
 * Authentication of NetSuite requests, applied by the NetSuite lane right
 * before a request is sent: OAuth 1.0a TBA (a fresh nonce and timestamp
 * per request) or an OAuth 2.0 M2M bearer token.
 */

#ifndef _CTNS_NSAUTH_H_INCLUDED_
#define _CTNS_NSAUTH_H_INCLUDED_


#include "ctns_conf.h"
#include "ctns_http.h"
#include "ctns_token.h"


typedef struct {
    const ctns_conf_netsuite_t  *conf;
    ctns_token_t                 token;
} ctns_nsauth_t;


void ctns_nsauth_init(ctns_nsauth_t *a, const ctns_conf_netsuite_t *conf,
    ctns_http_t *http);
void ctns_nsauth_free(ctns_nsauth_t *a);

/* ctns_http_prepare_pt of the NetSuite lane. */
int ctns_nsauth_prepare(ctns_http_req_t *r, void *data);

/* r was answered 401. */
void ctns_nsauth_rejected(ctns_nsauth_t *a, const ctns_http_req_t *r);


#endif /* _CTNS_NSAUTH_H_INCLUDED_ */
