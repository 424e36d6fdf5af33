/*
 * Copyright (C) ct-netsuite authors
 *
 * Times on the command line and in commercetools resources: RFC 3339 /
 * ISO 8601 instants and dates, relative times, spans.  Milliseconds since
 * the epoch, UTC.
 */

#ifndef _CTNS_TIME_H_INCLUDED_
#define _CTNS_TIME_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * "2026-07-01" (midnight UTC), "2026-07-01T10:15:22Z",
 * "2026-07-01T10:15:22.123Z", "2026-07-01 10:15:22+02:00", "now", or a
 * span before now_ms ("-30m", "-2h", "-7d").  Returns 0, or -1 when s is
 * none of these.
 */
int ctns_time_parse(const char *s, int64_t now_ms, int64_t *ms);

/* "2026-07-01T10:15:22.000Z", the form commercetools compares as text */
void ctns_time_iso(int64_t ms, char *buf, size_t len);

/* "30s", "15m", "1h", "2d" -> milliseconds; -1 when not a span */
int64_t ctns_time_span(const char *s);


#endif /* _CTNS_TIME_H_INCLUDED_ */
