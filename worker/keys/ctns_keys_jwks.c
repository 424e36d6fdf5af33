/*
 * Copyright (C) ct-netsuite authors
 *
 * Google's JWKS into the file the pubsub scheme reads.  A download is
 * parsed with the module's own parser before it may replace the file, and
 * an unchanged set is not rewritten (the module reloads on mtime).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_jwks.h"
#include "ctns_keys.h"


int
ctns_keys_jwks(const ctns_keys_conf_t *conf)
{
    int                 same;
    long                status;
    char               *body, *old, errbuf[256];
    size_t              len, old_len;
    ctns_jwks_t        *set;
    ctns_verify_err_t   err;

    status = ctns_keys_http_get(conf->jwks_url, conf->timeout,
                                CTNS_JWKS_MAX_BYTES, &body, &len,
                                errbuf, sizeof(errbuf));
    if (status != 200) {
        if (status < 0) {
            ctns_keys_log("error", "jwks: GET %s: %s", conf->jwks_url,
                          errbuf);
        } else {
            ctns_keys_log("error", "jwks: GET %s: HTTP %ld", conf->jwks_url,
                          status);
        }
        free(body);
        return -1;
    }

    set = ctns_jwks_parse(body, len, &err);
    if (set == NULL) {
        ctns_keys_log("error", "jwks: %s: refused, %s; %s kept",
                      conf->jwks_url, err.reason, conf->jwks_file);
        free(body);
        return -1;
    }

    same = ctns_verify_read_file(conf->jwks_file, CTNS_JWKS_MAX_BYTES, &old,
                                 &old_len, &err) == CTNS_VERIFY_OK
           && old_len == len && memcmp(old, body, len) == 0;
    free(old);

    if (same) {
        ctns_keys_log("info", "jwks: %zu keys, %s unchanged",
                      ctns_jwks_count(set), conf->jwks_file);

    } else if (ctns_keys_write_file(conf->jwks_file, body, len) != 0) {
        ctns_keys_log("error", "jwks: cannot write %s: %s", conf->jwks_file,
                      strerror(errno));
        same = -1;

    } else {
        ctns_keys_log("info", "jwks: %zu keys from %s written to %s",
                      ctns_jwks_count(set), conf->jwks_url, conf->jwks_file);
    }

    ctns_jwks_free(set);
    free(body);

    return same < 0 ? -1 : 0;
}
