/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker: posts what the nginx module enqueued to NetSuite.
 *
 *   ctns-worker run          [-c FILE] [--log-level L] [--consumer NAME]
 *   ctns-worker check-config [-c FILE]
 *   ctns-worker replay       [-c FILE] (--all | DLQ-ID...)
 *   ctns-worker status       [-c FILE] ORDER-ID | ORDER-NUMBER
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "ctns_batch.h"
#include "ctns_cmd.h"
#include "ctns_conf.h"
#include "ctns_engine.h"
#include "ctns_log.h"
#include "ctns_map.h"


typedef struct {
    const char   *command;
    const char   *config;
    const char   *log_level;
    const char   *consumer;
    int           all;
    char        **args;
    int           nargs;
} ctns_opts_t;


static void
ctns_usage(FILE *out)
{
    fprintf(out,
        "usage: ctns-worker COMMAND [options]\n"
        "\n"
        "commands:\n"
        "  run            post queued events to NetSuite until SIGTERM\n"
        "  check-config   validate the configuration, print every error\n"
        "  replay         re-enqueue dead letters: --all or DLQ-ID...\n"
        "  status         status and audit trail of ORDER-ID or number\n"
        "  import-settlement, settlements, payouts, sync, reconcile\n"
        "                 batch commands (docs/settlements.md, "
        "docs/sync-and-reconcile.md)\n"
        "  version        print the version\n"
        "\n"
        "options:\n"
        "  -c, --config FILE    configuration (default $CTNS_CONFIG or "
        "ctns.json)\n"
        "  --log-level LEVEL    debug, info, warn, error (run)\n"
        "  --consumer NAME      consumer name in the group (run; default\n"
        "                       host-pid-random, unique per process)\n"
        "  --all                replay every dead letter\n");
}


static int
ctns_parse_args(int argc, char **argv, ctns_opts_t *o)
{
    int  i;

    memset(o, 0, sizeof(ctns_opts_t));

    o->config = getenv("CTNS_CONFIG") ? getenv("CTNS_CONFIG") : "ctns.json";

    if (argc < 2) {
        return -1;
    }

    o->command = argv[1];
    o->args = calloc(argc, sizeof(char *));
    if (o->args == NULL) {
        return -1;
    }

    for (i = 2; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
            && i + 1 < argc)
        {
            o->config = argv[++i];

        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            o->log_level = argv[++i];

        } else if (strcmp(argv[i], "--consumer") == 0 && i + 1 < argc) {
            o->consumer = argv[++i];

        } else if (strcmp(argv[i], "--all") == 0) {
            o->all = 1;

        } else if (argv[i][0] == '-') {
            fprintf(stderr, "ctns-worker: unknown option %s\n", argv[i]);
            return -1;

        } else {
            o->args[o->nargs++] = argv[i];
        }
    }

    return 0;
}


/* The whole configuration, own sections and mapping; NULL after errors. */

static ctns_conf_t *
ctns_load(const char *path, ctns_map_conf_t **map)
{
    json_t              *root;
    json_error_t         jerr;
    ctns_conf_t         *conf;
    ctns_conf_errors_t   errs;

    memset(&errs, 0, sizeof(errs));
    *map = NULL;

    conf = ctns_conf_load(path, &errs);

    /* the mapping's errors are reported too, even when ours failed */
    root = conf ? json_incref(conf->root) : json_load_file(path, 0, &jerr);

    if (json_is_object(root)) {
        *map = ctns_map_conf_load(root, &errs);
    }

    json_decref(root);

    if (conf == NULL || *map == NULL) {
        ctns_conf_errors_print(&errs, stderr);
        fprintf(stderr, "%s: %zu configuration error%s\n", path, errs.n,
                errs.n == 1 ? "" : "s");
        ctns_conf_errors_free(&errs);
        ctns_map_conf_free(*map);
        *map = NULL;
        ctns_conf_free(conf);
        return NULL;
    }

    ctns_conf_errors_free(&errs);

    return conf;
}


static void
ctns_consumer_name(const ctns_conf_t *conf, const char *opt, char *name,
    size_t len)
{
    char            host[64];
    unsigned char   rnd[3];

    if (opt) {
        snprintf(name, len, "%s", opt);
        return;
    }

    if (conf->worker.consumer[0]) {
        snprintf(name, len, "%s-%ld", conf->worker.consumer, (long) getpid());
        return;
    }

    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "worker");
    }

    host[sizeof(host) - 1] = '\0';
    RAND_bytes(rnd, sizeof(rnd));

    snprintf(name, len, "%s-%ld-%02x%02x%02x", host, (long) getpid(), rnd[0],
             rnd[1], rnd[2]);
}


static int
ctns_run(const ctns_opts_t *o, ctns_conf_t *conf, ctns_map_conf_t *map)
{
    int   level, rc;
    char  consumer[192];

    level = o->log_level ? ctns_log_level_parse(o->log_level)
                         : conf->log.level;

    if (level < 0) {
        fprintf(stderr, "ctns-worker: --log-level must be debug, info, warn "
                "or error\n");
        return 2;
    }

    ctns_log_level = level;

    if (ctns_log_open(conf->log.file) != 0) {
        fprintf(stderr, "ctns-worker: cannot open log file %s\n",
                conf->log.file);
        return 1;
    }

    ctns_consumer_name(conf, o->consumer, consumer, sizeof(consumer));
    ctns_engine_signals();

    rc = ctns_engine_run(conf, map, consumer);

    return rc == 0 ? 0 : 1;
}


/* The command of o; returns the exit status. */

static int
ctns_command(const ctns_opts_t *o)
{
    int               rc;
    ctns_conf_t      *conf;
    ctns_map_conf_t  *map;

    if (strcmp(o->command, "version") == 0) {
        printf("ctns-worker %s\n", CTNS_VERSION);
        return 0;
    }

    if (strcmp(o->command, "help") == 0 || strcmp(o->command, "--help") == 0)
    {
        ctns_usage(stdout);
        return 0;
    }

    if (strcmp(o->command, "run") && strcmp(o->command, "check-config")
        && strcmp(o->command, "replay") && strcmp(o->command, "status"))
    {
        fprintf(stderr, "ctns-worker: unknown command \"%s\"\n", o->command);
        ctns_usage(stderr);
        return 2;
    }

    /* replay takes exactly one of --all and dead-letter ids */
    if ((strcmp(o->command, "replay") == 0 && !o->all == !o->nargs)
        || (strcmp(o->command, "status") == 0 && o->nargs != 1))
    {
        ctns_usage(stderr);
        return 2;
    }

    conf = ctns_load(o->config, &map);
    if (conf == NULL) {
        return 1;
    }

    if (strcmp(o->command, "check-config") == 0) {
        printf("%s: configuration ok\n", o->config);
        rc = 0;

    } else if (strcmp(o->command, "run") == 0) {
        rc = ctns_run(o, conf, map);

    } else if (strcmp(o->command, "replay") == 0) {
        rc = ctns_cmd_replay(conf, o->all, o->args, o->nargs);

    } else {
        rc = ctns_cmd_status(conf, o->args[0]);
    }

    ctns_map_conf_free(map);
    ctns_conf_free(conf);

    return rc;
}


int
main(int argc, char **argv)
{
    int          rc;
    ctns_opts_t  o;

    if (argc > 1 && ctns_batch_command(argv[1])) {
        return ctns_batch_main(argc, argv);
    }

    if (ctns_parse_args(argc, argv, &o) != 0) {
        free(o.args);
        ctns_usage(stderr);
        return 2;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);

    rc = ctns_command(&o);

    curl_global_cleanup();
    free(o.args);

    return rc;
}
