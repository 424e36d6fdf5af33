/*
 * Copyright (C) ct-netsuite authors
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "ctns_batch_conf.h"
#include "ctns_conf.h"
#include "ctns_log.h"
#include "ctns_nsaccount.h"
#include "ctns_oauth2.h"
#include "ctns_shard.h"


#define CTNS_SECRET_MAX  65536


typedef struct {
    const json_t        *obj;
    const char          *section;
    ctns_conf_errors_t  *errs;
} ctns_sect_t;


/* top-level sections owned by the finance mapping (ctns_map_conf_load) */
static const char  *ctns_map_sections[] = {
    "routing", "items", "tax", "discounts", "shipping", "giftcards",
    "accounts", "flows", "customers", "custom_fields", NULL
};

static const char  *ctns_own_sections[] = {
    "redis", "stream", "netsuite", "commercetools", "retry", "worker", "log",
    NULL
};


static int
ctns_in_list(const char *key, const char **list)
{
    for ( /* void */ ; *list; list++) {
        if (strcmp(key, *list) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
ctns_conf_unknown(const ctns_sect_t *s, const char **known)
{
    const char  *key;
    json_t      *v;
    char         path[160];

    json_object_foreach((json_t *) s->obj, key, v) {
        if (!ctns_in_list(key, known)) {
            snprintf(path, sizeof(path), "%s.%s", s->section, key);
            ctns_conf_error(s->errs, path, "unknown field");
        }
    }
}


static int
ctns_sect(ctns_sect_t *s, const json_t *root, const char *name,
    int required, ctns_conf_errors_t *errs)
{
    json_t  *o;

    s->section = name;
    s->errs = errs;
    s->obj = NULL;

    o = json_object_get(root, name);

    if (o == NULL) {
        if (required) {
            ctns_conf_error(errs, name, "required section is missing");
        }

        return -1;
    }

    if (!json_is_object(o)) {
        ctns_conf_error(errs, name, "must be an object");
        return -1;
    }

    s->obj = o;

    return 0;
}


/* A string field; "" when absent and not required.  Returns 0 when set. */

static int
ctns_conf_str(const ctns_sect_t *s, const char *key, char *dst, size_t len,
    int required, const char *dflt)
{
    json_t      *v;
    const char  *str;
    char         path[160];

    snprintf(path, sizeof(path), "%s.%s", s->section, key);
    snprintf(dst, len, "%s", dflt ? dflt : "");

    v = s->obj ? json_object_get(s->obj, key) : NULL;

    if (v == NULL) {
        if (required) {
            ctns_conf_error(s->errs, path, "required field is missing");
        }

        return -1;
    }

    str = json_string_value(v);

    if (str == NULL) {
        ctns_conf_error(s->errs, path, "must be a string");
        return -1;
    }

    if (required && *str == '\0') {
        ctns_conf_error(s->errs, path, "must not be empty");
        return -1;
    }

    if (strlen(str) >= len) {
        ctns_conf_error(s->errs, path, "too long (at most %zu characters)",
                        len - 1);
        return -1;
    }

    snprintf(dst, len, "%s", str);

    return 0;
}


static int64_t
ctns_conf_int(const ctns_sect_t *s, const char *key, int64_t min,
    int64_t max, int64_t dflt)
{
    json_t   *v;
    int64_t   n;
    char      path[160];

    v = s->obj ? json_object_get(s->obj, key) : NULL;

    if (v == NULL) {
        return dflt;
    }

    snprintf(path, sizeof(path), "%s.%s", s->section, key);

    if (!json_is_integer(v)) {
        ctns_conf_error(s->errs, path, "must be an integer");
        return dflt;
    }

    n = json_integer_value(v);

    if (n < min || n > max) {
        ctns_conf_error(s->errs, path, "must be between %lld and %lld",
                        (long long) min, (long long) max);
        return dflt;
    }

    return n;
}


char *
ctns_conf_secret(const char *ref, char *err, size_t errlen)
{
    const char  *v;
    char        *buf;
    size_t       n;
    FILE        *f;

    if (strncmp(ref, "env:", 4) == 0) {
        v = getenv(ref + 4);

        if (ref[4] == '\0' || v == NULL || *v == '\0') {
            snprintf(err, errlen, "environment variable \"%s\" is not set",
                     ref + 4);
            return NULL;
        }

        return strdup(v);
    }

    if (strncmp(ref, "file:", 5) != 0) {
        snprintf(err, errlen, "must be a reference \"env:NAME\" or "
                 "\"file:/path\", not an inline secret");
        return NULL;
    }

    f = fopen(ref + 5, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot read %s: %s", ref + 5, strerror(errno));
        return NULL;
    }

    buf = malloc(CTNS_SECRET_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    n = fread(buf, 1, CTNS_SECRET_MAX + 1, f);
    fclose(f);

    if (n > CTNS_SECRET_MAX) {
        free(buf);
        snprintf(err, errlen, "%s is larger than %d bytes", ref + 5,
                 CTNS_SECRET_MAX);
        return NULL;
    }

    /* one trailing newline, as editors and "echo" leave it, is not data */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    buf[n] = '\0';

    if (n == 0) {
        free(buf);
        snprintf(err, errlen, "%s is empty", ref + 5);
        return NULL;
    }

    return buf;
}


/* A field that holds a secret reference; NULL when missing or broken. */

static char *
ctns_conf_secret_field(const ctns_sect_t *s, const char *key, int required)
{
    char   ref[600], path[160], err[256], *v;

    if (ctns_conf_str(s, key, ref, sizeof(ref), required, NULL) != 0) {
        return NULL;
    }

    v = ctns_conf_secret(ref, err, sizeof(err));

    if (v == NULL) {
        snprintf(path, sizeof(path), "%s.%s", s->section, key);
        ctns_conf_error(s->errs, path, "%s", err);
    }

    return v;
}


/*
 * "cluster": ["host:port", ...], the seeds a Redis Cluster's slot map is
 * first asked from; numeric addresses, as the module takes them.  Neither
 * "address" nor "db" goes with it: a cluster has database 0 only.
 */

static void
ctns_conf_cluster(ctns_conf_t *cf, const ctns_sect_t *s, const json_t *seeds)
{
    size_t       i;
    char         path[64];
    const char  *a;
    json_t      *v;

    if (json_object_get(s->obj, "address")) {
        ctns_conf_error(s->errs, "redis.cluster",
                        "cannot be used with redis.address (one server "
                        "or a cluster's seeds)");
    }

    if (json_object_get(s->obj, "db")) {
        ctns_conf_error(s->errs, "redis.db", "refused with redis.cluster: a "
                        "Redis Cluster has database 0 only");
    }

    if (!json_is_array(seeds) || json_array_size(seeds) == 0
        || json_array_size(seeds) > CTNS_REDIS_SEEDS_MAX)
    {
        ctns_conf_error(s->errs, "redis.cluster", "must be an array of 1 to "
                        "%d \"host:port\" seed addresses",
                        CTNS_REDIS_SEEDS_MAX);
        return;
    }

    json_array_foreach(seeds, i, v) {
        a = json_string_value(v);

        if (a == NULL
            || ctns_cluster_addr_parse(a, strlen(a),
                                       &cf->redis.seeds[i]) != 0)
        {
            snprintf(path, sizeof(path), "redis.cluster[%zu]", i);
            ctns_conf_error(s->errs, path, "must be a numeric address as "
                            "\"127.0.0.1:7000\" or \"[::1]:7000\"");
            continue;
        }

        cf->redis.nseeds++;
    }
}


static void
ctns_conf_redis(ctns_conf_t *cf, const json_t *root, ctns_conf_errors_t *errs)
{
    char         addr[256], *colon, *end;
    long         port;
    json_t      *seeds;
    ctns_sect_t  s;
    static const char  *known[] = {
        "address", "cluster", "db", "password", "timeout_ms", NULL
    };

    ctns_sect(&s, root, "redis", 0, errs);

    if (s.obj) {
        ctns_conf_unknown(&s, known);
    }

    ctns_conf_str(&s, "address", addr, sizeof(addr), 0, "127.0.0.1:6379");

    cf->redis.db = (int) ctns_conf_int(&s, "db", 0, 1000, 0);
    cf->redis.timeout_ms = (int) ctns_conf_int(&s, "timeout_ms", 10, 60000,
                                               2000);

    if (s.obj && json_object_get(s.obj, "password")) {
        cf->redis.password = ctns_conf_secret_field(&s, "password", 1);
    }

    seeds = s.obj ? json_object_get(s.obj, "cluster") : NULL;

    /* an address beside seeds is an error, and checked all the same */
    if (seeds) {
        ctns_conf_cluster(cf, &s, seeds);

        if (json_object_get(s.obj, "address") == NULL) {
            return;
        }
    }

    if (strncmp(addr, "unix:", 5) == 0) {
        snprintf(cf->redis.host, sizeof(cf->redis.host), "%s", addr);
        cf->redis.port = 0;
        return;
    }

    colon = strrchr(addr, ':');
    port = colon ? strtol(colon + 1, &end, 10) : 0;

    if (colon == NULL || colon == addr || *end != '\0' || port < 1
        || port > 65535)
    {
        ctns_conf_error(errs, "redis.address",
                        "must be host:port or unix:/path");
        return;
    }

    *colon = '\0';
    snprintf(cf->redis.host, sizeof(cf->redis.host), "%s", addr);
    cf->redis.port = (int) port;
}


static void
ctns_conf_stream(ctns_conf_t *cf, const json_t *root,
    ctns_conf_errors_t *errs)
{
    const char   *p;
    ctns_sect_t   s;
    static const char  *known[] = { "prefix", "shards", NULL };

    ctns_sect(&s, root, "stream", 0, errs);

    if (s.obj) {
        ctns_conf_unknown(&s, known);
    }

    if (ctns_conf_str(&s, "prefix", cf->stream.prefix,
                      sizeof(cf->stream.prefix), 0, "ctns") == 0)
    {
        for (p = cf->stream.prefix; *p; p++) {
            if (*p == '{' || *p == '}' || *p == ' ' || *p == ':') {
                ctns_conf_error(errs, "stream.prefix",
                                "must not contain '{', '}', ':' or spaces");
                break;
            }
        }

        if (cf->stream.prefix[0] == '\0') {
            ctns_conf_error(errs, "stream.prefix", "must not be empty");
        }
    }

    cf->stream.shards = (int) ctns_conf_int(&s, "shards", 1, CTNS_SHARDS_MAX,
                                            CTNS_SHARDS_DEFAULT);
}


static void
ctns_conf_url(const ctns_sect_t *s, const char *key, char *dst, size_t len,
    int required, const char *dflt)
{
    char    path[160];
    size_t  n;

    /* absent (the default applies) or already reported */
    if (ctns_conf_str(s, key, dst, len, required, dflt) != 0) {
        return;
    }

    if (strncmp(dst, "https://", 8) != 0 && strncmp(dst, "http://", 7) != 0) {
        snprintf(path, sizeof(path), "%s.%s", s->section, key);
        ctns_conf_error(s->errs, path, "must be an http:// or https:// URL");
        return;
    }

    n = strlen(dst);
    while (n && dst[n - 1] == '/') {
        dst[--n] = '\0';
    }
}


static void
ctns_conf_pkey(ctns_conf_netsuite_t *ns, const ctns_sect_t *s)
{
    char                  *pem, *jws, err[256];
    BIO                   *bio;
    const char            *path = "netsuite.auth.private_key";
    ctns_oauth2_claims_t   c = { ns->algorithm, "k", "i", "a", 0, 1 };

    pem = ctns_conf_secret_field(s, "private_key", 1);
    if (pem == NULL) {
        return;
    }

    bio = BIO_new_mem_buf(pem, -1);
    ns->pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);

    if (ns->pkey == NULL) {
        ctns_conf_error(s->errs, path, "not a PEM private key");
        return;
    }

    if (ctns_oauth2_alg_supported(ns->algorithm) != 0) {
        return;
    }

    /* sign once now, so that a key that does not fit fails at start */
    jws = ctns_oauth2_assertion(&c, ns->pkey, err, sizeof(err));
    if (jws == NULL) {
        ctns_conf_error(s->errs, path, "%s", err);
    }

    free(jws);
}


static void
ctns_conf_ns_auth(ctns_conf_netsuite_t *ns, const json_t *nsobj,
    ctns_conf_errors_t *errs)
{
    char         type[16];
    ctns_sect_t  s;
    static const char  *known2[] = {
        "type", "client_id", "certificate_id", "private_key", "algorithm",
        NULL
    };
    static const char  *known1[] = {
        "type", "consumer_key", "consumer_secret", "token_id",
        "token_secret", NULL
    };

    if (ctns_sect(&s, nsobj, "auth", 1, errs) != 0) {
        return;
    }

    s.section = "netsuite.auth";

    if (ctns_conf_str(&s, "type", type, sizeof(type), 1, NULL) != 0) {
        return;
    }

    if (strcmp(type, "oauth2") == 0) {
        ns->auth = CTNS_AUTH_OAUTH2;
        ctns_conf_unknown(&s, known2);
        ctns_conf_str(&s, "client_id", ns->client_id, sizeof(ns->client_id),
                      1, NULL);
        ctns_conf_str(&s, "certificate_id", ns->certificate_id,
                      sizeof(ns->certificate_id), 1, NULL);

        if (ctns_conf_str(&s, "algorithm", ns->algorithm,
                          sizeof(ns->algorithm), 0, "ES256") == 0
            && ctns_oauth2_alg_supported(ns->algorithm) != 0)
        {
            ctns_conf_error(errs, "netsuite.auth.algorithm",
                            "must be \"PS256\" or \"ES256\" (NetSuite "
                            "rejects RS256)");
        }

        ctns_conf_pkey(ns, &s);
        return;
    }

    if (strcmp(type, "tba") == 0) {
        ns->auth = CTNS_AUTH_TBA;
        ctns_conf_unknown(&s, known1);
        ns->consumer_key = ctns_conf_secret_field(&s, "consumer_key", 1);
        ns->consumer_secret = ctns_conf_secret_field(&s, "consumer_secret", 1);
        ns->token_id = ctns_conf_secret_field(&s, "token_id", 1);
        ns->token_secret = ctns_conf_secret_field(&s, "token_secret", 1);
        return;
    }

    ctns_conf_error(errs, "netsuite.auth.type",
                    "must be \"oauth2\" or \"tba\"");
}


static void
ctns_conf_netsuite(ctns_conf_t *cf, const json_t *root,
    ctns_conf_errors_t *errs)
{
    char                   dflt[256];
    ctns_sect_t            s;
    ctns_conf_netsuite_t  *ns;
    static const char     *known[] = {
        "account_id", "base_url", "auth", "concurrency", "timeout_ms",
        "connect_timeout_ms", "user_agent", NULL
    };

    ns = &cf->netsuite;

    if (ctns_sect(&s, root, "netsuite", 1, errs) != 0) {
        return;
    }

    ctns_conf_unknown(&s, known);

    if (ctns_conf_str(&s, "account_id", ns->account_id,
                      sizeof(ns->account_id), 1, NULL) == 0
        && ctns_nsaccount_forms(ns->account_id, ns->realm, ns->host,
                                sizeof(ns->realm)) != 0)
    {
        ctns_conf_error(errs, "netsuite.account_id",
                        "must look like 1234567, 1234567_SB1 or 1234567-sb1");
    }

    snprintf(dflt, sizeof(dflt), "https://%s.suitetalk.api.netsuite.com",
             ns->host[0] ? ns->host : "ACCOUNT");
    ctns_conf_url(&s, "base_url", ns->base_url, sizeof(ns->base_url), 0,
                  dflt);
    snprintf(ns->token_url, sizeof(ns->token_url),
             "%s/services/rest/auth/oauth2/v1/token", ns->base_url);

    ctns_conf_ns_auth(ns, s.obj, errs);

    /* NetSuite's smallest account limit is 5, the largest tiers ~100 */
    ns->concurrency = (int) ctns_conf_int(&s, "concurrency", 1, 200, 2);
    ns->timeout_ms = (int) ctns_conf_int(&s, "timeout_ms", 100, 900000,
                                         60000);
    ns->connect_timeout_ms = (int) ctns_conf_int(&s, "connect_timeout_ms",
                                                 50, 60000, 5000);
    ctns_conf_str(&s, "user_agent", ns->user_agent, sizeof(ns->user_agent),
                  0, "ctns-worker/" CTNS_VERSION);
}


static void
ctns_conf_ct(ctns_conf_t *cf, const json_t *root, ctns_conf_errors_t *errs)
{
    ctns_sect_t      s;
    ctns_conf_ct_t  *ct;
    static const char  *known[] = {
        "api_url", "auth_url", "project_key", "client_id", "client_secret",
        "scopes", "concurrency", "timeout_ms", NULL
    };

    ct = &cf->ct;

    if (ctns_sect(&s, root, "commercetools", 0, errs) != 0) {
        return;
    }

    ct->enabled = 1;
    ctns_conf_unknown(&s, known);
    ctns_conf_url(&s, "api_url", ct->api_url, sizeof(ct->api_url), 1, NULL);
    ctns_conf_url(&s, "auth_url", ct->auth_url, sizeof(ct->auth_url), 1,
                  NULL);
    ctns_conf_str(&s, "project_key", ct->project_key,
                  sizeof(ct->project_key), 1, NULL);
    ctns_conf_str(&s, "client_id", ct->client_id, sizeof(ct->client_id), 1,
                  NULL);
    ct->client_secret = ctns_conf_secret_field(&s, "client_secret", 1);
    ctns_conf_str(&s, "scopes", ct->scopes, sizeof(ct->scopes), 0, "");
    ct->concurrency = (int) ctns_conf_int(&s, "concurrency", 1, 64, 4);
    ct->timeout_ms = (int) ctns_conf_int(&s, "timeout_ms", 100, 300000,
                                         30000);
}


static void
ctns_conf_retry(ctns_conf_t *cf, const json_t *root, ctns_conf_errors_t *errs)
{
    ctns_sect_t  s;
    static const char  *known[] = {
        "base_ms", "cap_ms", "max_attempts", NULL
    };

    if (ctns_sect(&s, root, "retry", 0, errs) == 0) {
        ctns_conf_unknown(&s, known);
    }

    cf->retry.base_ms = ctns_conf_int(&s, "base_ms", 1, 3600000, 500);
    cf->retry.cap_ms = ctns_conf_int(&s, "cap_ms", 1, 86400000, 30000);
    cf->retry.max_attempts = (int) ctns_conf_int(&s, "max_attempts", 1, 1000,
                                                 8);

    if (cf->retry.cap_ms < cf->retry.base_ms) {
        ctns_conf_error(errs, "retry.cap_ms",
                        "must not be smaller than retry.base_ms");
    }
}


static void
ctns_conf_worker(ctns_conf_t *cf, const json_t *root,
    ctns_conf_errors_t *errs)
{
    ctns_sect_t          s;
    ctns_conf_worker_t  *w;
    static const char   *known[] = {
        "consumer", "claim_idle_ms", "lock_ttl_ms", "prefetch",
        "drain_timeout_ms", "poll_ms", "max_deliveries", NULL
    };

    w = &cf->worker;

    if (ctns_sect(&s, root, "worker", 0, errs) == 0) {
        ctns_conf_unknown(&s, known);
    }

    ctns_conf_str(&s, "consumer", w->consumer, sizeof(w->consumer), 0, "");
    w->claim_idle_ms = ctns_conf_int(&s, "claim_idle_ms", 1000, 86400000,
                                     60000);
    w->lock_ttl_ms = ctns_conf_int(&s, "lock_ttl_ms", 1000, 3600000, 30000);
    w->prefetch = (int) ctns_conf_int(&s, "prefetch", 1, 10000, 256);
    w->drain_timeout_ms = ctns_conf_int(&s, "drain_timeout_ms", 0, 3600000,
                                        30000);
    w->poll_ms = ctns_conf_int(&s, "poll_ms", 1, 10000, 100);
    w->max_deliveries = (int) ctns_conf_int(&s, "max_deliveries", 2, 1000,
                                            10);
}


static void
ctns_conf_log(ctns_conf_t *cf, const json_t *root, ctns_conf_errors_t *errs)
{
    char         level[16];
    ctns_sect_t  s;
    static const char  *known[] = { "level", "file", NULL };

    if (ctns_sect(&s, root, "log", 0, errs) == 0) {
        ctns_conf_unknown(&s, known);
    }

    ctns_conf_str(&s, "file", cf->log.file, sizeof(cf->log.file), 0, "");
    ctns_conf_str(&s, "level", level, sizeof(level), 0, "info");

    cf->log.level = ctns_log_level_parse(level);

    if (cf->log.level < 0) {
        ctns_conf_error(errs, "log.level",
                        "must be debug, info, warn or error");
        cf->log.level = CTNS_LOG_INFO;
    }
}


ctns_conf_t *
ctns_conf_load(const char *path, ctns_conf_errors_t *errs)
{
    const char    *key;
    json_t        *root, *v;
    json_error_t   jerr;
    ctns_conf_t   *cf;
    size_t         before;

    before = errs->n;

    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        ctns_conf_error(errs, "(file)", "%s: line %d column %d: %s", path,
                        jerr.line, jerr.column, jerr.text);
        return NULL;
    }

    if (!json_is_object(root)) {
        ctns_conf_error(errs, "(root)", "must be a JSON object");
        json_decref(root);
        return NULL;
    }

    cf = calloc(1, sizeof(ctns_conf_t));
    if (cf == NULL) {
        json_decref(root);
        return NULL;
    }

    cf->root = root;

    json_object_foreach(root, key, v) {
        if (!ctns_in_list(key, ctns_own_sections)
            && !ctns_in_list(key, ctns_map_sections)
            && !ctns_batch_conf_section(key))
        {
            ctns_conf_error(errs, key, "unknown section");
        }
    }

    ctns_conf_redis(cf, root, errs);
    ctns_conf_stream(cf, root, errs);
    ctns_conf_netsuite(cf, root, errs);
    ctns_conf_ct(cf, root, errs);
    ctns_conf_retry(cf, root, errs);
    ctns_conf_worker(cf, root, errs);
    ctns_conf_log(cf, root, errs);
    ctns_batch_conf_check(root, errs);

    if (errs->n != before) {
        ctns_conf_free(cf);
        return NULL;
    }

    return cf;
}


static void
ctns_free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}


void
ctns_conf_free(ctns_conf_t *cf)
{
    if (cf == NULL) {
        return;
    }

    ctns_free_secret(cf->redis.password);
    ctns_free_secret(cf->netsuite.consumer_key);
    ctns_free_secret(cf->netsuite.consumer_secret);
    ctns_free_secret(cf->netsuite.token_id);
    ctns_free_secret(cf->netsuite.token_secret);
    ctns_free_secret(cf->ct.client_secret);
    EVP_PKEY_free(cf->netsuite.pkey);
    json_decref(cf->root);
    free(cf);
}
