/*
 * Copyright (C) ct-netsuite authors
 *
 * NetSuite REST error bodies ({"title","status","o:errorDetails":[{"detail",
 * "o:errorCode","o:errorPath"}]}) and what the worker does about a
 * response: classify by HTTP status first, then o:errorCode, never by the
 * display text (netsuite spec 6.2, 6.3).  Edge 5xx may be HTML: parsing is
 * defensive.
 */

#ifndef _CTNS_NSERROR_H_INCLUDED_
#define _CTNS_NSERROR_H_INCLUDED_


#include <stddef.h>


typedef enum {
    CTNS_NS_OK = 0,                  /* 2xx */
    CTNS_NS_RETRY,                   /* 429, 5xx: back off and retry */
    CTNS_NS_AUTH,                    /* 401: renew credentials, retry once */
    CTNS_NS_EXISTS,                  /* 400 duplicate external id */
    CTNS_NS_NOT_FOUND,               /* 404 */
    CTNS_NS_PERMANENT                /* other 4xx: dead-letter */
} ctns_ns_class_e;


typedef struct {
    int     http;
    char    code[64];                /* o:errorCode, or "" */
    char    detail[512];             /* detail, title, or a body excerpt */
    char    path[160];               /* o:errorPath, or "" */
} ctns_nserror_t;


/* Fills err from a response; body may be NULL, empty, HTML or JSON. */
void ctns_nserror_parse(ctns_nserror_t *err, int http, const char *body,
    size_t len);

ctns_ns_class_e ctns_nserror_class(const ctns_nserror_t *err);


#endif /* _CTNS_NSERROR_H_INCLUDED_ */
