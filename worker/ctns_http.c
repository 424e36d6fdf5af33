/*
 * Copyright (C) ct-netsuite authors
 */


#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctns_http.h"


#define CTNS_HTTP_MAX_RESPONSE  (64 * 1024 * 1024)


typedef struct {
    int                    limit;
    int                    in_flight;
    int                    peak;
    int                    queued;
    ctns_http_req_t       *head;
    ctns_http_req_t       *tail;
    ctns_http_prepare_pt   prepare;
    void                  *data;
} ctns_http_lane_t;


struct ctns_http_s {
    CURLM             *multi;
    char               user_agent[128];
    long               connect_ms;
    ctns_http_lane_t   lanes[CTNS_LANES];
};


ctns_http_t *
ctns_http_create(const char *user_agent, long connect_ms)
{
    ctns_http_t  *h;

    h = calloc(1, sizeof(ctns_http_t));
    if (h == NULL) {
        return NULL;
    }

    h->multi = curl_multi_init();
    if (h->multi == NULL) {
        free(h);
        return NULL;
    }

    snprintf(h->user_agent, sizeof(h->user_agent), "%s", user_agent);
    h->connect_ms = connect_ms;

    return h;
}


void
ctns_http_lane(ctns_http_t *h, int lane, int limit,
    ctns_http_prepare_pt prepare, void *data)
{
    int  i, total;

    h->lanes[lane].limit = limit;
    h->lanes[lane].prepare = prepare;
    h->lanes[lane].data = data;

    total = 0;
    for (i = 0; i < CTNS_LANES; i++) {
        total += h->lanes[i].limit;
    }

    /* keep one idle connection per slot so nothing reconnects */
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long) total + 2);
}


ctns_http_req_t *
ctns_http_req(int lane, const char *method, const char *url, long timeout_ms)
{
    ctns_http_req_t  *r;

    r = calloc(1, sizeof(ctns_http_req_t));
    if (r == NULL) {
        return NULL;
    }

    r->url = strdup(url);
    if (r->url == NULL) {
        free(r);
        return NULL;
    }

    r->lane = lane;
    snprintf(r->method, sizeof(r->method), "%s", method);
    r->timeout_ms = timeout_ms;

    return r;
}


int
ctns_http_header(ctns_http_req_t *r, const char *header)
{
    struct curl_slist  *l;

    l = curl_slist_append(r->headers, header);
    if (l == NULL) {
        return -1;
    }

    r->headers = l;

    return 0;
}


void
ctns_http_req_free(ctns_http_req_t *r)
{
    if (r == NULL) {
        return;
    }

    if (r->easy) {
        curl_easy_cleanup(r->easy);
    }

    curl_slist_free_all(r->headers);
    curl_slist_free_all(r->sent);
    free(r->url);
    free(r->body);
    free(r->auth);
    free(r->resp);
    free(r);
}


static size_t
ctns_http_write(char *ptr, size_t size, size_t nmemb, void *data)
{
    size_t            n, cap;
    char             *p;
    ctns_http_req_t  *r = data;

    n = size * nmemb;

    if (r->resp_len + n + 1 > r->resp_cap) {
        cap = r->resp_cap ? r->resp_cap : 4096;

        while (cap < r->resp_len + n + 1) {
            cap *= 2;
        }

        if (cap > CTNS_HTTP_MAX_RESPONSE) {
            return 0;
        }

        p = realloc(r->resp, cap);
        if (p == NULL) {
            return 0;
        }

        r->resp = p;
        r->resp_cap = cap;
    }

    memcpy(r->resp + r->resp_len, ptr, n);
    r->resp_len += n;
    r->resp[r->resp_len] = '\0';

    return n;
}


/* Keeps Location and Retry-After (seconds form) of the response. */

static size_t
ctns_http_header_cb(char *buf, size_t size, size_t nitems, void *data)
{
    size_t            n, len;
    char             *v;
    ctns_http_req_t  *r = data;

    n = size * nitems;

    if (n > 9 && strncasecmp(buf, "Location:", 9) == 0) {
        v = buf + 9;
        len = n - 9;

        while (len && isspace((unsigned char) *v)) {
            v++;
            len--;
        }

        while (len && isspace((unsigned char) v[len - 1])) {
            len--;
        }

        if (len < sizeof(r->location)) {
            memcpy(r->location, v, len);
            r->location[len] = '\0';
        }

    } else if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        r->retry_after_ms = strtoll(buf + 12, NULL, 10) * 1000;
    }

    return n;
}


static int
ctns_http_start(ctns_http_t *h, ctns_http_req_t *r)
{
    CURL               *e;
    struct curl_slist  *l, *s;
    char                hdr[8192];

    e = curl_easy_init();
    if (e == NULL) {
        return -1;
    }

    r->easy = e;

    /* a fresh list: the caller's headers plus Authorization */
    l = NULL;
    for (s = r->headers; s; s = s->next) {
        l = curl_slist_append(l, s->data);
    }

    if (r->auth) {
        snprintf(hdr, sizeof(hdr), "Authorization: %s", r->auth);
        l = curl_slist_append(l, hdr);
    }

    /* libcurl adds "Expect: 100-continue" to larger bodies: a round trip */
    l = curl_slist_append(l, "Expect:");
    r->sent = l;

    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ctns_http_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, ctns_http_header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");

    if (r->userpwd) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, r->userpwd);
    }

    if (r->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) r->body_len);

    } else if (strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }

    r->started_ms = ctns_now_ms();

    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        return -1;
    }

    h->lanes[r->lane].in_flight++;

    if (h->lanes[r->lane].in_flight > h->lanes[r->lane].peak) {
        h->lanes[r->lane].peak = h->lanes[r->lane].in_flight;
    }

    return 0;
}


static void
ctns_http_fail(ctns_http_req_t *r, const char *why)
{
    r->cerr = CURLE_FAILED_INIT;

    /* the lane's own reason (a failed token request) says more */
    if (r->errbuf[0] == '\0') {
        snprintf(r->errbuf, sizeof(r->errbuf), "%s", why);
    }

    r->done(r);
}


static void
ctns_http_dispatch(ctns_http_t *h, int lane)
{
    int                rc, started, running;
    ctns_http_req_t   *r;
    ctns_http_lane_t  *ln;

    ln = &h->lanes[lane];
    started = 0;

    while (ln->head && ln->in_flight < ln->limit) {
        r = ln->head;

        rc = (r->noauth || ln->prepare == NULL)
             ? CTNS_HTTP_READY : ln->prepare(r, ln->data);

        if (rc == CTNS_HTTP_NOTYET) {
            /* prepare may have queued an urgent request in front */
            if (ln->head != r) {
                continue;
            }

            return;
        }

        ln->head = r->next;
        if (ln->head == NULL) {
            ln->tail = NULL;
        }

        ln->queued--;
        r->next = NULL;

        if (rc == CTNS_HTTP_FAIL) {
            ctns_http_fail(r, "cannot authenticate the request");
            continue;
        }

        if (ctns_http_start(h, r) != 0) {
            ctns_http_fail(r, "cannot start the transfer");
            continue;
        }

        started = 1;
    }

    /*
     * Put new requests on the wire now, not after the rest of the loop's
     * Redis work: a slot that waits is throughput lost against the limit.
     */
    if (started) {
        curl_multi_perform(h->multi, &running);
    }
}


void
ctns_http_submit(ctns_http_t *h, ctns_http_req_t *r)
{
    ctns_http_lane_t  *ln;

    ln = &h->lanes[r->lane];

    if (r->urgent) {
        r->next = ln->head;
        ln->head = r;

        if (ln->tail == NULL) {
            ln->tail = r;
        }

    } else {
        r->next = NULL;

        if (ln->tail) {
            ln->tail->next = r;

        } else {
            ln->head = r;
        }

        ln->tail = r;
    }

    ln->queued++;

    ctns_http_dispatch(h, r->lane);
}


void
ctns_http_kick(ctns_http_t *h)
{
    int  i;

    for (i = 0; i < CTNS_LANES; i++) {
        ctns_http_dispatch(h, i);
    }
}


static void
ctns_http_finish(ctns_http_t *h, CURLMsg *msg)
{
    ctns_http_req_t  *r;

    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r);

    r->cerr = msg->data.result;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
    r->latency_ms = ctns_now_ms() - r->started_ms;

    curl_multi_remove_handle(h->multi, r->easy);
    h->lanes[r->lane].in_flight--;

    if (r->cerr != CURLE_OK && r->errbuf[0] == '\0') {
        snprintf(r->errbuf, sizeof(r->errbuf), "%s",
                 curl_easy_strerror(r->cerr));
    }

    r->done(r);
}


/* Runs the done callbacks of finished transfers; returns how many. */

static int
ctns_http_collect(ctns_http_t *h)
{
    int       n, left;
    CURLMsg  *msg;

    n = 0;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            ctns_http_finish(h, msg);
            n++;
        }
    }

    return n;
}


void
ctns_http_run(ctns_http_t *h, int timeout_ms)
{
    int  running;

    curl_multi_perform(h->multi, &running);

    /* what finished meanwhile is handled before waiting for more */
    if (ctns_http_collect(h) == 0 && timeout_ms > 0) {
        curl_multi_poll(h->multi, NULL, 0, timeout_ms, NULL);
        curl_multi_perform(h->multi, &running);
        ctns_http_collect(h);
    }

    ctns_http_kick(h);
}


int
ctns_http_in_flight(const ctns_http_t *h, int lane)
{
    return h->lanes[lane].in_flight;
}


int
ctns_http_queued(const ctns_http_t *h, int lane)
{
    return h->lanes[lane].queued;
}


int
ctns_http_peak(const ctns_http_t *h, int lane)
{
    return h->lanes[lane].peak;
}


int
ctns_http_ambiguous(const ctns_http_req_t *r)
{
    switch (r->cerr) {

    case CURLE_OK:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_FAILED_INIT:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return 0;

    default:
        return 1;
    }
}


void
ctns_http_destroy(ctns_http_t *h)
{
    if (h == NULL) {
        return;
    }

    curl_multi_cleanup(h->multi);
    free(h);
}
