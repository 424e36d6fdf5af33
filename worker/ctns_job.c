/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ctns_backoff.h"
#include "ctns_clock.h"
#include "ctns_job.h"
#include "ctns_keys_schema.h"
#include "ctns_log.h"
#include "ctns_result.h"
#include "ctns_shard.h"


#define CTNS_MAX_NEEDS      16
#define CTNS_LOCK_POLL_MS   50


typedef enum {
    CTNS_STEP_CHECK = 0,             /* transform: does the target exist? */
    CTNS_STEP_READ,                  /* the op's read + derive step */
    CTNS_STEP_SOURCE,                /* transform: internal id of source */
    CTNS_STEP_WRITE,
    CTNS_STEP_VERIFY                 /* after an ambiguous write */
} ctns_step_e;


static void ctns_job_map(ctns_job_t *job);
static void ctns_job_plan_begin(ctns_job_t *job);
static void ctns_job_op_begin(ctns_job_t *job);
static void ctns_job_step(ctns_job_t *job, ctns_step_e step);
static void ctns_job_fail(ctns_job_t *job, int permanent);


static const char *
ctns_field(const ctns_job_t *job, const char *name)
{
    const char  *s;

    s = json_string_value(json_object_get(job->fields, name));

    return s ? s : "";
}


/* strlcpy(): the caller decides whether truncation matters */

static size_t
ctns_cpy(char *dst, size_t len, const char *src)
{
    size_t  n;

    n = strlen(src);

    if (n >= len) {
        n = len - 1;
    }

    memcpy(dst, src, n);
    dst[n] = '\0';

    return strlen(src);
}


static void
ctns_copy(char *dst, size_t len, const char *src, ctns_job_t *job,
    const char *name)
{
    if (ctns_cpy(dst, len, src) >= len) {
        snprintf(job->malformed, sizeof(job->malformed),
                 "field \"%s\" too long", name);
    }
}


/* The stream entry's fields into job->ev (lib/ctns_event.h). */

static void
ctns_job_parse(ctns_job_t *job)
{
    const char    *res, *slash, *p;
    json_error_t   jerr;
    ctns_event_t  *ev;
    static const char  *required[] = { "id", "type", "resource", "payload" };
    size_t         i;

    ev = &job->ev;

    for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (*ctns_field(job, required[i]) == '\0') {
            snprintf(job->malformed, sizeof(job->malformed),
                     "missing field \"%s\"", required[i]);
        }
    }

    ctns_copy(ev->id, sizeof(ev->id), ctns_field(job, "id"), job, "id");
    ctns_copy(ev->type, sizeof(ev->type), ctns_field(job, "type"), job,
              "type");
    ctns_copy(ev->project, sizeof(ev->project), ctns_field(job, "project"),
              job, "project");
    ctns_copy(ev->store, sizeof(ev->store), ctns_field(job, "store"), job,
              "store");
    ctns_copy(ev->at, sizeof(ev->at), ctns_field(job, "at"), job, "at");
    ctns_copy(ev->src, sizeof(ev->src), ctns_field(job, "src"), job, "src");

    ev->rv = strtoll(ctns_field(job, "rv"), NULL, 10);
    ev->seq = strtoll(ctns_field(job, "seq"), NULL, 10);
    ev->rx = strtoll(ctns_field(job, "rx"), NULL, 10);

    res = ctns_field(job, "resource");
    slash = strchr(res, '/');

    if (slash == NULL || slash == res || slash[1] == '\0') {
        if (res[0]) {
            snprintf(job->malformed, sizeof(job->malformed),
                     "field \"resource\" is not <type>/<id>");
        }

        snprintf(ev->rtype, sizeof(ev->rtype), "unknown");
        ctns_cpy(ev->rid, sizeof(ev->rid), ev->id[0] ? ev->id : job->entry_id);

    } else {
        snprintf(ev->rtype, sizeof(ev->rtype), "%.*s", (int) (slash - res),
                 res);
        ctns_copy(ev->rid, sizeof(ev->rid), slash + 1, job, "resource");
    }

    for (p = ev->rtype; *p; p++) {
        if (*p == ':' || *p == '{' || *p == '}') {
            snprintf(job->malformed, sizeof(job->malformed),
                     "field \"resource\" has a bad type");
        }
    }

    p = ctns_field(job, "payload");
    ev->payload = p;
    ev->payload_len = strlen(p);

    if (job->malformed[0] == '\0') {
        job->payload = json_loadb(p, ev->payload_len, JSON_ALLOW_NUL, &jerr);

        if (!json_is_object(job->payload)) {
            snprintf(job->malformed, sizeof(job->malformed),
                     "payload is not a JSON object: %.100s", jerr.text);
        }
    }
}


/*
 * The entry's place in its resource's wait set: members share one score,
 * so they sort as strings, and zero padding makes that the id order.
 */

static void
ctns_job_wait_member(ctns_job_t *job)
{
    unsigned long long  ms, seq;

    job->wait_member[0] = '\0';

    if (job->entry_id[0]
        && sscanf(job->entry_id, "%llu-%llu", &ms, &seq) == 2)
    {
        snprintf(job->wait_member, sizeof(job->wait_member),
                 "%020llu-%020llu|%s", ms, seq, job->entry_id);
    }
}


static ctns_job_t *
ctns_job_new(ctns_engine_t *eng, int shard, const char *entry,
    json_t *fields)
{
    ctns_job_t   *job;
    const char   *prefix;

    job = calloc(1, sizeof(ctns_job_t));
    if (job == NULL) {
        json_decref(fields);
        return NULL;
    }

    job->eng = eng;
    job->shard = shard;
    job->fields = fields;
    job->fetched = json_object();
    job->records = json_array();
    snprintf(job->entry_id, sizeof(job->entry_id), "%s", entry);

    ctns_job_parse(job);

    prefix = eng->conf->stream.prefix;

    snprintf(job->lock_key, sizeof(job->lock_key), CTNS_KEY_LOCK, prefix,
             (unsigned) shard, job->ev.rtype, job->ev.rid);
    snprintf(job->wait_key, sizeof(job->wait_key), CTNS_KEY_WAIT, prefix,
             (unsigned) shard, job->ev.rtype, job->ev.rid);
    ctns_job_wait_member(job);
    snprintf(job->lock_token, sizeof(job->lock_token), "%s:%s",
             eng->store.consumer, job->ev.id);
    snprintf(job->retry_token, sizeof(job->retry_token), "retry:%s",
             job->ev.id);

    return job;
}


ctns_job_t *
ctns_job_from_entry(ctns_engine_t *eng, int shard, const char *id,
    json_t *fields)
{
    return ctns_job_new(eng, shard, id, fields);
}


ctns_job_t *
ctns_job_from_retry(ctns_engine_t *eng, const char *member)
{
    int            shard;
    json_t        *m, *fields;
    json_error_t   jerr;
    ctns_job_t    *job;

    m = json_loads(member, 0, &jerr);
    fields = json_object_get(m, "fields");
    shard = (int) json_integer_value(json_object_get(m, "shard"));

    if (!json_is_object(fields) || shard < 0
        || shard >= eng->conf->stream.shards)
    {
        ctns_log(CTNS_LOG_ERROR, "bad retry schedule entry",
                 json_pack("{s:s}", "member", member));
        json_decref(m);
        return NULL;
    }

    /* the stream entry was acknowledged when the retry was scheduled */
    job = ctns_job_new(eng, shard, "", json_incref(fields));

    if (job) {
        job->retry_member = strdup(member);
        job->attempts = (int) json_integer_value(json_object_get(m,
                                                                "attempts"));
        job->first_fail_ms = json_integer_value(json_object_get(m,
                                                               "first_fail"));
    }

    json_decref(m);

    return job;
}


void
ctns_job_free(ctns_job_t *job)
{
    if (job->have_plan) {
        ctns_plan_free(&job->plan);
    }

    json_decref(job->body);
    json_decref(job->payload);
    json_decref(job->fetched);
    json_decref(job->records);
    json_decref(job->fields);
    free(job->retry_member);
    free(job);
}


void
ctns_job_poll(ctns_job_t *job, int64_t now)
{
    int  rc;

    if (job->state != CTNS_JOB_LOCK_WAIT || now < job->next_lock_try_ms) {
        return;
    }

    rc = ctns_store_lock(&job->eng->store, job->shard, job->lock_key,
                         job->wait_key, job->wait_member, job->lock_token,
                         job->retry_token, job->eng->conf->worker.lock_ttl_ms);

    if (rc == 1) {
        job->state = CTNS_JOB_LOCKED;
        return;
    }

    job->next_lock_try_ms = now + (rc == 0 ? CTNS_LOCK_POLL_MS : 1000);
}


static json_t *
ctns_job_log_fields(const ctns_job_t *job)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "event", job->ev.id, "type",
                     job->ev.type, "resource_type", job->ev.rtype,
                     "resource", job->ev.rid);
}


/*
 * Releases the lock (unless handed to the retry) and the order's lock (a
 * retry waits without it, not to hold up the order's events), and leaves
 * the engine.
 */

static void
ctns_job_finish(ctns_job_t *job, int keep_lock)
{
    if (!keep_lock) {
        ctns_store_unlock(&job->eng->store, job->lock_key, job->lock_token);
    }

    if (job->order_locked) {
        ctns_store_unlock(&job->eng->store, job->order_lock_key,
                          job->lock_token);
        job->order_locked = 0;
    }

    job->state = CTNS_JOB_FINISHED;
    ctns_engine_job_done(job->eng, job);
}


static void
ctns_job_written(ctns_job_t *job, int rc, const char *what)
{
    if (rc != 0) {
        /* not acknowledged: the entry is claimed again and re-run */
        ctns_log(CTNS_LOG_ERROR, "cannot record the outcome in redis",
                 json_pack("{s:s,s:s}", "event", job->ev.id, "outcome",
                           what));
    }
}


static void
ctns_job_skip(ctns_job_t *job, const char *action, const char *note)
{
    json_t  *f;

    job->eng->stats.skipped++;
    ctns_job_written(job, ctns_result_done(job, action, note), action);

    f = ctns_job_log_fields(job);
    json_object_set_new(f, "note", json_string(note));
    ctns_log(CTNS_LOG_INFO, action, f);

    ctns_job_finish(job, 0);
}


void
ctns_job_unlock(ctns_job_t *job)
{
    ctns_store_unlock(&job->eng->store, job->lock_key, job->lock_token);
}


void
ctns_job_start(ctns_job_t *job)
{
    int64_t  seq, rv;
    char     note[160];

    job->state = CTNS_JOB_RUNNING;
    job->attempts++;
    job->started_ms = ctns_now_ms();

    /* consumers died on it again and again: stop the crash loop */
    if (job->deliveries > job->eng->conf->worker.max_deliveries) {
        snprintf(job->err.code, sizeof(job->err.code), "POISON");
        snprintf(job->err.detail, sizeof(job->err.detail),
                 "delivered %ld times without an outcome: consumers "
                 "stopped while working on it", job->deliveries);
        ctns_job_fail(job, 1);
        return;
    }

    if (job->malformed[0]) {
        snprintf(job->err.code, sizeof(job->err.code), "MALFORMED_EVENT");
        snprintf(job->err.detail, sizeof(job->err.detail),
                 "malformed stream entry: %s", job->malformed);
        ctns_job_fail(job, 1);
        return;
    }

    if (ctns_result_applied_marks(job, &seq, &rv) != 0) {
        snprintf(job->err.code, sizeof(job->err.code), "REDIS");
        snprintf(job->err.detail, sizeof(job->err.detail),
                 "cannot read the resource status");
        ctns_job_fail(job, 0);
        return;
    }

    /* a replay is an operator's explicit request: never stale */
    if (strcmp(job->ev.src, "replay") != 0) {
        if (job->ev.seq > 0 && job->ev.seq <= seq) {
            snprintf(note, sizeof(note), "seq %lld <= applied %lld",
                     (long long) job->ev.seq, (long long) seq);
            ctns_job_skip(job, "stale", note);
            return;
        }

        if (job->ev.seq <= 0 && job->ev.rv > 0 && job->ev.rv <= rv) {
            snprintf(note, sizeof(note), "version %lld <= applied %lld",
                     (long long) job->ev.rv, (long long) rv);
            ctns_job_skip(job, "stale", note);
            return;
        }
    }

    ctns_result_pending(job);
    ctns_job_map(job);
}


/* --- mapping and commercetools fetches ------------------------------------ */


static void
ctns_job_ct_done(ctns_http_req_t *r)
{
    json_t      *res;
    ctns_job_t  *job = r->data;
    const char  *path;

    path = job->need;

    res = ctns_ctclient_result(r, path);

    if (res != NULL) {
        json_object_set_new(job->fetched, path, res);
        ctns_http_req_free(r);
        ctns_job_map(job);
        return;
    }

    ctns_nserror_parse(&job->err, (int) r->status, r->resp, r->resp_len);
    snprintf(job->err_where, sizeof(job->err_where), "GET commercetools %s",
             path);

    if (r->cerr != CURLE_OK) {
        snprintf(job->err.code, sizeof(job->err.code), "TRANSPORT");
        snprintf(job->err.detail, sizeof(job->err.detail), "%s", r->errbuf);
        ctns_http_req_free(r);
        ctns_job_fail(job, 0);
        return;
    }

    if (r->status == 401 && !job->auth_retried) {
        job->auth_retried = 1;
        ctns_token_invalidate(&job->eng->ct.token, r);
        ctns_http_req_free(r);
        ctns_job_map(job);
        return;
    }

    ctns_http_req_free(r);
    ctns_job_fail(job, ctns_nserror_class(&job->err) != CTNS_NS_RETRY);
}


static void
ctns_job_fetch(ctns_job_t *job, const char *path)
{
    ctns_http_req_t  *r;

    if (!job->eng->conf->ct.enabled) {
        snprintf(job->err.code, sizeof(job->err.code), "NO_COMMERCETOOLS");
        snprintf(job->err.detail, sizeof(job->err.detail),
                 "the mapping needs commercetools resource %.300s, but no "
                 "\"commercetools\" section is configured", path);
        ctns_job_fail(job, 1);
        return;
    }

    r = ctns_ctclient_get(&job->eng->ct, path);
    if (r == NULL) {
        snprintf(job->err.detail, sizeof(job->err.detail), "out of memory");
        ctns_job_fail(job, 0);
        return;
    }

    snprintf(job->need, sizeof(job->need), "%s", path);

    r->done = ctns_job_ct_done;
    r->data = job;

    ctns_http_submit(job->eng->http, r);
}


static void
ctns_job_map(ctns_job_t *job)
{
    int               rc;
    char              err[512];
    ctns_map_input_t  in;

    memset(&in, 0, sizeof(in));
    in.event = &job->ev;
    in.payload = job->payload;
    in.fetched = job->fetched;

    if (job->have_plan) {
        ctns_plan_free(&job->plan);
        job->have_plan = 0;
    }

    memset(&job->plan, 0, sizeof(ctns_plan_t));
    err[0] = '\0';

    rc = ctns_map_event(job->eng->map, &in, &job->plan, err, sizeof(err));

    if (rc == CTNS_MAP_OK) {
        job->have_plan = 1;

        if (job->plan.ignored) {
            ctns_job_skip(job, "ignored", job->plan.reason);
            return;
        }

        ctns_job_plan_begin(job);
        return;
    }

    ctns_plan_free(&job->plan);
    memset(&job->plan, 0, sizeof(ctns_plan_t));

    if (rc == CTNS_MAP_NEED && ++job->needs <= CTNS_MAX_NEEDS
        && in.need[0])
    {
        ctns_job_fetch(job, in.need);
        return;
    }

    snprintf(job->err.code, sizeof(job->err.code), "MAPPING");

    if (rc == CTNS_MAP_NEED) {
        snprintf(job->err.detail, sizeof(job->err.detail),
                 "the mapping asked for more than %d resources",
                 CTNS_MAX_NEEDS);

    } else {
        snprintf(job->err.detail, sizeof(job->err.detail), "%s",
                 err[0] ? err : "the mapping refused the event");
    }

    ctns_job_fail(job, 1);
}


/* --- the order's lock ----------------------------------------------------- */


/*
 * Documents of one order are written one plan at a time, across
 * processes: a payment's plan that posts against its order (a deposit
 * linked to the sales order, a payment applied to its invoice) also takes
 * the order's resource lock, the very key the order's events lock, so it
 * never runs beside an invoice transform of that order.
 */

static void
ctns_job_plan_begin(ctns_job_t *job)
{
    const char  *oid, *prefix;

    job->op = 0;
    oid = ctns_result_other_order(job);

    if (oid == NULL) {
        ctns_job_op_begin(job);
        return;
    }

    prefix = job->eng->conf->stream.prefix;
    job->order_shard = (int) ctns_shard((const unsigned char *) oid,
                                        strlen(oid),
                                        job->eng->conf->stream.shards);

    snprintf(job->order_lock_key, sizeof(job->order_lock_key),
             CTNS_KEY_LOCK, prefix, (unsigned) job->order_shard, "order",
             oid);
    snprintf(job->order_wait_key, sizeof(job->order_wait_key),
             CTNS_KEY_WAIT, prefix, (unsigned) job->order_shard, "order",
             oid);

    job->order_wait = 1;
    job->next_order_try_ms = 0;

    ctns_job_poll_order(job, ctns_now_ms());
}


void
ctns_job_poll_order(ctns_job_t *job, int64_t now)
{
    int  rc;

    if (!job->order_wait || now < job->next_order_try_ms) {
        return;
    }

    /* no wait-set member: the order's own entries keep their queue */
    rc = ctns_store_lock(&job->eng->store, job->order_shard,
                         job->order_lock_key, job->order_wait_key, "",
                         job->lock_token, job->lock_token,
                         job->eng->conf->worker.lock_ttl_ms);

    if (rc != 1) {
        job->next_order_try_ms = now + (rc == 0 ? CTNS_LOCK_POLL_MS : 1000);
        return;
    }

    job->order_wait = 0;
    job->order_locked = 1;
    ctns_job_op_begin(job);
}


/* --- NetSuite operations ------------------------------------------------- */


/*
 * Transforms and creates make a record once and never rewrite it: they
 * look it up first, and after an ambiguous failure finding it means done.
 */

static int
ctns_op_once(const ctns_op_t *op)
{
    return op->kind == CTNS_OP_TRANSFORM || op->kind == CTNS_OP_CREATE;
}


static const ctns_op_t *
ctns_job_cur(const ctns_job_t *job)
{
    return &job->plan.ops[job->op];
}


/* One entry per record: a later op on it (PATCH) only fills in the id. */

static void
ctns_job_record(ctns_job_t *job, const char *id)
{
    size_t            i;
    json_t           *r;
    const ctns_op_t  *op;

    op = ctns_job_cur(job);

    json_array_foreach(job->records, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "type")), op->type)
            == 0
            && strcmp(json_string_value(json_object_get(r, "externalId")),
                      op->eid) == 0)
        {
            if (id[0]) {
                json_object_set_new(r, "id", json_string(id));
            }

            return;
        }
    }

    json_array_append_new(job->records,
                          json_pack("{s:s,s:s,s:s}", "type", op->type,
                                    "id", id, "externalId", op->eid));
}


static void
ctns_job_succeeded(ctns_job_t *job)
{
    json_t  *f;

    job->eng->stats.synced++;
    job->eng->stats.records += json_array_size(job->records);

    ctns_job_written(job, ctns_result_done(job, "posted", job->plan.reason),
                     "synced");

    f = ctns_job_log_fields(job);
    json_object_set_new(f, "records", json_incref(job->records));
    json_object_set_new(f, "attempts", json_integer(job->attempts));
    json_object_set_new(f, "ms", json_integer(
                            (json_int_t) (ctns_now_ms() - job->started_ms)));
    ctns_log(CTNS_LOG_INFO, "synced", f);

    ctns_job_finish(job, 0);
}


static void
ctns_job_next_op(ctns_job_t *job)
{
    job->op++;
    ctns_job_op_begin(job);
}


static void
ctns_job_op_begin(ctns_job_t *job)
{
    const ctns_op_t  *op;

    if (job->op >= job->plan.nops) {
        ctns_job_succeeded(job);
        return;
    }

    op = ctns_job_cur(job);

    job->resent = 0;
    job->auth_retried = 0;
    job->src_id[0] = '\0';

    json_decref(job->body);
    job->body = json_incref(op->body);

    if (ctns_op_once(op)) {
        ctns_job_step(job, CTNS_STEP_CHECK);

    } else {
        ctns_job_step(job, op->read_type[0] ? CTNS_STEP_READ
                                            : CTNS_STEP_WRITE);
    }
}


/* The id of a Location header, or of a record body. */

static void
ctns_job_id_of(const ctns_http_req_t *r, char *id, size_t len)
{
    const char    *slash, *s;
    json_t        *o;
    json_error_t   jerr;

    id[0] = '\0';

    if (r->location[0]) {
        slash = strrchr(r->location, '/');
        ctns_cpy(id, len, slash ? slash + 1 : r->location);
        return;
    }

    if (r->resp == NULL) {
        return;
    }

    o = json_loadb(r->resp, r->resp_len, 0, &jerr);
    s = json_string_value(json_object_get(o, "id"));
    snprintf(id, len, "%s", s ? s : "");
    json_decref(o);
}


static void
ctns_digest(const char *body, size_t len, char *hex)
{
    unsigned int   n, i;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(body, len, md, &n, EVP_sha256(), NULL) != 1) {
        hex[0] = '\0';
        return;
    }

    for (i = 0; i < n && i < 32; i++) {
        sprintf(hex + 2 * i, "%02x", md[i]);
    }
}


static void ctns_job_ns_done(ctns_http_req_t *r);


static void
ctns_job_send(ctns_job_t *job, const char *method, const char *path,
    int with_body)
{
    char             *url, *body;
    size_t            n;
    ctns_http_req_t  *r;
    ctns_engine_t    *eng = job->eng;

    n = strlen(eng->api) + strlen(path) + 1;
    url = malloc(n);
    if (url == NULL) {
        ctns_job_fail(job, 0);
        return;
    }

    snprintf(url, n, "%s%s", eng->api, path);
    r = ctns_http_req(CTNS_LANE_NS, method, url,
                      eng->conf->netsuite.timeout_ms);
    free(url);

    body = NULL;

    /* amounts are exact decimal strings in bodies until serialized here */
    if (r && with_body && job->body) {
        body = ctns_map_body_dumps(job->body);

    } else if (r && with_body) {
        body = strdup("{}");
    }

    if (r == NULL || (with_body && body == NULL)
        || ctns_http_header(r, "Accept: application/json") != 0
        || (with_body
            && ctns_http_header(r, "Content-Type: application/json") != 0))
    {
        free(body);
        ctns_http_req_free(r);
        snprintf(job->err.detail, sizeof(job->err.detail), "out of memory");
        ctns_job_fail(job, 0);
        return;
    }

    if (body) {
        r->body = body;
        r->body_len = strlen(body);
        ctns_digest(body, r->body_len, job->digest);
    }

    snprintf(job->err_where, sizeof(job->err_where), "%s /services/rest%s",
             method, path);

    r->done = ctns_job_ns_done;
    r->data = job;

    ctns_http_submit(eng->http, r);
}


static void
ctns_job_step(ctns_job_t *job, ctns_step_e step)
{
    char              path[700];
    const ctns_op_t  *op;

    op = ctns_job_cur(job);
    job->step = step;

    switch (step) {

    case CTNS_STEP_CHECK:
    case CTNS_STEP_VERIFY:
        snprintf(path, sizeof(path), "/record/v1/%s/eid:%s", op->type,
                 op->eid);
        ctns_job_send(job, "GET", path, 0);
        return;

    case CTNS_STEP_READ:
        snprintf(path, sizeof(path),
                 "/record/v1/%s/eid:%s?expandSubResources=true",
                 op->read_type, op->read_eid);
        ctns_job_send(job, "GET", path, 0);
        return;

    case CTNS_STEP_SOURCE:
        snprintf(path, sizeof(path), "/record/v1/%s/eid:%s", op->from_type,
                 op->from_eid);
        ctns_job_send(job, "GET", path, 0);
        return;

    case CTNS_STEP_WRITE:
        break;
    }

    if (op->kind == CTNS_OP_TRANSFORM) {
        snprintf(path, sizeof(path), "/record/v1/%s/%s/!transform/%s",
                 op->from_type, job->src_id, op->type);
        ctns_job_send(job, "POST", path, 1);
        return;
    }

    snprintf(path, sizeof(path), "/record/v1/%s/eid:%s%s%s", op->type,
             op->eid, op->replace[0] ? "?replace=" : "", op->replace);

    ctns_job_send(job, op->kind == CTNS_OP_PATCH ? "PATCH" : "PUT", path, 1);
}


/* The read step's record through the op's derive function. */

static void
ctns_job_derive(ctns_job_t *job, const ctns_http_req_t *r)
{
    char              err[256];
    json_t           *read, *body;
    json_error_t      jerr;
    const ctns_op_t  *op;

    op = ctns_job_cur(job);

    if (op->derive == NULL) {
        ctns_job_step(job, op->kind == CTNS_OP_TRANSFORM ? CTNS_STEP_SOURCE
                                                         : CTNS_STEP_WRITE);
        return;
    }

    read = json_loadb(r->resp ? r->resp : "", r->resp_len, 0, &jerr);
    err[0] = '\0';
    body = read ? op->derive(read, op->body, err, sizeof(err)) : NULL;
    json_decref(read);

    if (body == NULL) {
        snprintf(job->err.code, sizeof(job->err.code), "MAPPING");
        snprintf(job->err.detail, sizeof(job->err.detail), "derive: %s",
                 err[0] ? err : "cannot read the record");
        ctns_job_fail(job, 1);
        return;
    }

    if (json_is_null(body)) {
        json_decref(body);
        ctns_job_next_op(job);
        return;
    }

    json_decref(job->body);
    job->body = body;

    ctns_job_step(job, op->kind == CTNS_OP_TRANSFORM ? CTNS_STEP_SOURCE
                                                     : CTNS_STEP_WRITE);
}


static void
ctns_job_log_request(const ctns_job_t *job, const ctns_http_req_t *r)
{
    json_t  *f;

    if (!ctns_log_enabled(CTNS_LOG_DEBUG)) {
        return;
    }

    f = ctns_job_log_fields(job);
    json_object_set_new(f, "request", json_string(job->err_where));
    json_object_set_new(f, "http", json_integer(r->status));
    json_object_set_new(f, "latency_ms", json_integer(r->latency_ms));

    if (r->cerr != CURLE_OK) {
        json_object_set_new(f, "error", json_string(r->errbuf));
    }

    ctns_log(CTNS_LOG_DEBUG, "netsuite request", f);
}


static void
ctns_job_ns_ok(ctns_job_t *job, const ctns_http_req_t *r)
{
    char              id[64];
    const ctns_op_t  *op;

    op = ctns_job_cur(job);

    switch ((ctns_step_e) job->step) {

    case CTNS_STEP_CHECK:
    case CTNS_STEP_VERIFY:
        if (job->step == CTNS_STEP_VERIFY && !ctns_op_once(op)) {
            /* it exists: the upsert is safe to repeat (replace=) */
            job->resent = 1;
            ctns_job_step(job, CTNS_STEP_WRITE);
            return;
        }

        ctns_job_id_of(r, id, sizeof(id));
        ctns_job_record(job, id);
        ctns_job_next_op(job);
        return;

    case CTNS_STEP_READ:
        ctns_job_derive(job, r);
        return;

    case CTNS_STEP_SOURCE:
        ctns_job_id_of(r, job->src_id, sizeof(job->src_id));

        if (job->src_id[0] == '\0') {
            snprintf(job->err.detail, sizeof(job->err.detail),
                     "no internal id for %s/eid:%s", op->from_type,
                     op->from_eid);
            ctns_job_fail(job, 0);
            return;
        }

        ctns_job_step(job, CTNS_STEP_WRITE);
        return;

    case CTNS_STEP_WRITE:
        ctns_job_id_of(r, id, sizeof(id));
        ctns_job_record(job, id);
        ctns_job_next_op(job);
        return;
    }
}


static void
ctns_job_ns_done(ctns_http_req_t *r)
{
    ctns_ns_class_e   cls;
    ctns_job_t       *job = r->data;
    const ctns_op_t  *op;

    job->eng->stats.requests++;
    ctns_nsstats_count(&job->eng->answers, &job->eng->store,
                       r->cerr == CURLE_OK ? r->status : 0, ctns_now_ms());
    op = ctns_job_cur(job);

    ctns_job_log_request(job, r);

    if (r->cerr != CURLE_OK) {
        memset(&job->err, 0, sizeof(ctns_nserror_t));
        snprintf(job->err.code, sizeof(job->err.code), "TRANSPORT");
        snprintf(job->err.detail, sizeof(job->err.detail), "%s", r->errbuf);

        /* the write may have been committed: look before trying again */
        if (job->step == CTNS_STEP_WRITE && ctns_http_ambiguous(r)
            && !job->resent)
        {
            ctns_http_req_free(r);
            ctns_job_step(job, CTNS_STEP_VERIFY);
            return;
        }

        ctns_http_req_free(r);
        ctns_job_fail(job, 0);
        return;
    }

    ctns_nserror_parse(&job->err, (int) r->status, r->resp, r->resp_len);
    job->err.http = (int) r->status;
    cls = ctns_nserror_class(&job->err);

    if (cls == CTNS_NS_OK) {
        ctns_job_ns_ok(job, r);
        ctns_http_req_free(r);
        return;
    }

    /*
     * libcurl re-sends a request by itself when a reused connection died
     * before any answer, with the same OAuth 1.0 nonce, which NetSuite
     * refuses with 401: after a write, a 401 may hide a committed record.
     * Look first (with a fresh signature), and once the record was seen,
     * a 401 on the repeated write is retried later, never dead-lettered.
     */
    if (cls == CTNS_NS_AUTH && job->step == CTNS_STEP_WRITE
        && (job->resent || !job->auth_retried))
    {
        ctns_nsauth_rejected(&job->eng->nsauth, r);
        ctns_http_req_free(r);

        if (job->resent) {
            ctns_job_fail(job, 0);
            return;
        }

        job->auth_retried = 1;
        ctns_job_step(job, CTNS_STEP_VERIFY);
        return;
    }

    if (cls == CTNS_NS_AUTH && !job->auth_retried) {
        job->auth_retried = 1;
        ctns_nsauth_rejected(&job->eng->nsauth, r);
        ctns_http_req_free(r);
        ctns_job_step(job, (ctns_step_e) job->step);
        return;
    }

    if (job->retry_after_ms < r->retry_after_ms) {
        job->retry_after_ms = r->retry_after_ms;
    }

    ctns_http_req_free(r);

    if (cls == CTNS_NS_NOT_FOUND && job->step == CTNS_STEP_CHECK) {
        ctns_job_step(job, op->read_type[0] ? CTNS_STEP_READ
                           : op->kind == CTNS_OP_CREATE ? CTNS_STEP_WRITE
                           : CTNS_STEP_SOURCE);
        return;
    }

    /* a transform that raced a committed twin: the record is there */
    if (cls == CTNS_NS_EXISTS && job->step == CTNS_STEP_WRITE
        && op->kind == CTNS_OP_TRANSFORM && !job->resent)
    {
        job->resent = 1;
        ctns_job_step(job, CTNS_STEP_CHECK);
        return;
    }

    /*
     * 404 of a record the plan refers to is retried: it may be posted by
     * an event still on its way (or in its own retry).
     */
    ctns_job_fail(job, cls == CTNS_NS_PERMANENT || cls == CTNS_NS_EXISTS
                       || cls == CTNS_NS_AUTH);
}


/* --- failure ------------------------------------------------------------ */


static void
ctns_job_fail(ctns_job_t *job, int permanent)
{
    int64_t         now, delay;
    uint32_t        rnd;
    json_t         *f;
    const ctns_conf_retry_t  *rc = &job->eng->conf->retry;

    now = ctns_now_ms();

    if (job->first_fail_ms == 0) {
        job->first_fail_ms = now;
    }

    f = ctns_job_log_fields(job);
    json_object_set_new(f, "http", json_integer(job->err.http));
    json_object_set_new(f, "code", json_string(job->err.code));
    json_object_set_new(f, "detail", json_string(job->err.detail));
    json_object_set_new(f, "request", json_string(job->err_where));
    json_object_set_new(f, "attempts", json_integer(job->attempts));

    if (permanent || job->attempts >= rc->max_attempts) {
        job->eng->stats.dead++;
        ctns_log(CTNS_LOG_ERROR, "dead letter", f);
        ctns_job_written(job, ctns_result_dead(job), "dead");
        ctns_job_finish(job, 0);
        return;
    }

    if (RAND_bytes((unsigned char *) &rnd, sizeof(rnd)) != 1) {
        rnd = (uint32_t) random();
    }

    delay = ctns_backoff_delay(job->attempts, rc->base_ms, rc->cap_ms, rnd,
                               job->retry_after_ms);

    json_object_set_new(f, "retry_in_ms", json_integer(delay));
    ctns_log(CTNS_LOG_WARN, "retry scheduled", f);

    job->eng->stats.retried++;

    if (ctns_result_retry(job, now + delay) != 0) {
        ctns_job_written(job, -1, "retry");
        ctns_job_finish(job, 0);
        return;
    }

    /* later events of the resource wait for the retry, in order */
    ctns_store_lock_refresh(&job->eng->store, job->lock_key, job->lock_token,
                            job->retry_token,
                            delay + job->eng->conf->worker.lock_ttl_ms);
    ctns_job_finish(job, 1);
}
