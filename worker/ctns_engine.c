/*
 * Copyright (C) ct-netsuite authors
 */


#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ctns_clock.h"
#include "ctns_control.h"
#include "ctns_engine.h"
#include "ctns_job.h"
#include "ctns_log.h"


#define CTNS_BUSY_WAIT_MS    20
#define CTNS_STATS_EVERY_MS  10000
#define CTNS_TOUCH_BATCH     256


static volatile sig_atomic_t  ctns_stop;
static volatile sig_atomic_t  ctns_hup;

static ctns_job_t  *ctns_finished;


static void
ctns_on_signal(int signo)
{
    if (signo == SIGHUP) {
        ctns_hup = 1;

    } else {
        ctns_stop = 1;
    }
}


void
ctns_engine_signals(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ctns_on_signal;
    sigemptyset(&sa.sa_mask);

    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    signal(SIGPIPE, SIG_IGN);
}


static void
ctns_engine_add(ctns_engine_t *eng, ctns_job_t *job)
{
    if (job == NULL) {
        return;
    }

    /* stream order: the list is polled oldest first */
    job->next = NULL;
    job->prev = eng->jobs_tail;

    if (eng->jobs_tail) {
        eng->jobs_tail->next = job;

    } else {
        eng->jobs = job;
    }

    eng->jobs_tail = job;
    eng->njobs++;
}


void
ctns_engine_job_done(ctns_engine_t *eng, ctns_job_t *job)
{
    if (job->prev) {
        job->prev->next = job->next;

    } else {
        eng->jobs = job->next;
    }

    if (job->next) {
        job->next->prev = job->prev;

    } else {
        eng->jobs_tail = job->prev;
    }

    eng->njobs--;

    /* freed at the top of the loop: callers up the stack may hold it */
    job->next = ctns_finished;
    ctns_finished = job;
}


static void
ctns_engine_reap(void)
{
    ctns_job_t  *job;

    while (ctns_finished) {
        job = ctns_finished;
        ctns_finished = job->next;
        ctns_job_free(job);
    }
}


static void
ctns_on_entry(void *data, int shard, const char *id, json_t *fields,
    long deliveries)
{
    ctns_engine_t  *eng = data;
    ctns_job_t     *job;

    /* an entry we already hold (claimed back after a slow spell) */
    for (job = eng->jobs; job; job = job->next) {
        if (job->shard == shard && strcmp(job->entry_id, id) == 0) {
            json_decref(fields);
            return;
        }
    }

    job = ctns_job_from_entry(eng, shard, id, fields);

    if (job) {
        job->deliveries = deliveries;
    }

    ctns_engine_add(eng, job);
}


static void
ctns_on_retry(void *data, const char *member)
{
    ctns_engine_t  *eng = data;
    ctns_job_t     *job;

    for (job = eng->jobs; job; job = job->next) {
        if (job->retry_member && strcmp(job->retry_member, member) == 0) {
            return;
        }
    }

    ctns_engine_add(eng, ctns_job_from_retry(eng, member));
}


/*
 * Keeps what this process holds from being taken over: idle time of the
 * pending entries, leases of scheduled retries, resource locks.  With
 * handover set, gives entries and retries that have not started back.
 */

static void
ctns_engine_touch(ctns_engine_t *eng, int handover)
{
    int          shard, n;
    int64_t      idle, now;
    const char  *ids[CTNS_TOUCH_BATCH];
    ctns_job_t  *job;
    const ctns_conf_worker_t  *w = &eng->conf->worker;

    now = ctns_now_ms();
    idle = handover ? w->claim_idle_ms : 0;

    for (shard = 0; shard < eng->conf->stream.shards; shard++) {
        n = 0;

        for (job = eng->jobs; job; job = job->next) {
            if (job->shard != shard || job->entry_id[0] == '\0'
                || (handover && job->state == CTNS_JOB_RUNNING))
            {
                continue;
            }

            ids[n++] = job->entry_id;

            if (n == CTNS_TOUCH_BATCH) {
                ctns_store_touch(&eng->store, shard, ids, n, idle);
                n = 0;
            }
        }

        if (n) {
            ctns_store_touch(&eng->store, shard, ids, n, idle);
        }
    }

    for (job = eng->jobs; job; job = job->next) {
        if (job->retry_member
            && (!handover || job->state != CTNS_JOB_RUNNING))
        {
            ctns_store_retry_lease(&eng->store, job->retry_member,
                                   handover ? now : now + w->claim_idle_ms);
        }

        if (!handover && (job->state == CTNS_JOB_RUNNING
                          || job->state == CTNS_JOB_LOCKED))
        {
            ctns_store_lock_refresh(&eng->store, job->lock_key,
                                    job->lock_token, job->lock_token,
                                    w->lock_ttl_ms);
        }

        if (!handover && job->order_locked) {
            ctns_store_lock_refresh(&eng->store, job->order_lock_key,
                                    job->lock_token, job->lock_token,
                                    w->lock_ttl_ms);
        }
    }
}


/* Drops the jobs that did not start: their entries were handed over. */

static void
ctns_engine_drop_waiting(ctns_engine_t *eng)
{
    ctns_job_t  *job, *next;

    ctns_engine_touch(eng, 1);

    for (job = eng->jobs; job; job = next) {
        next = job->next;

        if (job->state == CTNS_JOB_LOCKED) {
            ctns_job_unlock(job);
        }

        if (job->state == CTNS_JOB_LOCK_WAIT
            || job->state == CTNS_JOB_LOCKED)
        {
            job->state = CTNS_JOB_FINISHED;
            ctns_engine_job_done(eng, job);
        }
    }
}


/*
 * 1 when the job must let another job of this process go first: an older
 * stream entry of the same resource, or its scheduled retry (which is
 * older than anything still in the stream).  A retry never waits here.
 */

static int
ctns_engine_behind(ctns_engine_t *eng, const ctns_job_t *job)
{
    int                older;
    const ctns_job_t  *p;

    if (job->retry_member) {
        return 0;
    }

    older = 1;

    for (p = eng->jobs; p; p = p->next) {
        if (p == job) {
            older = 0;
            continue;
        }

        if (p->state == CTNS_JOB_LOCK_WAIT && (older || p->retry_member)
            && strcmp(p->lock_key, job->lock_key) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Locks the resources of new jobs at once (and the orders of plans that
 * wait for them), then starts locked jobs, oldest first, while the
 * NetSuite queue is short: a backlog of two requests per slot keeps every
 * slot busy, and starting hundreds of jobs in one go would leave finished
 * transfers unattended.
 */

static void
ctns_engine_poll_locks(ctns_engine_t *eng, int64_t now)
{
    int          backlog;
    ctns_job_t  *job, *next;

    for (job = eng->jobs; job; job = next) {
        next = job->next;

        if (job->state == CTNS_JOB_LOCK_WAIT && now >= job->next_lock_try_ms
            && !ctns_engine_behind(eng, job))
        {
            ctns_job_poll(job, now);

        } else if (job->order_wait) {
            /* may finish the job: a plan that needs no request */
            ctns_job_poll_order(job, now);
        }
    }

    backlog = 2 * eng->conf->netsuite.concurrency;

    for (job = eng->jobs; job; job = next) {
        next = job->next;

        if (ctns_http_queued(eng->http, CTNS_LANE_NS) >= backlog) {
            return;
        }

        if (job->state == CTNS_JOB_LOCKED) {
            ctns_job_start(job);
        }
    }
}


static void
ctns_engine_log_stats(ctns_engine_t *eng, const char *msg)
{
    ctns_log(CTNS_LOG_INFO, msg,
             json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i}",
                       "consumer", eng->store.consumer,
                       "synced", (json_int_t) eng->stats.synced,
                       "records", (json_int_t) eng->stats.records,
                       "requests", (json_int_t) eng->stats.requests,
                       "retried", (json_int_t) eng->stats.retried,
                       "dead", (json_int_t) eng->stats.dead,
                       "skipped", (json_int_t) eng->stats.skipped,
                       "jobs", eng->njobs,
                       "peak_in_flight",
                       ctns_http_peak(eng->http, CTNS_LANE_NS)));
}


/* New work: due retries, abandoned entries, new entries. */

static int
ctns_engine_fetch(ctns_engine_t *eng, int64_t now, int64_t *next_retry,
    int64_t *next_claim)
{
    int   room, busy, block, shards, count;
    const ctns_conf_worker_t  *w = &eng->conf->worker;

    room = w->prefetch - eng->njobs;

    if (room > 0 && now >= *next_retry) {
        ctns_store_retry_due(&eng->store, now, w->claim_idle_ms, room,
                             ctns_on_retry, eng);
        *next_retry = now + w->poll_ms;
        room = w->prefetch - eng->njobs;
    }

    if (room > 0 && now >= *next_claim) {
        ctns_store_autoclaim(&eng->store, w->claim_idle_ms, room,
                             ctns_on_entry, eng);
        *next_claim = now + w->claim_idle_ms / 4;
        room = w->prefetch - eng->njobs;
    }

    if (room <= 0) {
        return 0;
    }

    busy = ctns_http_in_flight(eng->http, CTNS_LANE_NS)
           + ctns_http_in_flight(eng->http, CTNS_LANE_CT);

    block = busy ? 0 : (int) w->poll_ms;

    /* COUNT applies per stream: share the room out among the shards */
    shards = eng->conf->stream.shards;
    count = (room + shards - 1) / shards;

    if (ctns_store_read(&eng->store, count, block, ctns_on_entry, eng) < 0) {
        /* Redis is away: do not spin */
        usleep(w->poll_ms * 1000);
    }

    return block;
}


static int
ctns_engine_init(ctns_engine_t *eng, ctns_conf_t *conf, ctns_map_conf_t *map,
    const char *consumer)
{
    const ctns_conf_netsuite_t  *ns = &conf->netsuite;

    memset(eng, 0, sizeof(ctns_engine_t));

    eng->conf = conf;
    eng->map = map;
    snprintf(eng->api, sizeof(eng->api), "%s/services/rest", ns->base_url);

    eng->http = ctns_http_create(ns->user_agent, ns->connect_timeout_ms);
    if (eng->http == NULL) {
        return -1;
    }

    ctns_nsauth_init(&eng->nsauth, ns, eng->http);

    if (ctns_ctclient_init(&eng->ct, &conf->ct, eng->http) != 0) {
        return -1;
    }

    ctns_http_lane(eng->http, CTNS_LANE_NS, ns->concurrency,
                   ctns_nsauth_prepare, &eng->nsauth);
    ctns_http_lane(eng->http, CTNS_LANE_CT,
                   conf->ct.enabled ? conf->ct.concurrency : 1,
                   ctns_ctclient_prepare, &eng->ct);

    if (ctns_store_open(&eng->store, conf, consumer) != 0
        || ctns_store_groups(&eng->store) != 0)
    {
        return -1;
    }

    return 0;
}


static void
ctns_engine_cleanup(ctns_engine_t *eng)
{
    ctns_job_t  *job;

    /* jobs cut off by the drain timeout stay pending: claimed later */
    while (eng->jobs) {
        job = eng->jobs;
        eng->jobs = job->next;
        ctns_job_free(job);
    }

    eng->jobs_tail = NULL;

    ctns_engine_reap();
    ctns_ctclient_free(&eng->ct);
    ctns_nsauth_free(&eng->nsauth);
    ctns_http_destroy(eng->http);
    ctns_store_close(&eng->store);
}


int
ctns_engine_run(ctns_conf_t *conf, ctns_map_conf_t *map,
    const char *consumer)
{
    int             draining, blocked, wait;
    int64_t         now, deadline, next_retry, next_claim, next_touch;
    int64_t         next_stats, touch_every;
    ctns_engine_t   eng;
    const ctns_conf_worker_t  *w = &conf->worker;

    if (ctns_engine_init(&eng, conf, map, consumer) != 0) {
        ctns_engine_cleanup(&eng);
        return -1;
    }

    ctns_log(CTNS_LOG_INFO, "worker started",
             json_pack("{s:s,s:s,s:i,s:i,s:s}", "consumer", consumer,
                       "prefix", conf->stream.prefix, "shards",
                       conf->stream.shards, "concurrency",
                       conf->netsuite.concurrency, "netsuite",
                       conf->netsuite.base_url));

    draining = 0;
    deadline = 0;
    now = ctns_now_ms();
    next_retry = now;
    next_claim = now;
    next_stats = now + CTNS_STATS_EVERY_MS;
    touch_every = (w->claim_idle_ms < w->lock_ttl_ms ? w->claim_idle_ms
                                                      : w->lock_ttl_ms) / 3;
    next_touch = now + touch_every;

    for ( ;; ) {
        ctns_engine_reap();
        now = ctns_now_ms();

        if (ctns_hup) {
            ctns_hup = 0;
            ctns_log_reopen();
            ctns_log(CTNS_LOG_INFO, "log reopened", NULL);
        }

        if (ctns_stop && !draining) {
            draining = 1;
            deadline = now + w->drain_timeout_ms;
            ctns_engine_drop_waiting(&eng);
            ctns_log(CTNS_LOG_INFO, "draining",
                     json_pack("{s:i}", "in_progress", eng.njobs));
        }

        if (draining && (eng.njobs == 0 || now >= deadline)) {
            break;
        }

        blocked = draining ? 0 : ctns_engine_fetch(&eng, now, &next_retry,
                                                   &next_claim);

        ctns_engine_poll_locks(&eng, ctns_now_ms());
        ctns_control_poll(&eng.store, now);

        if (now >= next_touch) {
            ctns_engine_touch(&eng, 0);
            next_touch = now + touch_every;
        }

        ctns_nsstats_flush(&eng.answers, &eng.store, now, 0);

        if (now >= next_stats) {
            ctns_engine_log_stats(&eng, "stats");
            next_stats = now + CTNS_STATS_EVERY_MS;
        }

        wait = (ctns_http_in_flight(eng.http, CTNS_LANE_NS)
                + ctns_http_in_flight(eng.http, CTNS_LANE_CT))
               ? CTNS_BUSY_WAIT_MS : (blocked ? 0 : (int) w->poll_ms);

        ctns_http_run(eng.http, wait);
    }

    ctns_nsstats_flush(&eng.answers, &eng.store, ctns_now_ms(), 1);
    ctns_engine_log_stats(&eng, "worker stopped");
    ctns_engine_cleanup(&eng);

    return 0;
}
