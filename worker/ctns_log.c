/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "ctns_log.h"


int  ctns_log_level = CTNS_LOG_INFO;

static FILE  *ctns_log_out;
static char   ctns_log_file[512];

static const char  *ctns_log_names[] = { "debug", "info", "warn", "error" };


int
ctns_log_level_parse(const char *name)
{
    int  i;

    for (i = 0; i < 4; i++) {
        if (strcmp(name, ctns_log_names[i]) == 0) {
            return i;
        }
    }

    return -1;
}


int
ctns_log_open(const char *file)
{
    FILE  *f;

    snprintf(ctns_log_file, sizeof(ctns_log_file), "%s", file);

    if (file[0] == '\0') {
        ctns_log_out = stderr;
        return 0;
    }

    f = fopen(file, "a");
    if (f == NULL) {
        return -1;
    }

    setvbuf(f, NULL, _IOLBF, 0);

    if (ctns_log_out != NULL && ctns_log_out != stderr) {
        fclose(ctns_log_out);
    }

    ctns_log_out = f;

    return 0;
}


int
ctns_log_reopen(void)
{
    char  file[512];

    snprintf(file, sizeof(file), "%s", ctns_log_file);

    return ctns_log_open(file);
}


void
ctns_log(int level, const char *msg, json_t *fields)
{
    char            ts[40], *line;
    struct tm       tm;
    struct timeval  tv;
    json_t         *o;

    if (!ctns_log_enabled(level)) {
        json_decref(fields);
        return;
    }

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + 19, sizeof(ts) - 19, ".%03dZ", (int) (tv.tv_usec / 1000));

    o = json_pack("{s:s,s:s,s:s}", "ts", ts, "level",
                  ctns_log_names[level], "msg", msg);

    if (o == NULL) {
        json_decref(fields);
        return;
    }

    if (json_is_object(fields)) {
        json_object_update(o, fields);
    }

    json_decref(fields);

    line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);

    if (line == NULL) {
        return;
    }

    fprintf(ctns_log_out ? ctns_log_out : stderr, "%s\n", line);
    free(line);
}
