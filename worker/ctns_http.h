/*
 * Copyright (C) ct-netsuite authors
 *
 * Non-blocking HTTP on one libcurl multi handle.  Requests are queued per
 * lane (NetSuite, commercetools); a lane never has more than its limit in
 * flight, which is how the worker honours NetSuite's account concurrency
 * limit exactly.  Connections are kept in the multi handle's cache and
 * reused.  A lane's prepare callback runs right before a request goes on
 * the wire, so signatures (TBA nonce and timestamp) and bearer tokens are
 * fresh however long the request waited in the queue.
 */

#ifndef _CTNS_HTTP_H_INCLUDED_
#define _CTNS_HTTP_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "ctns_clock.h"


#define CTNS_LANE_NS     0
#define CTNS_LANE_CT     1
#define CTNS_LANES       2

#define CTNS_HTTP_READY     0
#define CTNS_HTTP_NOTYET    1
#define CTNS_HTTP_FAIL      -1


typedef struct ctns_http_req_s  ctns_http_req_t;
typedef struct ctns_http_s      ctns_http_t;

typedef void (*ctns_http_done_pt)(ctns_http_req_t *r);
typedef int (*ctns_http_prepare_pt)(ctns_http_req_t *r, void *data);


struct ctns_http_req_s {
    int                  lane;
    int                  urgent;        /* queued first (token requests) */
    int                  noauth;        /* prepare callback skipped */
    char                 method[8];
    char                *url;           /* owned */
    char                *body;          /* owned, may be NULL */
    size_t               body_len;
    struct curl_slist   *headers;       /* owned, without Authorization */
    char                *auth;          /* owned Authorization value */
    const char          *userpwd;       /* basic auth, not owned */
    long                 timeout_ms;

    /* results */
    CURLcode             cerr;
    long                 status;
    char                *resp;          /* NUL-terminated */
    size_t               resp_len;
    char                 location[512];
    int64_t              retry_after_ms;
    int64_t              latency_ms;
    char                 errbuf[CURL_ERROR_SIZE];

    ctns_http_done_pt    done;
    void                *data;

    /* private */
    CURL                *easy;
    struct curl_slist   *sent;
    int64_t              started_ms;
    size_t               resp_cap;
    ctns_http_req_t     *next;
};


ctns_http_t *ctns_http_create(const char *user_agent, long connect_ms);
void ctns_http_destroy(ctns_http_t *h);

void ctns_http_lane(ctns_http_t *h, int lane, int limit,
    ctns_http_prepare_pt prepare, void *data);

ctns_http_req_t *ctns_http_req(int lane, const char *method,
    const char *url, long timeout_ms);
int ctns_http_header(ctns_http_req_t *r, const char *header);
void ctns_http_req_free(ctns_http_req_t *r);

/* Queues r; its done callback runs from ctns_http_run() later. */
void ctns_http_submit(ctns_http_t *h, ctns_http_req_t *r);

/* Dispatches queued requests again (after a lane became ready). */
void ctns_http_kick(ctns_http_t *h);

/*
 * Drives transfers, waiting up to timeout_ms for activity, and runs the
 * done callbacks of finished requests.
 */
void ctns_http_run(ctns_http_t *h, int timeout_ms);

int ctns_http_in_flight(const ctns_http_t *h, int lane);
int ctns_http_queued(const ctns_http_t *h, int lane);
int ctns_http_peak(const ctns_http_t *h, int lane);

/* 1 when a failed transfer may have reached the server (timeouts etc.) */
int ctns_http_ambiguous(const ctns_http_req_t *r);



#endif /* _CTNS_HTTP_H_INCLUDED_ */
