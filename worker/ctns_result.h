/*
 * Copyright (C) ct-netsuite authors
 *
 * What a job writes to Redis, for the status API and operators: the
 * resource status hash, the event status hash, the capped audit trail, the
 * dead-letter stream, the retry schedule; the stream entry is acknowledged
 * last, in the same pipeline, only after everything before it succeeded.
 */

#ifndef _CTNS_RESULT_H_INCLUDED_
#define _CTNS_RESULT_H_INCLUDED_


#include "ctns_job.h"


/* Last applied seq and rv of the job's resource; -1 on a Redis error. */
int ctns_result_applied_marks(ctns_job_t *job, int64_t *seq, int64_t *rv);

/*
 * The order the job's postings also belong to when it is not the job's
 * resource (a payment's order), from the plan; NULL otherwise.
 */
const char *ctns_result_other_order(const ctns_job_t *job);

int ctns_result_pending(ctns_job_t *job);

/* action: "posted" (synced), "ignored" or "stale" */
int ctns_result_done(ctns_job_t *job, const char *action, const char *note);

int ctns_result_retry(ctns_job_t *job, int64_t due_ms);
int ctns_result_dead(ctns_job_t *job);


#endif /* _CTNS_RESULT_H_INCLUDED_ */
