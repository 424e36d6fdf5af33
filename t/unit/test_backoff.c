/*
 * Copyright (C) ct-netsuite authors
 *
 * The retry schedule: exponential ceilings up to the cap, full jitter over
 * [0, ceiling], Retry-After as a capped floor.
 */


#include <stdint.h>

#include "ctns_test.h"
#include "ctns_backoff.h"


int
main(void)
{
    unsigned  a;
    int64_t   d, lo, hi;
    uint32_t  x;
    int       i;

    CHECK_INT(ctns_backoff_ceiling(0, 500, 30000), 500);
    CHECK_INT(ctns_backoff_ceiling(1, 500, 30000), 500);
    CHECK_INT(ctns_backoff_ceiling(2, 500, 30000), 1000);
    CHECK_INT(ctns_backoff_ceiling(3, 500, 30000), 2000);
    CHECK_INT(ctns_backoff_ceiling(6, 500, 30000), 16000);
    CHECK_INT(ctns_backoff_ceiling(7, 500, 30000), 30000);
    CHECK_INT(ctns_backoff_ceiling(64, 500, 30000), 30000);
    CHECK_INT(ctns_backoff_ceiling(1000, 500, 30000), 30000);

    /* the extremes of the random number reach both ends of the range */
    CHECK_INT(ctns_backoff_delay(3, 500, 30000, 0, 0), 0);
    CHECK_INT(ctns_backoff_delay(3, 500, 30000, UINT32_MAX, 0), 2000);
    CHECK_INT(ctns_backoff_delay(3, 500, 30000, UINT32_MAX / 2, 0), 1000);
    CHECK_INT(ctns_backoff_delay(20, 500, 30000, UINT32_MAX, 0), 30000);

    /* Retry-After is a floor, and the cap still wins */
    CHECK_INT(ctns_backoff_delay(1, 500, 30000, 0, 5000), 5000);
    CHECK_INT(ctns_backoff_delay(1, 500, 30000, 0, 90000), 30000);
    CHECK_INT(ctns_backoff_delay(7, 500, 30000, UINT32_MAX, 1000), 30000);

    /* full jitter: spread over the whole range, mean near ceiling / 2 */
    for (a = 1; a <= 8; a++) {
        lo = INT64_MAX;
        hi = 0;
        d = 0;
        x = 2463534242u;

        for (i = 0; i < 10000; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;

            int64_t v = ctns_backoff_delay(a, 500, 30000, x, 0);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            d += v;
        }

        int64_t c = ctns_backoff_ceiling(a, 500, 30000);

        CHECK(lo >= 0 && lo < c / 50 + 1);
        CHECK(hi <= c && hi > c - c / 50 - 1);
        CHECK(d / 10000 > c * 45 / 100 && d / 10000 < c * 55 / 100);
    }

    TEST_DONE();
}
