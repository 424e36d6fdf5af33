/*
 * Copyright (C) ct-netsuite authors
 *
 * Wall-clock milliseconds: retry schedules and status timestamps are
 * shared between processes and hosts through Redis, so they are epoch
 * based, not monotonic.
 */

#ifndef _CTNS_CLOCK_H_INCLUDED_
#define _CTNS_CLOCK_H_INCLUDED_


#include <stdint.h>
#include <sys/time.h>


static inline int64_t
ctns_now_ms(void)
{
    struct timeval  tv;

    gettimeofday(&tv, NULL);

    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}


#endif /* _CTNS_CLOCK_H_INCLUDED_ */
