/*
 * Copyright (C) ct-netsuite authors
 */


#include <string.h>

#include "ctns_keys_schema.h"
#include "ctns_nsstats.h"


#define CTNS_NSSTATS_FLUSH_MS  1000
#define CTNS_NSSTATS_TTL_S     7200


static const char  *ctns_nsstats_names[CTNS_NSSTATS_FIELDS] = {
    "2xx", "3xx", "4xx", "429", "5xx", "error"
};


/* The index into ctns_nsstats_names of an answer's status (0: none). */

static int
ctns_nsstats_field(long status)
{
    if (status == 429) {
        return 3;
    }

    switch (status / 100) {
    case 2:
        return 0;
    case 3:
        return 1;
    case 4:
        return 2;
    case 5:
        return 4;
    default:
        return 5;
    }
}


void
ctns_nsstats_count(ctns_nsstats_t *s, ctns_store_t *st, long status,
    int64_t now_ms)
{
    /* a new minute: the last one's counts go to their own hash first */
    if (now_ms / 60000 != s->minute) {
        ctns_nsstats_flush(s, st, now_ms, 1);
        s->minute = now_ms / 60000;
    }

    s->counts[ctns_nsstats_field(status)]++;
}


/*
 * The counts go out even when Redis refuses them (and are lost then, as
 * the store logs): a dashboard's numbers are not worth a backlog.
 */

void
ctns_nsstats_flush(ctns_nsstats_t *s, ctns_store_t *st, int64_t now_ms,
    int force)
{
    int          i, n;
    ctns_cmd_t   cmds[CTNS_NSSTATS_FIELDS + 1];
    const char  *prefix;

    if (!force && now_ms < s->next_flush_ms) {
        return;
    }

    s->next_flush_ms = now_ms + CTNS_NSSTATS_FLUSH_MS;
    prefix = st->conf->stream.prefix;

    memset(cmds, 0, sizeof(cmds));
    n = 0;

    for (i = 0; i < CTNS_NSSTATS_FIELDS; i++) {
        if (s->counts[i] == 0) {
            continue;
        }

        ctns_cmd_str(&cmds[n], "HINCRBY");
        ctns_cmd_fmt(&cmds[n], CTNS_KEY_STATS_NETSUITE, prefix,
                     (long long) s->minute);
        ctns_cmd_str(&cmds[n], ctns_nsstats_names[i]);
        ctns_cmd_fmt(&cmds[n], "%lld", (long long) s->counts[i]);
        n++;

        s->counts[i] = 0;
    }

    if (n == 0) {
        return;
    }

    ctns_cmd_str(&cmds[n], "EXPIRE");
    ctns_cmd_fmt(&cmds[n], CTNS_KEY_STATS_NETSUITE, prefix,
                 (long long) s->minute);
    ctns_cmd_fmt(&cmds[n], "%d", CTNS_NSSTATS_TTL_S);
    n++;

    ctns_store_pipeline(st, cmds, n);

    for (i = 0; i < n; i++) {
        ctns_cmd_free(&cmds[i]);
    }
}
