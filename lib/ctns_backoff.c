/*
 * Copyright (C) ct-netsuite authors
 */


#include "ctns_backoff.h"


int64_t
ctns_backoff_ceiling(unsigned attempt, int64_t base_ms, int64_t cap_ms)
{
    int64_t  c;

    if (attempt == 0) {
        attempt = 1;
    }

    c = base_ms;

    while (--attempt && c < cap_ms) {
        c *= 2;
    }

    return c < cap_ms ? c : cap_ms;
}


int64_t
ctns_backoff_delay(unsigned attempt, int64_t base_ms, int64_t cap_ms,
    uint32_t rnd, int64_t retry_after_ms)
{
    int64_t  c, d;

    c = ctns_backoff_ceiling(attempt, base_ms, cap_ms);

    /* (c + 1) * rnd / 2^32 is uniform over [0, c] */
    d = (int64_t) (((uint64_t) (c + 1) * rnd) >> 32);

    if (retry_after_ms > d) {
        d = retry_after_ms < cap_ms ? retry_after_ms : cap_ms;
    }

    return d;
}
