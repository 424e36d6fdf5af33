/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_conf_err.h"
#include "ctns_grow.h"


void
ctns_conf_error(ctns_conf_errors_t *errs, const char *path,
    const char *fmt, ...)
{
    va_list             ap;
    ctns_conf_error_t  *e;

    e = ctns_grow((void **) &errs->items, &errs->n, &errs->cap,
                  sizeof(ctns_conf_error_t), 8);
    if (e == NULL) {
        return;
    }

    snprintf(e->path, sizeof(e->path), "%s", path);

    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}


void
ctns_conf_errors_print(const ctns_conf_errors_t *errs, FILE *out)
{
    size_t  i;

    for (i = 0; i < errs->n; i++) {
        fprintf(out, "config error: %s: %s\n",
                errs->items[i].path, errs->items[i].msg);
    }
}


void
ctns_conf_errors_free(ctns_conf_errors_t *errs)
{
    free(errs->items);
    memset(errs, 0, sizeof(ctns_conf_errors_t));
}
