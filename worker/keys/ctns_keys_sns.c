/*
 * Copyright (C) ct-netsuite authors
 *
 * SNS for ctns-keys: signing certificates the module met but had not
 * cached (set <prefix>:keys:wanted) and subscription confirmations it
 * queued (stream <prefix>:control, consumer group ctns-keys).  Every URL
 * passes the module's own host rules first; a test base URL only changes
 * where the checked URL's path is fetched from.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctns_keys.h"
#include "ctns_sns.h"


#define CTNS_KEYS_BATCH      100
#define CTNS_KEYS_CERT_MAX   (16 * 1024)
#define CTNS_KEYS_REPLY_MAX  (64 * 1024)


/* A GET of a checked URL: 2xx done, 5xx or no answer retried, else refused */

static ctns_keys_rc_t
ctns_keys_get_checked(const ctns_keys_conf_t *conf, const char *base,
    const char *url, const ctns_sns_url_t *parts, size_t max, char **body,
    size_t *len, const char *what)
{
    long     status;
    char    *fetch, errbuf[256];

    fetch = ctns_keys_fetch_url(base, url, parts->path, parts->path_len);
    if (fetch == NULL) {
        ctns_keys_log("error", "%s: out of memory", what);
        return CTNS_KEYS_RETRY;
    }

    status = ctns_keys_http_get(fetch, conf->timeout, max, body, len,
                                errbuf, sizeof(errbuf));
    free(fetch);

    if (status >= 200 && status < 300) {
        return CTNS_KEYS_DONE;
    }

    free(*body);
    *body = NULL;

    if (status < 0) {
        ctns_keys_log("error", "%s: %s, will retry", what, errbuf);
        return CTNS_KEYS_RETRY;
    }

    ctns_keys_log("error", "%s: HTTP %ld%s", what, status,
                  status >= 500 ? ", will retry" : ", dropped");

    return status >= 500 ? CTNS_KEYS_RETRY : CTNS_KEYS_REFUSED;
}


static ctns_keys_rc_t
ctns_keys_cert(const ctns_keys_conf_t *conf, const char *url, size_t len)
{
    char               name[CTNS_SNS_CERT_NAME_LEN], path[4096], *pem;
    size_t             pem_len;
    EVP_PKEY          *key;
    ctns_sns_url_t     parts;
    ctns_keys_rc_t     rc;
    ctns_verify_err_t  err;

    if (ctns_sns_url_check(url, len, CTNS_SNS_URL_CERT, &parts, &err)
        != CTNS_VERIFY_OK)
    {
        ctns_keys_log("error", "sns cert: refused: %s", err.reason);
        return CTNS_KEYS_REFUSED;
    }

    ctns_sns_cert_file_name(url, len, name);
    snprintf(path, sizeof(path), "%s/%s", conf->cert_dir, name);

    if (access(path, F_OK) == 0) {
        ctns_keys_log("info", "sns cert: %.*s already cached as %s",
                      (int) len, url, path);
        return CTNS_KEYS_DONE;
    }

    rc = ctns_keys_get_checked(conf, conf->cert_base_url, url, &parts,
                               CTNS_KEYS_CERT_MAX, &pem, &pem_len,
                               "sns cert: GET");
    if (rc != CTNS_KEYS_DONE) {
        return rc;
    }

    if (ctns_sns_cert_key(pem, pem_len, time(NULL), &key, NULL, &err)
        != CTNS_VERIFY_OK)
    {
        ctns_keys_log("error", "sns cert: %.*s refused: %s", (int) len, url,
                      err.reason);
        free(pem);
        return CTNS_KEYS_REFUSED;
    }

    EVP_PKEY_free(key);

    if (ctns_keys_write_file(path, pem, pem_len) != 0) {
        ctns_keys_log("error", "sns cert: cannot write %s: %s", path,
                      strerror(errno));
        free(pem);
        return CTNS_KEYS_RETRY;
    }

    ctns_keys_log("info", "sns cert: %.*s cached as %s", (int) len, url,
                  path);
    free(pem);

    return CTNS_KEYS_DONE;
}


int
ctns_keys_sns_certs(const ctns_keys_conf_t *conf, ctns_redis_t *rc)
{
    int          failed;
    char         key[256];
    size_t       i;
    ctns_cmd_t   c;
    redisReply  *r, *e;

    snprintf(key, sizeof(key), "%s:keys:wanted", conf->prefix);

    memset(&c, 0, sizeof(c));
    ctns_cmd_strs(&c, "SPOP", key, NULL);
    ctns_cmd_fmt(&c, "%d", CTNS_KEYS_BATCH);

    r = ctns_redis_cmd(rc, &c);
    ctns_cmd_free(&c);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        ctns_keys_log("error", "sns cert: SPOP %s: %s", key,
                      r ? (r->str ? r->str : "unexpected reply") : rc->err);
        freeReplyObject(r);
        return -1;
    }

    failed = 0;

    for (i = 0; i < r->elements; i++) {
        e = r->element[i];

        if (ctns_keys_cert(conf, e->str, e->len) != CTNS_KEYS_RETRY) {
            continue;
        }

        failed++;

        /* back into the set for the next run */
        memset(&c, 0, sizeof(c));
        ctns_cmd_strs(&c, "SADD", key, NULL);
        ctns_cmd_add(&c, e->str, e->len);
        freeReplyObject(ctns_redis_cmd(rc, &c));
        ctns_cmd_free(&c);
    }

    freeReplyObject(r);

    return failed ? -1 : 0;
}


/* --- confirmations -------------------------------------------------------- */


static ctns_keys_rc_t
ctns_keys_confirm(const ctns_keys_conf_t *conf, const char *payload,
    size_t len)
{
    char               *body;
    size_t              body_len;
    ctns_sns_url_t      parts;
    ctns_sns_msg_t     *m;
    ctns_keys_rc_t      rc;
    ctns_verify_err_t   err;

    if (ctns_sns_parse(payload, len, &m, &err) != CTNS_VERIFY_OK
        || m->type != CTNS_SNS_SUBSCRIPTION_CONFIRMATION)
    {
        ctns_keys_log("error", "sns confirm: payload refused: %s",
                      m ? "not a SubscriptionConfirmation" : err.reason);
        ctns_sns_free(m);
        return CTNS_KEYS_REFUSED;
    }

    /* the URL carries the confirmation token: log the topic only */
    if (ctns_sns_url_check(m->subscribe_url, strlen(m->subscribe_url),
                           CTNS_SNS_URL_SUBSCRIBE, &parts, &err)
        != CTNS_VERIFY_OK)
    {
        ctns_keys_log("error", "sns confirm: %s: SubscribeURL refused: %s",
                      m->topic_arn, err.reason);
        ctns_sns_free(m);
        return CTNS_KEYS_REFUSED;
    }

    rc = ctns_keys_get_checked(conf, conf->confirm_base_url, m->subscribe_url,
                               &parts, CTNS_KEYS_REPLY_MAX, &body, &body_len,
                               "sns confirm: GET SubscribeURL");
    if (rc == CTNS_KEYS_DONE) {
        ctns_keys_log("info", "sns confirm: subscription to %s confirmed",
                      m->topic_arn);
        free(body);
    }

    ctns_sns_free(m);

    return rc;
}


/* One entry of the control stream: fields type and payload. */

static ctns_keys_rc_t
ctns_keys_control_entry(const ctns_keys_conf_t *conf, redisReply *fields)
{
    size_t       i;
    redisReply  *type, *payload;

    type = NULL;
    payload = NULL;

    for (i = 0; i + 1 < fields->elements; i += 2) {
        if (strcmp(fields->element[i]->str, "type") == 0) {
            type = fields->element[i + 1];

        } else if (strcmp(fields->element[i]->str, "payload") == 0) {
            payload = fields->element[i + 1];
        }
    }

    if (type == NULL || strcmp(type->str, "SubscriptionConfirmation") != 0) {
        if (type != NULL && strcmp(type->str, "UnsubscribeConfirmation") == 0)
        {
            /* re-subscribing by a GET is not ours to decide: say it loudly */
            ctns_keys_log("warn", "sns: an UnsubscribeConfirmation was "
                          "received: deliveries of that topic have stopped");
        }

        /* other control requests are for ctns-worker */
        return CTNS_KEYS_DONE;
    }

    if (payload == NULL) {
        ctns_keys_log("error", "sns confirm: entry without payload");
        return CTNS_KEYS_REFUSED;
    }

    return ctns_keys_confirm(conf, payload->str, payload->len);
}


static int
ctns_keys_control_take(void *data, const char *id, redisReply *fields)
{
    /* a pending entry deleted meanwhile: nothing left to confirm */
    if (fields == NULL) {
        return 0;
    }

    return ctns_keys_control_entry(data, fields) == CTNS_KEYS_RETRY ? -1 : 0;
}


/* Reads up to a batch from id ("0": our pending retries, ">": new). */

static int
ctns_keys_control_read(const ctns_keys_conf_t *conf, ctns_redis_t *rc,
    const char *stream, const char *consumer, const char *id, size_t *n)
{
    int  got, kept;

    got = ctns_redis_consume(rc, stream, CTNS_KEYS_GROUP, consumer,
                             CTNS_KEYS_BATCH, id, ctns_keys_control_take,
                             (void *) conf, &kept);

    if (got < 0) {
        ctns_keys_log("error", "sns confirm: XREADGROUP %s: %s", stream,
                      rc->err);
        *n = 0;
        return -1;
    }

    *n = got;

    return kept ? -1 : 0;
}


int
ctns_keys_sns_confirm(const ctns_keys_conf_t *conf, ctns_redis_t *rc)
{
    int          failed;
    char         stream[256], consumer[128], host[64];
    size_t       n;

    snprintf(stream, sizeof(stream), "%s:control", conf->prefix);

    if (ctns_redis_group(rc, stream, CTNS_KEYS_GROUP) != 0) {
        ctns_keys_log("error", "sns confirm: XGROUP CREATE %s: %s", stream,
                      rc->err);
        return -1;
    }

    /* one consumer per host: a restart finds its own pending retries */
    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "localhost");
    }
    host[sizeof(host) - 1] = '\0';
    snprintf(consumer, sizeof(consumer), "ctns-keys@%s", host);

    failed = ctns_keys_control_read(conf, rc, stream, consumer, "0", &n);

    do {
        failed |= ctns_keys_control_read(conf, rc, stream, consumer, ">", &n);
    } while (n == CTNS_KEYS_BATCH);

    return failed ? -1 : 0;
}
