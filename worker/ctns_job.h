/*
 * Copyright (C) ct-netsuite authors
 *
 * One event on its way to NetSuite: lock its resource, skip it when stale,
 * ask the mapping for a plan (fetching commercetools resources it needs),
 * run the plan's operations one request at a time, and write the outcome:
 * synced, retry later, or dead letter.
 */

#ifndef _CTNS_JOB_H_INCLUDED_
#define _CTNS_JOB_H_INCLUDED_


#include <jansson.h>

#include "ctns_engine.h"
#include "ctns_event.h"
#include "ctns_nserror.h"


typedef enum {
    CTNS_JOB_LOCK_WAIT = 0,
    CTNS_JOB_LOCKED,                  /* holds the lock, not started yet */
    CTNS_JOB_RUNNING,
    CTNS_JOB_FINISHED
} ctns_job_state_e;


struct ctns_job_s {
    ctns_engine_t       *eng;
    ctns_job_t          *next;
    ctns_job_t          *prev;
    ctns_job_state_e     state;

    /* where it came from: a stream entry, or the retry schedule */
    int                  shard;
    char                 entry_id[48];
    char                *retry_member;

    json_t              *fields;          /* the entry's fields */
    ctns_event_t         ev;
    json_t              *payload;
    json_t              *fetched;
    char                 malformed[160];

    char                 lock_key[256];
    char                 wait_key[256];
    char                 wait_member[96];  /* "" for a scheduled retry */
    char                 lock_token[320];
    char                 retry_token[192];
    int64_t              next_lock_try_ms;

    /*
     * The lock of the plan's order when that is not the job's resource
     * (a payment's deposit against the order's sales order): taken after
     * the resource lock, never the other way round, so no cycle of waits.
     */
    int                  order_shard;
    char                 order_lock_key[256];
    char                 order_wait_key[256];
    unsigned             order_wait:1;      /* RUNNING, waits for it */
    unsigned             order_locked:1;
    int64_t              next_order_try_ms;

    long                 deliveries;      /* by the consumer group */
    int                  attempts;
    int64_t              first_fail_ms;
    int64_t              started_ms;

    ctns_plan_t          plan;
    int                  have_plan;
    int                  needs;
    char                 need[512];       /* resource being fetched */
    size_t               op;
    int                  step;
    int                  resent;
    int                  auth_retried;
    int64_t              retry_after_ms;
    json_t              *body;            /* of the current op */
    char                 src_id[32];      /* transform source internal id */
    json_t              *records;         /* [{type, id, externalId}] */

    /* the failure being reported */
    ctns_nserror_t       err;
    char                 err_where[600];  /* "PUT /record/v1/..." */
    char                 digest[65];      /* sha256 of the request body */
};


ctns_job_t *ctns_job_from_entry(ctns_engine_t *eng, int shard,
    const char *id, json_t *fields);
ctns_job_t *ctns_job_from_retry(ctns_engine_t *eng, const char *member);

/*
 * Tries to take the resource lock (LOCK_WAIT -> LOCKED).  The lock is taken
 * as soon as the entry is read, so another process cannot overtake it with
 * a later event of the resource while this one waits for a free slot.
 */
void ctns_job_poll(ctns_job_t *job, int64_t now);

/*
 * Tries to take the order lock a RUNNING job waits for (order_wait), then
 * runs its plan.
 */
void ctns_job_poll_order(ctns_job_t *job, int64_t now);

/* Starts a LOCKED job. */
void ctns_job_start(ctns_job_t *job);

/* Gives the lock of a job that will not run here back (LOCKED). */
void ctns_job_unlock(ctns_job_t *job);

void ctns_job_free(ctns_job_t *job);


#endif /* _CTNS_JOB_H_INCLUDED_ */
