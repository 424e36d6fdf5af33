/*
 * Copyright (C) ct-netsuite authors
 *
 * A cached OAuth 2.0 bearer token (NetSuite M2M, commercetools client
 * credentials): fetched on the request path without blocking, renewed
 * ahead of expiry, dropped when the server answers 401 to it.
 */

#ifndef _CTNS_TOKEN_H_INCLUDED_
#define _CTNS_TOKEN_H_INCLUDED_


#include "ctns_http.h"


typedef ctns_http_req_t *(*ctns_token_make_pt)(void *data, char *err,
    size_t errlen);


typedef struct {
    const char          *name;           /* "netsuite", "commercetools" */
    ctns_http_t         *http;
    ctns_token_make_pt   make;           /* builds the token request */
    void                *data;
    char                *bearer;         /* "Bearer <token>" */
    int64_t              renew_ms;       /* fetch a new one after this */
    int64_t              expires_ms;
    int                  fetching;
    int64_t              fail_until_ms;
    char                 error[256];
} ctns_token_t;


/*
 * Lane prepare step: sets r->auth to the bearer token when there is a good
 * one (CTNS_HTTP_READY); otherwise starts fetching one and answers
 * CTNS_HTTP_NOTYET, or CTNS_HTTP_FAIL right after a failed fetch.
 */
int ctns_token_prepare(ctns_token_t *t, ctns_http_req_t *r);

/* r was answered 401: forget the token it carried. */
void ctns_token_invalidate(ctns_token_t *t, const ctns_http_req_t *r);

void ctns_token_free(ctns_token_t *t);


#endif /* _CTNS_TOKEN_H_INCLUDED_ */
