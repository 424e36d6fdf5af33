/*
 * Copyright (C) ct-netsuite authors
 *
 * Configuration errors, collected rather than stopping at the first, each
 * naming the JSON path of the offending field ("netsuite.concurrency").
 */

#ifndef _CTNS_CONF_ERR_H_INCLUDED_
#define _CTNS_CONF_ERR_H_INCLUDED_


#include <stddef.h>
#include <stdio.h>


typedef struct {
    char   path[160];
    char   msg[256];
} ctns_conf_error_t;


typedef struct {
    ctns_conf_error_t  *items;
    size_t              n;
    size_t              cap;
} ctns_conf_errors_t;


void ctns_conf_error(ctns_conf_errors_t *errs, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ctns_conf_errors_print(const ctns_conf_errors_t *errs, FILE *out);
void ctns_conf_errors_free(ctns_conf_errors_t *errs);


#endif /* _CTNS_CONF_ERR_H_INCLUDED_ */
