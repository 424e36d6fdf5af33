/*
 * Copyright (C) ct-netsuite authors
 *
 * "settlements" and "sync" configuration sections.  Loading goes on after
 * an error so that one check-config run shows every problem.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_batch_conf.h"


typedef struct {
    ctns_batch_conf_t   *conf;
    ctns_conf_errors_t  *errs;
    size_t               before;
} ctns_bconf_t;


static const char  *ctns_batch_sections[] = { "settlements", "sync", NULL };


static int
ctns_bconf_in(const char *key, const char **list)
{
    for ( /* void */ ; *list; list++) {
        if (strcmp(key, *list) == 0) {
            return 1;
        }
    }

    return 0;
}


int
ctns_batch_conf_section(const char *key)
{
    return ctns_bconf_in(key, ctns_batch_sections);
}


/* an object at path, its unknown fields reported; NULL when absent */
static const json_t *
ctns_bconf_object(ctns_bconf_t *b, const json_t *v, const char *path,
    const char **known)
{
    const char  *k;
    json_t      *x;
    char         sub[160];

    if (v == NULL) {
        return NULL;
    }

    if (!json_is_object(v)) {
        ctns_conf_error(b->errs, path, "must be an object");
        return NULL;
    }

    json_object_foreach((json_t *) v, k, x) {
        if (known && !ctns_bconf_in(k, known)) {
            snprintf(sub, sizeof(sub), "%s.%s", path, k);
            ctns_conf_error(b->errs, sub, "unknown field");
        }
    }

    return v;
}


static void
ctns_bconf_int(ctns_bconf_t *b, const json_t *obj, const char *key,
    const char *path, int min, int max, int *out)
{
    json_t  *v;
    char     sub[160];

    v = json_object_get(obj, key);
    if (v == NULL) {
        return;
    }

    snprintf(sub, sizeof(sub), "%s.%s", path, key);

    if (!json_is_integer(v) || json_integer_value(v) < min
        || json_integer_value(v) > max)
    {
        ctns_conf_error(b->errs, sub, "must be an integer from %d to %d",
                        min, max);
        return;
    }

    *out = (int) json_integer_value(v);
}


/* a NetSuite internal id: digits as a string, or a positive integer */
static void
ctns_bconf_id(ctns_bconf_t *b, const json_t *obj, const char *key,
    const char *path, char out[CTNS_NSID_LEN])
{
    json_t      *v;
    const char  *s;
    char         sub[160];

    v = json_object_get(obj, key);
    snprintf(sub, sizeof(sub), "%s.%s", path, key);

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        snprintf(out, CTNS_NSID_LEN, "%lld",
                 (long long) json_integer_value(v));
        return;
    }

    s = json_string_value(v);

    if (s == NULL || s[0] == '\0' || strlen(s) >= CTNS_NSID_LEN
        || strspn(s, "0123456789") != strlen(s))
    {
        ctns_conf_error(b->errs, sub, v ? "must be a NetSuite internal id "
                        "(digits)" : "is required");
        return;
    }

    snprintf(out, CTNS_NSID_LEN, "%s", s);
}


static void
ctns_bconf_banks(ctns_bconf_t *b, const json_t *banks, const char *path,
    ctns_settle_psp_t *psp)
{
    const char          *cur;
    json_t              *v;
    char                 sub[160];
    ctns_settle_bank_t  *bank;
    static const char   *known[] = {
        "account", "subsidiary", "currency", NULL
    };

    if (!json_is_object(banks) || json_object_size(banks) == 0) {
        ctns_conf_error(b->errs, path, "must map each payout currency to "
                        "its bank account");
        return;
    }

    psp->banks = calloc(json_object_size(banks), sizeof(ctns_settle_bank_t));
    if (psp->banks == NULL) {
        ctns_conf_error(b->errs, path, "out of memory");
        return;
    }

    json_object_foreach((json_t *) banks, cur, v) {
        snprintf(sub, sizeof(sub), "%s.%s", path, cur);

        if (strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                                != 3)
        {
            ctns_conf_error(b->errs, sub, "must be an ISO 4217 code in "
                            "upper case");
            continue;
        }

        if (ctns_bconf_object(b, v, sub, known) == NULL) {
            ctns_conf_error(b->errs, sub, "is required");
            continue;
        }

        bank = &psp->banks[psp->nbanks++];
        memcpy(bank->currency, cur, 4);
        ctns_bconf_id(b, v, "account", sub, bank->account);
        ctns_bconf_id(b, v, "subsidiary", sub, bank->subsidiary);
        ctns_bconf_id(b, v, "currency", sub, bank->ns_currency);
    }
}


/* the PSP's API: a secret reference and a base URL (default Stripe's) */
static void
ctns_bconf_api(ctns_bconf_t *b, const json_t *api, const char *path,
    ctns_settle_psp_t *psp)
{
    char                 sub[168];
    const char          *key, *url;
    static const char   *known[] = { "key", "url", NULL };

    snprintf(psp->api_url, sizeof(psp->api_url), "https://api.stripe.com");

    if (ctns_bconf_object(b, api, path, known) == NULL) {
        return;
    }

    key = json_string_value(json_object_get(api, "key"));
    url = json_string_value(json_object_get(api, "url"));

    snprintf(sub, sizeof(sub), "%s.key", path);

    if (key == NULL || (strncmp(key, "env:", 4) && strncmp(key, "file:", 5))
        || strlen(key) >= sizeof(psp->api_key))
    {
        ctns_conf_error(b->errs, sub, "must be a reference \"env:NAME\" or "
                        "\"file:/path\"");
    } else {
        snprintf(psp->api_key, sizeof(psp->api_key), "%s", key);
    }

    if (json_object_get(api, "url") == NULL) {
        return;
    }

    snprintf(sub, sizeof(sub), "%s.url", path);

    if (url == NULL || strlen(url) >= sizeof(psp->api_url)
        || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
    {
        ctns_conf_error(b->errs, sub, "must be an http(s) URL");
        return;
    }

    snprintf(psp->api_url, sizeof(psp->api_url), "%.*s",
             (int) strcspn(url, "?#"), url);

    while (psp->api_url[0] && psp->api_url[strlen(psp->api_url) - 1] == '/') {
        psp->api_url[strlen(psp->api_url) - 1] = '\0';
    }
}


static void
ctns_bconf_psps(ctns_bconf_t *b, const json_t *psps)
{
    const char          *name;
    json_t              *v;
    char                 path[160], sub[160];
    ctns_settle_psp_t   *p;
    static const char   *known[] = {
        "fees", "chargebacks", "adjustments", "clearing", "banks", "api",
        NULL
    };

    if (psps == NULL) {
        return;
    }

    if (!json_is_object(psps)) {
        ctns_conf_error(b->errs, "settlements.psp", "must be an object");
        return;
    }

    b->conf->psps = calloc(json_object_size(psps) + 1,
                           sizeof(ctns_settle_psp_t));
    if (b->conf->psps == NULL) {
        ctns_conf_error(b->errs, "settlements.psp", "out of memory");
        return;
    }

    json_object_foreach((json_t *) psps, name, v) {
        snprintf(path, sizeof(path), "settlements.psp.%s", name);

        if (strlen(name) == 0 || strlen(name) >= sizeof(p->name)
            || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789")
               != strlen(name))
        {
            ctns_conf_error(b->errs, path, "a PSP name is lower-case "
                            "letters and digits (adyen, stripe)");
            continue;
        }

        if (ctns_bconf_object(b, v, path, known) == NULL) {
            ctns_conf_error(b->errs, path, "is required");
            continue;
        }

        p = &b->conf->psps[b->conf->npsps++];
        snprintf(p->name, sizeof(p->name), "%s", name);
        ctns_bconf_id(b, v, "fees", path, p->fees);
        ctns_bconf_id(b, v, "chargebacks", path, p->chargebacks);
        ctns_bconf_id(b, v, "adjustments", path, p->adjustments);
        ctns_bconf_id(b, v, "clearing", path, p->clearing);

        snprintf(sub, sizeof(sub), "%.150s.api", path);
        ctns_bconf_api(b, json_object_get(v, "api"), sub, p);

        snprintf(path + strlen(path), sizeof(path) - strlen(path), ".banks");
        ctns_bconf_banks(b, json_object_get(v, "banks"), path, p);
    }
}


static void
ctns_bconf_settlements(ctns_bconf_t *b, const json_t *root)
{
    const char     *s;
    const json_t   *sec, *v;
    static const char  *known[] = {
        "unmatched", "never_settled_days", "max_attempts", "psp", NULL
    };

    sec = ctns_bconf_object(b, json_object_get(root, "settlements"),
                            "settlements", known);
    if (sec == NULL) {
        return;
    }

    v = json_object_get(sec, "unmatched");
    s = json_string_value(v);

    if (s && strcmp(s, "clearing") == 0) {
        b->conf->unmatched = CTNS_UNMATCHED_CLEARING;

    } else if (v && (s == NULL || strcmp(s, "wait") != 0)) {
        ctns_conf_error(b->errs, "settlements.unmatched", "must be \"wait\" "
                        "or \"clearing\"");
    }

    ctns_bconf_int(b, sec, "never_settled_days", "settlements", 1, 365,
                   &b->conf->never_settled_days);
    ctns_bconf_int(b, sec, "max_attempts", "settlements", 1, 1000,
                   &b->conf->max_attempts);
    ctns_bconf_psps(b, json_object_get(sec, "psp"));
}


static void
ctns_bconf_sync(ctns_bconf_t *b, const json_t *root)
{
    size_t          i;
    json_t         *r;
    const char     *s;
    const json_t   *sec, *res;
    static const char  *known[] = {
        "page_size", "requests_per_second", "overlap_seconds", "resources",
        NULL
    };

    sec = ctns_bconf_object(b, json_object_get(root, "sync"), "sync", known);
    if (sec == NULL) {
        return;
    }

    ctns_bconf_int(b, sec, "page_size", "sync", 1, 500, &b->conf->page_size);
    ctns_bconf_int(b, sec, "requests_per_second", "sync", 1, 1000,
                   &b->conf->requests_per_second);
    ctns_bconf_int(b, sec, "overlap_seconds", "sync", 0, 86400,
                   &b->conf->overlap_seconds);

    res = json_object_get(sec, "resources");
    if (res == NULL) {
        return;
    }

    if (!json_is_array(res) || json_array_size(res) == 0) {
        ctns_conf_error(b->errs, "sync.resources", "must be a non-empty "
                        "array of \"orders\" and \"payments\"");
        return;
    }

    b->conf->orders = 0;
    b->conf->payments = 0;

    json_array_foreach(res, i, r) {
        s = json_string_value(r);

        if (s && strcmp(s, "orders") == 0) {
            b->conf->orders = 1;

        } else if (s && strcmp(s, "payments") == 0) {
            b->conf->payments = 1;

        } else {
            ctns_conf_error(b->errs, "sync.resources", "element %zu must be "
                            "\"orders\" or \"payments\"", i);
        }
    }
}


ctns_batch_conf_t *
ctns_batch_conf_load(const json_t *root, ctns_conf_errors_t *errs)
{
    ctns_bconf_t  b;

    b.errs = errs;
    b.before = errs->n;
    b.conf = calloc(1, sizeof(ctns_batch_conf_t));

    if (b.conf == NULL) {
        ctns_conf_error(errs, "settlements", "out of memory");
        return NULL;
    }

    b.conf->unmatched = CTNS_UNMATCHED_WAIT;
    b.conf->never_settled_days = 7;
    b.conf->max_attempts = 10;
    b.conf->page_size = 500;
    b.conf->requests_per_second = 10;
    b.conf->overlap_seconds = 60;
    b.conf->orders = 1;
    b.conf->payments = 1;

    ctns_bconf_settlements(&b, root);
    ctns_bconf_sync(&b, root);

    if (errs->n != b.before) {
        ctns_batch_conf_free(b.conf);
        return NULL;
    }

    return b.conf;
}


void
ctns_batch_conf_free(ctns_batch_conf_t *conf)
{
    size_t  i;

    if (conf == NULL) {
        return;
    }

    for (i = 0; i < conf->npsps; i++) {
        free(conf->psps[i].banks);
    }

    free(conf->psps);
    free(conf);
}


int
ctns_batch_conf_check(const json_t *root, ctns_conf_errors_t *errs)
{
    int                 rc;
    ctns_batch_conf_t  *conf;

    conf = ctns_batch_conf_load(root, errs);
    rc = conf ? 0 : -1;
    ctns_batch_conf_free(conf);

    return rc;
}


const ctns_settle_psp_t *
ctns_batch_conf_psp(const ctns_batch_conf_t *conf, const char *psp)
{
    size_t  i;

    for (i = 0; i < conf->npsps; i++) {
        if (strcmp(conf->psps[i].name, psp) == 0) {
            return &conf->psps[i];
        }
    }

    return NULL;
}


const ctns_settle_bank_t *
ctns_batch_conf_bank(const ctns_settle_psp_t *psp, const char *currency)
{
    size_t  i;

    for (i = 0; i < psp->nbanks; i++) {
        if (strcmp(psp->banks[i].currency, currency) == 0) {
            return &psp->banks[i];
        }
    }

    return NULL;
}
