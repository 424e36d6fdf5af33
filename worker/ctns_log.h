/*
 * Copyright (C) ct-netsuite authors
 *
 * One JSON object per line on stderr (or a file reopened on SIGHUP):
 * {"ts","level","msg", ...fields}.  Callers never pass secrets as fields.
 */

#ifndef _CTNS_LOG_H_INCLUDED_
#define _CTNS_LOG_H_INCLUDED_


#include <jansson.h>


/* CTNS_VERSION comes from the VERSION file, through the Makefile */

#define CTNS_LOG_DEBUG   0
#define CTNS_LOG_INFO    1
#define CTNS_LOG_WARN    2
#define CTNS_LOG_ERROR   3


extern int  ctns_log_level;


/* "debug" ... "error" -> level, or -1. */
int ctns_log_level_parse(const char *name);

/* Opens file for appending ("" = stderr).  Returns 0, or -1. */
int ctns_log_open(const char *file);
int ctns_log_reopen(void);

/* Writes msg with the fields of the object fields (stolen; may be NULL). */
void ctns_log(int level, const char *msg, json_t *fields);


#define ctns_log_enabled(level)  ((level) >= ctns_log_level)


#endif /* _CTNS_LOG_H_INCLUDED_ */
