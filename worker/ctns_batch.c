/*
 * Copyright (C) ct-netsuite authors
 *
 * Batch commands: options, configuration, and synchronous requests driven
 * on the worker's libcurl multi machinery.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctns_batch.h"
#include "ctns_clock.h"


#define CTNS_BATCH_ATTEMPTS    6
#define CTNS_BATCH_BACKOFF_MS  200
#define CTNS_SUITEQL_PAGE      1000


typedef int (*ctns_batch_cmd_pt)(ctns_batch_t *b, const ctns_batch_opts_t *o);


static const struct {
    const char          *name;
    ctns_batch_cmd_pt    handler;
} ctns_batch_cmds[] = {
    { "import-settlement", ctns_cmd_import_settlement },
    { "settlements", ctns_cmd_settlements },
    { "sync", ctns_cmd_sync },
    { "reconcile", ctns_cmd_reconcile },
    { "payouts", ctns_cmd_payouts },
    { NULL, NULL }
};


static void
ctns_batch_usage(void)
{
    fprintf(stderr,
        "usage: ctns-worker import-settlement [-c FILE] --format adyen|stripe "
        "[--dry-run] FILE\n"
        "       ctns-worker settlements [-c FILE] --unmatched "
        "[--format table|json]\n"
        "       ctns-worker sync [-c FILE] (--since TIME | --resume) "
        "[--every 15m]\n"
        "       ctns-worker reconcile [-c FILE] --from DATE --to DATE "
        "[--format table|csv|json]\n"
        "       ctns-worker payouts [-c FILE] [--once]\n");
}


int
ctns_batch_command(const char *name)
{
    size_t  i;

    for (i = 0; ctns_batch_cmds[i].name; i++) {
        if (strcmp(ctns_batch_cmds[i].name, name) == 0) {
            return 1;
        }
    }

    return 0;
}


/* an option that takes a value: its slot, or NULL */
static const char **
ctns_batch_valued(ctns_batch_opts_t *o, const char *arg)
{
    if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
        return &o->config;
    }

    if (strcmp(arg, "--format") == 0) {
        return &o->format;
    }

    if (strcmp(arg, "--since") == 0) {
        return &o->since;
    }

    if (strcmp(arg, "--from") == 0) {
        return &o->from;
    }

    if (strcmp(arg, "--to") == 0) {
        return &o->to;
    }

    return strcmp(arg, "--every") == 0 ? &o->every : NULL;
}


static int
ctns_batch_args(int argc, char **argv, ctns_batch_opts_t *o)
{
    int           i;
    const char  **slot;

    memset(o, 0, sizeof(ctns_batch_opts_t));
    o->command = argv[1];
    o->config = getenv("CTNS_CONFIG") ? getenv("CTNS_CONFIG") : "ctns.json";
    o->args = calloc(argc, sizeof(char *));

    if (o->args == NULL) {
        return -1;
    }

    for (i = 2; i < argc; i++) {
        slot = ctns_batch_valued(o, argv[i]);

        if (slot && i + 1 < argc) {
            *slot = argv[++i];

        } else if (strcmp(argv[i], "--resume") == 0) {
            o->resume = 1;

        } else if (strcmp(argv[i], "--unmatched") == 0) {
            o->unmatched = 1;

        } else if (strcmp(argv[i], "--dry-run") == 0) {
            o->dry_run = 1;

        } else if (strcmp(argv[i], "--once") == 0) {
            o->once = 1;

        } else if (argv[i][0] == '-') {
            fprintf(stderr, "ctns-worker %s: unknown option or missing "
                    "value: %s\n", o->command, argv[i]);
            return -1;

        } else {
            o->args[o->nargs++] = argv[i];
        }
    }

    return 0;
}


static int
ctns_batch_open(ctns_batch_t *b, const char *path)
{
    ctns_conf_errors_t  errs;

    memset(b, 0, sizeof(ctns_batch_t));
    memset(&errs, 0, sizeof(errs));

    b->conf = ctns_conf_load(path, &errs);
    if (b->conf) {
        b->bconf = ctns_batch_conf_load(b->conf->root, &errs);
    }

    if (b->bconf == NULL) {
        ctns_conf_errors_print(&errs, stderr);
        fprintf(stderr, "%s: %zu configuration error%s\n", path, errs.n,
                errs.n == 1 ? "" : "s");
        ctns_conf_errors_free(&errs);
        return -1;
    }

    ctns_conf_errors_free(&errs);

    snprintf(b->api, sizeof(b->api), "%s/services/rest",
             b->conf->netsuite.base_url);

    b->http = ctns_http_create(b->conf->netsuite.user_agent,
                               b->conf->netsuite.connect_timeout_ms);
    if (b->http == NULL) {
        return -1;
    }

    ctns_nsauth_init(&b->nsauth, &b->conf->netsuite, b->http);

    if (ctns_ctclient_init(&b->ct, &b->conf->ct, b->http) != 0) {
        return -1;
    }

    ctns_http_lane(b->http, CTNS_LANE_NS, 1, ctns_nsauth_prepare,
                   &b->nsauth);
    ctns_http_lane(b->http, CTNS_LANE_CT, 1, ctns_ctclient_prepare, &b->ct);

    if (ctns_store_open(&b->store, b->conf, "ctns-batch") != 0) {
        fprintf(stderr, "ctns-worker: cannot connect to Redis: %s\n",
                b->store.redis.err);
        return -1;
    }

    return 0;
}


static void
ctns_batch_close(ctns_batch_t *b)
{
    ctns_store_close(&b->store);
    ctns_ctclient_free(&b->ct);
    ctns_nsauth_free(&b->nsauth);

    if (b->http) {
        ctns_http_destroy(b->http);
    }

    ctns_batch_conf_free(b->bconf);
    ctns_conf_free(b->conf);
}


int
ctns_batch_main(int argc, char **argv)
{
    int                rc;
    size_t             i;
    ctns_batch_t       b;
    ctns_batch_opts_t  o;

    if (ctns_batch_args(argc, argv, &o) != 0) {
        free(o.args);
        ctns_batch_usage();
        return 2;
    }

    for (i = 0; strcmp(ctns_batch_cmds[i].name, o.command) != 0; i++) {
        /* void: main() only calls us for our commands */
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);

    if (ctns_batch_open(&b, o.config) != 0) {
        rc = 1;

    } else {
        rc = ctns_batch_cmds[i].handler(&b, &o);
        if (rc == 2) {
            ctns_batch_usage();
        }
    }

    ctns_batch_close(&b);
    curl_global_cleanup();
    free(o.args);

    return rc;
}


static void
ctns_batch_done(ctns_http_req_t *r)
{
    *(int *) r->data = 1;
}


/* submits r and drives the loop until it finished */
static void
ctns_batch_wait(ctns_batch_t *b, ctns_http_req_t *r)
{
    int  done;

    done = 0;
    r->done = ctns_batch_done;
    r->data = &done;

    ctns_http_submit(b->http, r);

    while (!done) {
        ctns_http_run(b->http, 100);
    }
}


static int
ctns_batch_retryable(const ctns_http_req_t *r)
{
    /* a PSP's API key (noauth) is not renewed by asking again */
    return r->cerr != CURLE_OK || r->status == 429 || r->status >= 500
           || (r->status == 401 && !r->noauth);
}


static void
ctns_batch_pause(const ctns_http_req_t *r, int attempt)
{
    int64_t  ms;

    ms = (int64_t) CTNS_BATCH_BACKOFF_MS << attempt;

    if (r->retry_after_ms > ms) {
        ms = r->retry_after_ms;
    }

    usleep((useconds_t) ms * 1000);
}


static json_t *
ctns_batch_answer(ctns_batch_t *b, const ctns_http_req_t *r, long *status)
{
    json_t        *v;
    json_error_t   jerr;

    *status = r->status;

    if (r->resp == NULL || r->resp_len == 0) {
        return json_null();
    }

    v = json_loadb(r->resp, r->resp_len, 0, &jerr);
    if (v == NULL) {
        snprintf(b->error, sizeof(b->error), "HTTP %ld: the answer is not "
                 "JSON: %.200s", r->status, r->resp);
    }

    return v;
}


/* sends what make builds until it is answered for good or attempts end */
static json_t *
ctns_batch_send(ctns_batch_t *b, ctns_http_req_t *(*make)(ctns_batch_t *,
    const void *), const void *arg, long *status)
{
    int               attempt;
    json_t           *v;
    ctns_http_req_t  *r;

    for (attempt = 0; attempt < CTNS_BATCH_ATTEMPTS; attempt++) {
        r = make(b, arg);
        if (r == NULL) {
            snprintf(b->error, sizeof(b->error), "out of memory");
            return NULL;
        }

        ctns_batch_wait(b, r);

        if (!ctns_batch_retryable(r) || attempt + 1 == CTNS_BATCH_ATTEMPTS) {
            break;
        }

        if (r->status == 401) {
            if (r->lane == CTNS_LANE_NS) {
                ctns_nsauth_rejected(&b->nsauth, r);

            } else {
                ctns_token_invalidate(&b->ct.token, r);
            }
        }

        ctns_batch_pause(r, attempt);
        ctns_http_req_free(r);
    }

    if (ctns_batch_retryable(r)) {
        snprintf(b->error, sizeof(b->error), "%s %s: %s (HTTP %ld) after %d "
                 "attempts", r->method, r->url,
                 r->cerr != CURLE_OK ? r->errbuf : "no success", r->status,
                 attempt + 1);
        ctns_http_req_free(r);
        return NULL;
    }

    v = ctns_batch_answer(b, r, status);
    ctns_http_req_free(r);

    return v;
}


typedef struct {
    const char  *method;
    const char  *path;
    const char  *body;
} ctns_batch_ns_t;


static ctns_http_req_t *
ctns_batch_ns_make(ctns_batch_t *b, const void *arg)
{
    char                   *url;
    size_t                  n;
    ctns_http_req_t        *r;
    const ctns_batch_ns_t  *a = arg;

    n = strlen(b->api) + strlen(a->path) + 1;
    url = malloc(n);
    if (url == NULL) {
        return NULL;
    }

    snprintf(url, n, "%s%s", b->api, a->path);
    r = ctns_http_req(CTNS_LANE_NS, a->method, url,
                      b->conf->netsuite.timeout_ms);
    free(url);

    if (r == NULL) {
        return NULL;
    }

    if (ctns_http_header(r, "Accept: application/json") != 0
        || (a->body && ctns_http_header(r, "Content-Type: application/json")
                       != 0)
        || (strstr(a->path, "/suiteql") != NULL
            && ctns_http_header(r, "Prefer: transient") != 0)
        || (a->body && (r->body = strdup(a->body)) == NULL))
    {
        ctns_http_req_free(r);
        return NULL;
    }

    r->body_len = a->body ? strlen(a->body) : 0;

    return r;
}


json_t *
ctns_batch_ns(ctns_batch_t *b, const char *method, const char *path,
    const char *body, long *status)
{
    ctns_batch_ns_t  a;

    a.method = method;
    a.path = path;
    a.body = body;

    return ctns_batch_send(b, ctns_batch_ns_make, &a, status);
}


json_t *
ctns_batch_suiteql(ctns_batch_t *b, const char *q)
{
    long     status;
    int      offset;
    char     path[96], *body;
    json_t  *all, *page, *items;

    page = json_pack("{s:s}", "q", q);
    body = json_dumps(page, JSON_COMPACT);
    json_decref(page);
    all = json_array();
    offset = 0;

    for ( ;; ) {
        snprintf(path, sizeof(path), "/query/v1/suiteql?limit=%d&offset=%d",
                 CTNS_SUITEQL_PAGE, offset);

        page = ctns_batch_ns(b, "POST", path, body, &status);

        if (page == NULL || status != 200) {
            if (page) {
                snprintf(b->error, sizeof(b->error), "SuiteQL: HTTP %ld: "
                         "%.300s", status,
                         json_string_value(json_object_get(page, "title"))
                         ? json_string_value(json_object_get(page, "title"))
                         : "(no title)");
            }

            json_decref(page);
            json_decref(all);
            free(body);
            return NULL;
        }

        items = json_object_get(page, "items");
        json_array_extend(all, items);
        offset += (int) json_array_size(items);

        if (!json_is_true(json_object_get(page, "hasMore"))
            || json_array_size(items) == 0)
        {
            json_decref(page);
            break;
        }

        json_decref(page);
    }

    free(body);

    return all;
}


static ctns_http_req_t *
ctns_batch_ct_make(ctns_batch_t *b, const void *arg)
{
    int64_t  now, gap;

    /* the request budget: one request per 1/rps seconds */
    gap = 1000 / b->bconf->requests_per_second;
    now = ctns_now_ms();

    if (b->ct_next_ms > now) {
        usleep((useconds_t) (b->ct_next_ms - now) * 1000);
        now = b->ct_next_ms;
    }

    b->ct_next_ms = now + gap;

    return ctns_ctclient_get(&b->ct, arg);
}


json_t *
ctns_batch_ct(ctns_batch_t *b, const char *path, long *status)
{
    if (!b->conf->ct.enabled) {
        snprintf(b->error, sizeof(b->error), "the commercetools section is "
                 "not configured");
        return NULL;
    }

    return ctns_batch_send(b, ctns_batch_ct_make, path, status);
}


typedef struct {
    const char  *url;
    const char  *header;
} ctns_batch_get_t;


/* on the commercetools lane, without its authentication */
static ctns_http_req_t *
ctns_batch_get_make(ctns_batch_t *b, const void *arg)
{
    ctns_http_req_t         *r;
    const ctns_batch_get_t  *a = arg;

    r = ctns_http_req(CTNS_LANE_CT, "GET", a->url,
                      b->conf->netsuite.timeout_ms);
    if (r == NULL) {
        return NULL;
    }

    r->noauth = 1;

    if (ctns_http_header(r, "Accept: application/json") != 0
        || ctns_http_header(r, a->header) != 0)
    {
        ctns_http_req_free(r);
        return NULL;
    }

    return r;
}


json_t *
ctns_batch_get(ctns_batch_t *b, const char *url, const char *header,
    long *status)
{
    ctns_batch_get_t  a;

    a.url = url;
    a.header = header;

    return ctns_batch_send(b, ctns_batch_get_make, &a, status);
}


redisReply *
ctns_batch_redis(ctns_batch_t *b, int argc, const char **argv)
{
    int          i;
    ctns_cmd_t   c;
    redisReply  *r;

    memset(&c, 0, sizeof(c));

    for (i = 0; i < argc; i++) {
        ctns_cmd_str(&c, argv[i]);
    }

    r = ctns_store_argv(&b->store, &c);
    ctns_cmd_free(&c);

    if (r && r->type == REDIS_REPLY_ERROR) {
        snprintf(b->error, sizeof(b->error), "Redis: %s", r->str);
        freeReplyObject(r);
        return NULL;
    }

    return r;
}


void
ctns_batch_key(const ctns_batch_t *b, char *buf, size_t len, const char *fmt,
    ...)
{
    int      n;
    va_list  ap;

    n = snprintf(buf, len, "%s:", b->conf->stream.prefix);

    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}
