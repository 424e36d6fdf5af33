/*
 * Command-line and resource times: instants, dates, offsets, relative
 * times, spans, and what is refused.
 */

#include "ctns_test.h"
#include "ctns_time.h"


static int64_t
parse(const char *s)
{
    int64_t  ms;

    return ctns_time_parse(s, 1783000000000LL, &ms) == 0 ? ms : -1;
}


int
main(void)
{
    char  buf[40];

    CHECK_INT(parse("2026-07-01"), 1782864000000LL);
    CHECK_INT(parse("2026-07-01T00:00:00Z"), 1782864000000LL);
    CHECK_INT(parse("2026-07-01T10:15:22.123Z"), 1782900922123LL);
    CHECK_INT(parse("2026-07-01T10:15:22.1Z"), 1782900922100LL);
    CHECK_INT(parse("2026-07-01T10:15:22.123456Z"), 1782900922123LL);
    CHECK_INT(parse("2026-07-01 12:15:22+02:00"), 1782900922000LL);
    CHECK_INT(parse("2026-07-01T05:15:22-0500"), 1782900922000LL);
    CHECK_INT(parse("now"), 1783000000000LL);
    CHECK_INT(parse("-2h"), 1783000000000LL - 7200000);
    CHECK_INT(parse("-7d"), 1783000000000LL - 7 * 86400000LL);

    CHECK_INT(parse("yesterday"), -1);
    CHECK_INT(parse("2026-13-01"), -1);
    CHECK_INT(parse("2026-07-32"), -1);
    CHECK_INT(parse("2026-7-1"), -1);
    CHECK_INT(parse("2026-07-01T25:00:00Z"), -1);
    CHECK_INT(parse("2026-07-01T10:15Z"), -1);
    CHECK_INT(parse("2026-07-01T10:15:22"), -1);
    CHECK_INT(parse("2026-07-01T10:15:22.Z"), -1);
    CHECK_INT(parse("2026-07-01T10:15:22+2:00"), -1);
    CHECK_INT(parse("2026-07-01T10:15:22Zjunk"), -1);
    CHECK_INT(parse("2026-07-01x"), -1);
    CHECK_INT(parse("-2x"), -1);
    CHECK_INT(parse("-h"), -1);
    CHECK_INT(parse(""), -1);

    ctns_time_iso(1782900922123LL, buf, sizeof(buf));
    CHECK_STR(buf, "2026-07-01T10:15:22.123Z");
    ctns_time_iso(1782864000000LL, buf, sizeof(buf));
    CHECK_STR(buf, "2026-07-01T00:00:00.000Z");

    CHECK_INT(ctns_time_span("30s"), 30000);
    CHECK_INT(ctns_time_span("15m"), 900000);
    CHECK_INT(ctns_time_span("1h"), 3600000);
    CHECK_INT(ctns_time_span("2d"), 172800000);
    CHECK_INT(ctns_time_span("15"), -1);
    CHECK_INT(ctns_time_span("15x"), -1);
    CHECK_INT(ctns_time_span("0m"), -1);
    CHECK_INT(ctns_time_span("-5m"), -1);
    CHECK_INT(ctns_time_span("m"), -1);
    CHECK_INT(ctns_time_span("5mm"), -1);

    TEST_DONE();
}
