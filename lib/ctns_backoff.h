/*
 * Copyright (C) ct-netsuite authors
 *
 * Retry delays: exponential backoff with full jitter (AWS architecture
 * blog, "Exponential Backoff And Jitter"): attempt n waits a uniformly
 * random time in [0, min(cap, base * 2^(n-1))].  Full jitter spreads a
 * burst of 429s from many orders instead of retrying them in lock step.
 */

#ifndef _CTNS_BACKOFF_H_INCLUDED_
#define _CTNS_BACKOFF_H_INCLUDED_


#include <stdint.h>


/* The upper bound of the delay before retry number attempt (1-based). */
int64_t ctns_backoff_ceiling(unsigned attempt, int64_t base_ms,
    int64_t cap_ms);

/*
 * The delay itself: rnd is a uniformly distributed 32-bit random number,
 * passed in so that the schedule is testable.  A server's Retry-After
 * (retry_after_ms > 0) is a floor, still capped by cap_ms.
 */
int64_t ctns_backoff_delay(unsigned attempt, int64_t base_ms, int64_t cap_ms,
    uint32_t rnd, int64_t retry_after_ms);


#endif /* _CTNS_BACKOFF_H_INCLUDED_ */
