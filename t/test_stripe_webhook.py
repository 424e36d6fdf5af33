"""Stripe payout webhooks through the real nginx into the real Redis.

ct_netsuite_auth stripe verifies Stripe-Signature and queues payout events
on ctns:{settlements}:events, deduplicated by the Stripe event id.
"""

import http.client
import json
import re
import time

import pytest

from harness.stripesim import (WHSEC, WHSEC2, payout_event, stripe_post,
                               stripe_seed, stripe_sign)
from harness.webhook import stream_entries

STREAM = "ctns:{settlements}:events"


@pytest.fixture
def edge(stripe_edge):
    return stripe_edge


send = stripe_post


def paid_event():
    return stripe_seed()["payout_paid_event"]


def test_payout_paid_enqueued_then_duplicate(edge, redis):
    ev = paid_event()
    st, _, body = send(edge, ev)
    assert st == 202, body
    entries = redis.xrange(STREAM)
    assert len(entries) == 1
    fields = entries[0][1]
    assert fields["id"] == ev["id"] and fields["type"] == "payout.paid"
    assert fields["src"] == "stripe"
    assert json.loads(fields["payload"]) == ev
    seen = "ctns:{settlements}:seen:" + ev["id"]
    assert redis.get(seen) == entries[0][0]
    assert 0 < redis.ttl(seen)
    # nothing went to the commercetools streams or the control stream
    assert stream_entries(redis) == []
    assert not redis.exists("ctns:control")

    st, _, body = send(edge, ev)
    assert st == 200 and body["result"] == "duplicate", body
    assert len(redis.xrange(STREAM)) == 1


def test_failed_and_canceled_are_queued(edge, redis):
    po = stripe_seed()["payouts"][0]["payout"]
    for i, kind in enumerate(("payout.failed", "payout.canceled")):
        st, _, body = send(edge, payout_event(kind, po, "evt_kind%d" % i))
        assert st == 202, body
    assert [e[1]["type"] for e in redis.xrange(STREAM)] == \
        ["payout.failed", "payout.canceled"]


@pytest.mark.parametrize("how", ["bad", "expired", "future", "missing",
                                 "v0-only", "garbled", "unknown-secret"])
def test_signature_failures_are_401(edge, redis, how):
    ev = paid_event()
    body = json.dumps(ev).encode()
    header = {
        "bad": stripe_sign(body + b" "),
        "expired": stripe_sign(body, t=int(time.time()) - 301),
        "future": stripe_sign(body, t=int(time.time()) + 301),
        "missing": False,
        "v0-only": stripe_sign(body).replace("v1=", "v0="),
        "garbled": "t=abc,v1=zz",
        "unknown-secret": stripe_sign(body, ("whsec_someoneelse",)),
    }[how]
    st, _, resp = send(edge, ev, header=header)
    assert st == 401, resp
    assert not redis.exists(STREAM)
    assert not redis.exists("ctns:{settlements}:seen:" + ev["id"])
    assert WHSEC not in edge.log()


def test_within_tolerance_and_rotation(edge, redis):
    ev = paid_event()
    # previous secret alone, just inside the 5 minute tolerance
    st, _, body = send(edge, ev, secrets=(WHSEC2,), t=int(time.time()) - 290)
    assert st == 202, body
    # Stripe signing with an unknown rolled secret and ours: any v1 matches
    ev2 = dict(ev, id="evt_rotation2")
    st, _, body = send(edge, ev2, secrets=("whsec_unknown", WHSEC))
    assert st == 202, body
    assert redis.xlen(STREAM) == 2


def test_other_event_types_ignored_and_non_events_refused(edge, redis):
    ev = dict(paid_event(), id="evt_charge1", type="charge.succeeded")
    st, _, body = send(edge, ev)
    assert st == 200 and body["result"] == "ignored", body
    st, _, body = send(edge, {"id": "nope", "type": "payout.paid"})
    assert st == 400, body
    assert not redis.exists(STREAM)


def test_signature_header_sent_twice(edge, redis):
    ev = paid_event()
    body = json.dumps(ev).encode()
    sig = stripe_sign(body)
    c = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=10)
    c.putrequest("POST", "/stripe")
    c.putheader("Content-Type", "application/json")
    c.putheader("Content-Length", str(len(body)))
    c.putheader("Stripe-Signature", sig)
    c.putheader("Stripe-Signature", sig)
    c.endheaders()
    c.send(body)
    assert c.getresponse().status == 401
    c.close()


@pytest.mark.parametrize("args,error", [
    ("", "needs at least one secret_file= or secret="),
    ("secret=x tolerance=0", "invalid tolerance"),
    ("secret=x bogus=1", "invalid ct_netsuite_auth stripe parameter"),
])
def test_config_errors(nginx_factory, redis_server, args, error):
    n = nginx_factory(http="ct_netsuite_redis %s;" % redis_server.address,
                      server="location /s { ct_netsuite_webhook; "
                             "ct_netsuite_auth stripe %s; }" % args)
    n.allow.append(re.compile(r"\[emerg\]"))
    rc, out = n.test_config()
    assert rc != 0 and error in out, out
