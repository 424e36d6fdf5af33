/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-keys --redis HOST:PORT|cluster=H:P,... [--redis-password-file PATH]
 *           [--prefix ctns] [--jwks-url URL]
 *           [--jwks-file PATH] [--sns-cert-dir DIR]
 *           [--sns-cert-base-url URL] [--sns-confirm-base-url URL]
 *           [--timeout SECONDS] [--once | --interval SECONDS]
 *
 * Exit codes: 0 all work done; 1 some work failed (it is retried by the
 * next run); 2 usage.  With --interval it runs until SIGTERM or SIGINT and
 * then exits 0.  The Redis password comes from --redis-password-file or
 * the environment variable CTNS_REDIS_PASSWORD, never from the command
 * line, which every user of the host can read in /proc.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "ctns_keys.h"


#define CTNS_KEYS_GOOGLE_JWKS  "https://www.googleapis.com/oauth2/v3/certs"
#define CTNS_KEYS_PASSWORD_MAX  512


/* one more than allowed, to tell a long line, and the terminating NUL */
static char  ctns_keys_password[CTNS_KEYS_PASSWORD_MAX + 2];


static volatile sig_atomic_t  ctns_keys_stop;


static void
ctns_keys_signal(int signo)
{
    ctns_keys_stop = 1;
}


static void
ctns_keys_usage(FILE *f)
{
    fprintf(f,
        "usage: ctns-keys --redis HOST:PORT|unix:PATH|cluster=H:P,H:P...\n"
        "                 [--prefix ctns]\n"
        "                 [--redis-password-file PATH]\n"
        "                 [--jwks-file PATH [--jwks-url URL]]\n"
        "                 [--sns-cert-dir DIR] [--sns-cert-base-url URL]\n"
        "                 [--sns-confirm-base-url URL] [--timeout SECONDS]\n"
        "                 [--once | --interval SECONDS]\n"
        "\n"
        "Downloads Google's JWKS into --jwks-file (default URL %s),\n"
        "SNS signing certificates listed in <prefix>:keys:wanted into\n"
        "--sns-cert-dir, and performs SNS subscription confirmations queued\n"
        "in <prefix>:control.  The base URLs are for tests: the checked\n"
        "URL's path is fetched from there instead.  The Redis password\n"
        "is the file's first line, or else $CTNS_REDIS_PASSWORD.\n",
        CTNS_KEYS_GOOGLE_JWKS);
}


static long
ctns_keys_seconds(const char *s, const char *opt)
{
    long   v;
    char  *end;

    errno = 0;
    v = strtol(s, &end, 10);

    if (errno != 0 || *end != '\0' || v < 1 || v > 86400) {
        fprintf(stderr, "ctns-keys: %s wants seconds (1..86400), not \"%s\"\n",
                opt, s);
        return -1;
    }

    return v;
}


/*
 * The password file's first line (a trailing newline is no part of it,
 * as `echo secret > file` writes one); the file is read once, at start.
 */

static char *
ctns_keys_password_file(const char *path)
{
    FILE    *f;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "ctns-keys: --redis-password-file %s: %s\n",
                path, strerror(errno));
        return NULL;
    }

    n = fread(ctns_keys_password, 1, sizeof(ctns_keys_password) - 1, f);
    fclose(f);

    ctns_keys_password[n] = '\0';
    n = strcspn(ctns_keys_password, "\r\n");
    ctns_keys_password[n] = '\0';

    if (n == 0 || n > CTNS_KEYS_PASSWORD_MAX) {
        fprintf(stderr, "ctns-keys: --redis-password-file %s: want one line "
                "of 1..%d characters\n", path, CTNS_KEYS_PASSWORD_MAX);
        return NULL;
    }

    return ctns_keys_password;
}


/* --redis: host:port (6379 without), unix:/path or cluster=a:p,b:p,... */

static int
ctns_keys_server(ctns_keys_conf_t *conf)
{
    int                 n;
    char               *colon;
    const char         *bad;
    ctns_conf_redis_t  *rc = &conf->server;

    rc->password = conf->redis_password;
    rc->timeout_ms = (int) conf->timeout * 1000;

    if (strncmp(conf->redis, "cluster=", 8) == 0) {
        n = ctns_cluster_seeds_parse(conf->redis + 8, rc->seeds,
                                     CTNS_REDIS_SEEDS_MAX, &bad);
        if (n < 0) {
            fprintf(stderr, "ctns-keys: --redis: \"%s\" is no numeric "
                    "host:port seed (at most %d)\n", bad,
                    CTNS_REDIS_SEEDS_MAX);
            return -1;
        }

        rc->nseeds = n;
        return 0;
    }

    snprintf(rc->host, sizeof(rc->host), "%s", conf->redis);

    if (strncmp(conf->redis, "unix:", 5) == 0) {
        return 0;
    }

    colon = strrchr(rc->host, ':');
    rc->port = colon ? atoi(colon + 1) : 6379;

    if (colon) {
        *colon = '\0';
    }

    return 0;
}


static int
ctns_keys_options(int argc, char **argv, ctns_keys_conf_t *conf)
{
    int          c, once;
    const char  *password_file;

    static const struct option  opts[] = {
        { "redis", required_argument, NULL, 'r' },
        { "redis-password-file", required_argument, NULL, 'P' },
        { "prefix", required_argument, NULL, 'p' },
        { "jwks-url", required_argument, NULL, 'u' },
        { "jwks-file", required_argument, NULL, 'f' },
        { "sns-cert-dir", required_argument, NULL, 'd' },
        { "sns-cert-base-url", required_argument, NULL, 'b' },
        { "sns-confirm-base-url", required_argument, NULL, 'c' },
        { "timeout", required_argument, NULL, 't' },
        { "interval", required_argument, NULL, 'i' },
        { "once", no_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(conf, 0, sizeof(ctns_keys_conf_t));
    conf->prefix = "ctns";
    conf->jwks_url = CTNS_KEYS_GOOGLE_JWKS;
    conf->timeout = 10;
    once = 0;
    password_file = NULL;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': conf->redis = optarg; break;
        case 'P': password_file = optarg; break;
        case 'p': conf->prefix = optarg; break;
        case 'u': conf->jwks_url = optarg; break;
        case 'f': conf->jwks_file = optarg; break;
        case 'd': conf->cert_dir = optarg; break;
        case 'b': conf->cert_base_url = optarg; break;
        case 'c': conf->confirm_base_url = optarg; break;
        case 'o': once = 1; break;

        case 't':
            conf->timeout = ctns_keys_seconds(optarg, "--timeout");
            if (conf->timeout < 0) {
                return -1;
            }
            break;

        case 'i':
            conf->interval = ctns_keys_seconds(optarg, "--interval");
            if (conf->interval < 0) {
                return -1;
            }
            break;

        case 'h':
            ctns_keys_usage(stdout);
            exit(0);

        default:
            return -1;
        }
    }

    if (optind != argc || (once && conf->interval) || conf->redis == NULL
        || conf->prefix[0] == '\0' || strlen(conf->prefix) > 64)
    {
        fprintf(stderr, "ctns-keys: %s\n",
                optind != argc ? "unexpected argument"
                : conf->redis == NULL ? "--redis is required"
                : conf->interval ? "--once and --interval exclude each other"
                : "--prefix must be 1..64 characters");
        return -1;
    }

    if (password_file) {
        conf->redis_password = ctns_keys_password_file(password_file);
        if (conf->redis_password == NULL) {
            return -1;
        }

    } else {
        conf->redis_password = getenv("CTNS_REDIS_PASSWORD");
        if (conf->redis_password && conf->redis_password[0] == '\0') {
            conf->redis_password = NULL;
        }
    }

    return ctns_keys_server(conf);
}


/* One pass over all the work; -1 when some of it must be retried. */

static int
ctns_keys_run(const ctns_keys_conf_t *conf)
{
    int           failed;
    ctns_redis_t  rc;

    failed = 0;

    if (conf->jwks_file && ctns_keys_jwks(conf) != 0) {
        failed = -1;
    }

    if (ctns_redis_open(&rc, &conf->server) != 0) {
        ctns_redis_close(&rc);
        return -1;
    }

    if (conf->cert_dir && ctns_keys_sns_certs(conf, &rc) != 0) {
        failed = -1;
    }

    if (ctns_keys_sns_confirm(conf, &rc) != 0) {
        failed = -1;
    }

    ctns_redis_close(&rc);

    return failed;
}


int
main(int argc, char **argv)
{
    int               failed;
    long              left;
    ctns_keys_conf_t  conf;
    struct sigaction  sa;

    if (ctns_keys_options(argc, argv, &conf) != 0) {
        ctns_keys_usage(stderr);
        return 2;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "ctns-keys: curl_global_init() failed\n");
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ctns_keys_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    ctns_keys_log("info", "started: redis %s%s, prefix %s, %s",
                  conf.redis, conf.redis_password ? " with AUTH" : "",
                  conf.prefix, conf.interval ? "looping" : "once");

    for ( ;; ) {
        failed = ctns_keys_run(&conf);

        if (conf.interval == 0) {
            break;
        }

        /* sleep in steps so that a signal ends the wait promptly */
        for (left = conf.interval * 10; left > 0 && !ctns_keys_stop; left--) {
            nanosleep(&(struct timespec) { 0, 100000000 }, NULL);
        }

        if (ctns_keys_stop) {
            failed = 0;
            break;
        }
    }

    curl_global_cleanup();

    ctns_keys_log("info", "done%s", failed ? ", some work failed" : "");

    return failed ? 1 : 0;
}
