/*
 * Copyright (C) ct-netsuite authors
 *
 * Reads from the commercetools HTTP API for the mapping (CTNS_MAP_NEED):
 * client credentials token cached in a ctns_token_t, requests on their own
 * lane of the shared non-blocking HTTP machinery.
 */

#ifndef _CTNS_CTCLIENT_H_INCLUDED_
#define _CTNS_CTCLIENT_H_INCLUDED_


#include <jansson.h>

#include "ctns_conf.h"
#include "ctns_http.h"
#include "ctns_token.h"


typedef struct {
    const ctns_conf_ct_t  *conf;
    ctns_token_t           token;
    char                  *userpwd;
} ctns_ctclient_t;


int ctns_ctclient_init(ctns_ctclient_t *c, const ctns_conf_ct_t *conf,
    ctns_http_t *http);
void ctns_ctclient_free(ctns_ctclient_t *c);

/* ctns_http_prepare_pt of the commercetools lane. */
int ctns_ctclient_prepare(ctns_http_req_t *r, void *data);

/* GET <api_url>/<project>/<path>; path as the mapping wrote it. */
ctns_http_req_t *ctns_ctclient_get(ctns_ctclient_t *c, const char *path);

/*
 * The resource a finished GET yielded: the object, the first result of a
 * query, or JSON null for a 404 / an empty result.  NULL when the answer
 * is an error to retry (status and body say which).
 */
json_t *ctns_ctclient_result(const ctns_http_req_t *r, const char *path);


#endif /* _CTNS_CTCLIENT_H_INCLUDED_ */
