/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctns_time.h"


/* n digits exactly; -1 otherwise */
static int
ctns_time_digits(const char *p, int n)
{
    int  v, i;

    for (v = 0, i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        v = v * 10 + (p[i] - '0');
    }

    return v;
}


int64_t
ctns_time_span(const char *s)
{
    char     *end;
    long      n;

    if (s[0] < '0' || s[0] > '9') {
        return -1;
    }

    n = strtol(s, &end, 10);

    if (n <= 0 || n > 1000000 || end[0] == '\0' || end[1] != '\0') {
        return -1;
    }

    switch (*end) {
    case 's':
        return (int64_t) n * 1000;
    case 'm':
        return (int64_t) n * 60000;
    case 'h':
        return (int64_t) n * 3600000;
    case 'd':
        return (int64_t) n * 86400000;
    default:
        return -1;
    }
}


/* "HH:MM:SS[.fff...]" after the date; p moves past it */
static int
ctns_time_clock(const char **pp, struct tm *tm, int *msec)
{
    int          n;
    const char  *p = *pp;

    tm->tm_hour = ctns_time_digits(p, 2);
    tm->tm_min = p[2] == ':' ? ctns_time_digits(p + 3, 2) : -1;
    tm->tm_sec = p[5] == ':' ? ctns_time_digits(p + 6, 2) : -1;

    if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0
        || tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 60)
    {
        return -1;
    }

    p += 8;
    *msec = 0;

    if (*p == '.') {
        for (n = 0, p++; *p >= '0' && *p <= '9'; p++, n++) {
            if (n < 3) {
                *msec = *msec * 10 + (*p - '0');
            }
        }

        if (n == 0) {
            return -1;
        }

        for ( /* void */ ; n < 3; n++) {
            *msec *= 10;
        }
    }

    *pp = p;

    return 0;
}


/* "Z", "+02:00", "-0530" or nothing after a date alone */
static int
ctns_time_offset(const char *p, int64_t *off_ms)
{
    int  sign, h, m;

    *off_ms = 0;

    if (strcmp(p, "Z") == 0) {
        return 0;
    }

    sign = (*p == '+') ? 1 : (*p == '-') ? -1 : 0;
    h = ctns_time_digits(p + 1, 2);
    m = (p[3] == ':') ? ctns_time_digits(p + 4, 2)
                      : ctns_time_digits(p + 3, 2);

    if (sign == 0 || h < 0 || h > 23 || m < 0 || m > 59
        || strlen(p) != (size_t) (p[3] == ':' ? 6 : 5))
    {
        return -1;
    }

    *off_ms = sign * ((int64_t) h * 3600 + m * 60) * 1000;

    return 0;
}


int
ctns_time_parse(const char *s, int64_t now_ms, int64_t *ms)
{
    int          msec;
    int64_t      span, off;
    struct tm    tm;
    const char  *p;

    if (strcmp(s, "now") == 0) {
        *ms = now_ms;
        return 0;
    }

    if (s[0] == '-') {
        span = ctns_time_span(s + 1);
        *ms = now_ms - span;
        return span < 0 ? -1 : 0;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = ctns_time_digits(s, 4);
    tm.tm_mon = s[4] == '-' ? ctns_time_digits(s + 5, 2) : -1;
    tm.tm_mday = s[7] == '-' ? ctns_time_digits(s + 8, 2) : -1;

    if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12
        || tm.tm_mday < 1 || tm.tm_mday > 31)
    {
        return -1;
    }

    p = s + 10;
    msec = 0;
    off = 0;

    if (*p == 'T' || *p == ' ') {
        p++;

        if (ctns_time_clock(&p, &tm, &msec) != 0
            || ctns_time_offset(p, &off) != 0)
        {
            return -1;
        }

    } else if (*p != '\0') {
        return -1;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = (int64_t) timegm(&tm) * 1000 + msec - off;

    return 0;
}


void
ctns_time_iso(int64_t ms, char *buf, size_t len)
{
    time_t     t;
    struct tm  tm;
    char       tmp[32];

    t = (time_t) (ms / 1000);
    gmtime_r(&t, &tm);
    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", tmp, (int) (ms % 1000));
}
