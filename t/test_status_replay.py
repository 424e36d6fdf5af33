"""The status location's replay endpoint and the views the dashboard reads.

POST <loc>/dlq/<id>/replay queues a replay request on ctns:control for
ctns-worker (docs/status.md, "Replaying a dead letter"); GET <loc>/dlq,
<loc>/psp/<reference>, <loc>/reconcile, <loc>/history and <loc>/netsuite
are read-only.
Real nginx with the module, real Redis, and for the end-to-end case the
real worker against the NetSuite simulator.
"""

import json
import time
import uuid

import pytest

from harness.common import wait_until
from harness.status import get, start_status
from harness.webhook import deliver, order_created, post
from harness.worker import audit, dlq, event_from_file, status

REPLAY = {"X-CTNS-Request": "replay"}
BASIC = "Basic c3VwcG9ydDpsZXRtZWlu"            # support:letmein


def start(nginx_factory, redis_server, auth=None, **kw):
    """start_status(), then wait until nginx's Redis connection is up."""
    n = start_status(nginx_factory, redis_server, **kw)
    headers = {"Authorization": auth} if auth else {}
    wait_until(lambda: get(n.port, "/ct/status/dlq", headers)[0] == 200,
               timeout=10, what="redis ready")
    return n


def dead_letter(redis, oid=None, **extra):
    """A dead-letter entry shaped like the worker's; returns its id."""
    oid = oid or str(uuid.uuid4())
    fields = {"id": str(uuid.uuid4()), "type": "OrderCreated",
              "resource": "order/" + oid, "rv": "1", "seq": "1",
              "project": "p", "store": "", "at": "2026-11-27T10:00:00.000Z",
              "src": "hmac", "rx": "1795773600000", "payload": "{}",
              "error": json.dumps({"http": 400, "code": "USER_ERROR",
                                   "detail": "Invalid Field Value"}),
              "http": "400", "code": "USER_ERROR",
              "detail": "Invalid Field Value SKU-X for field item.",
              "path": "item.items[0].item", "attempts": "1",
              "first_failure": "1795773600000",
              "last_failure": "1795773601000",
              "stream": "ctns:{3}:events", "entry": "1795773599000-0"}
    fields.update(extra)
    return redis.xadd("ctns:dlq", fields)


def replay(n, dlq_id, headers=None, method="POST", body=None):
    return post(n.port, "/ct/status/dlq/%s/replay" % dlq_id, body,
                dict(REPLAY, **(headers or {})), method=method)


def control(redis):
    return [f for _, f in redis.xrange("ctns:control")]


def test_replay_queues_a_control_request(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    dlq_id = dead_letter(redis)

    st, hdrs, body = replay(n, dlq_id)
    assert st == 202, body
    assert hdrs["content-type"] == "application/json"
    assert body["result"] == "queued" and body["id"] == dlq_id
    assert body["requested_by"] == "anonymous@127.0.0.1"

    (req,) = control(redis)
    assert req["type"] == "replay" and req["dlq_id"] == dlq_id
    assert req["requested_by"] == "anonymous@127.0.0.1"
    assert abs(int(req["at"]) - int(dlq_id.split("-")[0])) < 60000
    assert redis.xrange("ctns:control")[0][0] == body["control"]
    # the module only asks: the dead letter is still there
    assert len(dlq(redis)) == 1


def test_unknown_dead_letter_is_404(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    dead_letter(redis)

    st, hdrs, body = replay(n, "1-0")
    assert st == 404 and body["result"] == "not_found"
    assert body["id"] == "1-0" and body["error"] == "no such dead letter"
    assert hdrs["cache-control"] == "no-store"
    assert control(redis) == []


@pytest.mark.parametrize("bad", [
    "abc", "1", "1-", "-1", "1-2-3", "1.5-0", "1-0x", "0x1-0",
    "1" * 21 + "-0", "1-" + "1" * 21, "1-%2F0", "%2B1-0", "1-0%20",
])
def test_malformed_dead_letter_ids(nginx_factory, redis_server, redis, bad):
    n = start(nginx_factory, redis_server)
    st, _, body = replay(n, bad)
    assert st == 400 and body["error"] == "invalid dead letter id", bad
    assert control(redis) == []


def test_replay_is_post_only(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    dlq_id = dead_letter(redis)
    for method in ("GET", "PUT", "DELETE"):
        st, hdrs, body = replay(n, dlq_id, method=method)
        assert st == 405 and hdrs["allow"] == "POST", method
    # and the read-only views refuse POST
    st, hdrs, _ = post(n.port, "/ct/status/dlq", b"", REPLAY)
    assert st == 405 and hdrs["allow"] == "GET, HEAD"
    assert control(redis) == []


def test_csrf(nginx_factory, redis_server, redis):
    """A cross-site form post is refused, whatever credentials it carries."""
    n = start(nginx_factory, redis_server, auth=BASIC,
              status_extra="auth_basic ops; "
                           "auth_basic_user_file htpasswd;")
    dlq_id = dead_letter(redis)
    basic = {"Authorization": BASIC}
    path = "/ct/status/dlq/%s/replay" % dlq_id

    # what a form on another site makes a browser send (cached Basic auth)
    form = dict(basic, **{"Content-Type": "application/x-www-form-urlencoded",
                          "Origin": "http://evil.example",
                          "Sec-Fetch-Site": "cross-site"})
    st, _, body = post(n.port, path, b"x=1", form)
    assert st == 403 and "X-CTNS-Request" in body["error"]

    # the header alone does not help another origin
    st, _, body = post(n.port, path, b"", dict(basic, **REPLAY,
                                               Origin="http://evil.example"))
    assert st == 403 and body["error"] == "cross-site request refused"
    st, _, body = post(n.port, path, b"", dict(basic, **REPLAY,
                                               Origin="null"))
    assert st == 403
    st, _, body = post(n.port, path, b"", dict(
        basic, **REPLAY, **{"Sec-Fetch-Site": "cross-site"}))
    assert st == 403
    st, _, body = post(n.port, path, b"", dict(basic, **{
        "X-CTNS-Request": "other"}))
    assert st == 403
    assert control(redis) == []

    # the dashboard: same origin, the header, Basic credentials
    st, _, body = post(n.port, path, b"", dict(
        basic, **REPLAY, Origin="http://127.0.0.1:%d" % n.port,
        **{"Sec-Fetch-Site": "same-origin"}))
    assert st == 202, body
    assert body["requested_by"] == "support@127.0.0.1"

    # nginx's own auth_basic comes first
    st, _, _ = post(n.port, path, b"", REPLAY)
    assert st == 401
    assert len(control(redis)) == 1


def test_bearer_token(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server, auth="Bearer s3cret-file",
              status_extra="ct_netsuite_status_token "
                           "file=keys/status.token;")
    dlq_id = dead_letter(redis)

    st, hdrs, body = replay(n, dlq_id)
    assert st == 401 and body["result"] == "unauthorized"
    assert hdrs["www-authenticate"] == 'Bearer realm="ct_netsuite"'

    st, hdrs, _ = replay(n, dlq_id, {"Authorization": "Bearer nope"})
    assert st == 401 and "invalid_token" in hdrs["www-authenticate"]

    # the token is checked before the id: strangers learn nothing
    st, _, _ = replay(n, "not-an-id", {"Authorization": "Bearer nope"})
    assert st == 401
    assert control(redis) == []

    st, _, body = replay(n, dlq_id, {"Authorization": "Bearer s3cret-file"})
    assert st == 202 and body["requested_by"] == "bearer@127.0.0.1"
    assert "s3cret" not in n.log()
    assert len(control(redis)) == 1


def test_redis_down_is_503(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    dlq_id = dead_letter(redis)
    redis_server.stop()
    try:
        st, hdrs, body = replay(n, dlq_id)
        assert st == 503 and hdrs["retry-after"] == "5"
    finally:
        redis_server.start()
    wait_until(lambda: replay(n, "1-0")[0] == 404, timeout=15,
               what="reconnected")


def test_dlq_view(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    st, _, empty = get(n.port, "/ct/status/dlq")
    assert st == 200 and empty == {"length": 0, "retrying": 0,
                                   "entries": []}

    first = dead_letter(redis)
    second = dead_letter(redis, code="INVALID_KEY_OR_REF")
    redis.zadd("ctns:retry", {"a": 1, "b": 2, "c": 3})

    st, hdrs, view = get(n.port, "/ct/status/dlq")
    assert st == 200 and hdrs["cache-control"] == "no-cache"
    assert view["length"] == 2 and view["retrying"] == 3
    assert [e["dlq_id"] for e in view["entries"]] == [second, first]
    # the id the event had in its shard stream stays what it was
    assert view["entries"][0]["entry"] == "1795773599000-0"
    e = view["entries"][1]
    assert e["http"] == 400 and e["attempts"] == 1
    assert e["first_failure"] == 1795773600000
    assert e["error"]["code"] == "USER_ERROR"
    assert e["resource"].startswith("order/")
    assert "payload" not in e


def test_retrying_view(nginx_factory, redis_server, redis):
    """Events waiting for another attempt, by NetSuite's last answer."""
    n = start(nginx_factory, redis_server)
    st, _, empty = get(n.port, "/ct/status/retrying")
    assert st == 200 and empty == {"length": 0, "sampled": 0, "by_http": {}}

    answers = [429, 429, 503, None, 429]
    for i, http in enumerate(answers):
        mid = str(uuid.uuid4())
        member = {"shard": 1, "entry": "%d-0" % i, "attempts": 2,
                  "first_fail": 1, "fields": {"id": mid,
                                              "resource": "order/x"}}
        redis.zadd("ctns:retry", {json.dumps(member): 1000 + i})
        if http is not None:
            redis.hset("ctns:status:event:" + mid, mapping={
                "state": "retrying", "last_error": json.dumps(
                    {"http": http, "code": "CONCURRENCY_LIMIT_EXCEEDED"})})
    # a member the worker would not write is counted, not looked up
    redis.zadd("ctns:retry", {"not json": 2000})

    st, _, view = get(n.port, "/ct/status/retrying")
    assert st == 200 and view["length"] == 6
    assert view["sampled"] == 5
    assert view["by_http"] == {"429": 3, "503": 1, "0": 1}


def test_netsuite_view_counts_answers_per_minute(nginx_factory, redis_server,
                                                redis):
    """The workers' counts of NetSuite's answers (ctns:stats:netsuite:
    <minute>) over the last hour, laid out like the history view."""
    n = start(nginx_factory, redis_server)
    now = int(time.time()) // 60
    redis.hset("ctns:stats:netsuite:%d" % now,
               mapping={"2xx": 40, "429": 7, "error": 1})
    redis.hset("ctns:stats:netsuite:%d" % (now - 5), mapping={"5xx": 2})
    redis.hset("ctns:stats:netsuite:%d" % (now - 60), mapping={"2xx": 9})

    st, _, view = get(n.port, "/ct/status/netsuite")
    assert st == 200 and len(view["minutes"]) == 60
    times = [m["at_ms"] for m in view["minutes"]]
    assert times == sorted(times) and times[-1] - times[0] == 59 * 60000
    by_minute = {m["at_ms"] // 60000: m["answers"] for m in view["minutes"]}
    assert by_minute[now - 5] == {"5xx": 2}
    assert sum(m["answers"].get("429", 0) for m in view["minutes"]) == 7
    assert sum(m["answers"].get("2xx", 0) for m in view["minutes"]) == 40
    assert sum(1 for m in view["minutes"] if m["answers"]) == 2
    assert view["minutes"][0]["at"].endswith(":00.000Z")

    redis_server.stop()
    try:
        st, _, _ = get(n.port, "/ct/status/netsuite")
        assert st == 503
    finally:
        redis_server.start()
    wait_until(lambda: get(n.port, "/ct/status/netsuite")[0] == 200,
               timeout=15, what="reconnected")


def test_psp_and_reconcile_views(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    oid = str(uuid.uuid4())
    redis.set("ctns:idx:psp:8815830153220001", json.dumps({
        "type": "customerPayment", "externalId": "ct-pay-t1",
        "orderId": oid, "paymentId": str(uuid.uuid4()),
        "transactionId": "t1", "amount": 12345, "currency": "EUR",
        "fractionDigits": 2}))

    st, _, psp = get(n.port, "/ct/status/psp/8815830153220001")
    assert st == 200 and psp["orderId"] == oid and psp["amount"] == 12345
    st, _, body = get(n.port, "/ct/status/psp/8815830153229999")
    assert st == 404 and body["id"] == "8815830153229999"
    st, _, _ = get(n.port, "/ct/status/psp/bad%20ref")
    assert st == 400

    st, _, body = get(n.port, "/ct/status/reconcile")
    assert st == 404 and body["error"] == "no reconciliation run yet"
    summary = {"from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z",
               "orders": 120, "missing": 1, "extra": 0, "mismatch": 0,
               "dead": 1}
    redis.set("ctns:reconcile:last", json.dumps(summary))
    st, _, body = get(n.port, "/ct/status/reconcile")
    assert st == 200 and body == summary

    redis.set("ctns:reconcile:last", "not json")
    st, _, _ = get(n.port, "/ct/status/reconcile")
    assert st == 500
    assert "ctns:reconcile:last" not in n.log()     # prefix-relative
    assert "reconcile:last holds no JSON object" in n.log()


def test_history_counts_deliveries_per_minute(nginx_factory, redis_server,
                                              redis):
    n = start(nginx_factory, redis_server)
    wait_until(lambda: deliver(n.port, order_created())[0] == 202,
               timeout=10, what="redis ready")
    deliver(n.port, order_created())
    st, _, _ = post(n.port, "/ct", b"{", {"Content-Type":
                                          "application/json"})
    assert st == 400

    st, _, h = get(n.port, "/ct/status/history")
    assert st == 200 and len(h["minutes"]) == 60
    times = [m["at_ms"] for m in h["minutes"]]
    assert times == sorted(times) and times[-1] - times[0] == 59 * 60000
    total = {}
    for m in h["minutes"]:
        for res, count in m["deliveries"].get("none", {}).items():
            total[res] = total.get(res, 0) + count
    assert total.get("enqueued", 0) >= 1
    assert total.get("enqueued", 0) + total.get("unavailable", 0) >= 2
    assert total["malformed"] == 1
    # the same numbers as the totals since start
    st, _, summary = get(n.port, "/ct/status/")
    assert summary["ingest"]["deliveries"]["none"]["malformed"] == 1


def test_replay_over_http_end_to_end(nginx_factory, redis_server, redis,
                                     netsuite, workers):
    """Dead (unknown SKU), fixed, replayed through the module: synced."""
    n = start(nginx_factory, redis_server)
    msg = order_created()
    oid = msg["resource"]["id"]
    msg["order"]["lineItems"][0]["variant"]["sku"] = "SKU-NEW-HTTP"
    wait_until(lambda: deliver(n.port, msg)[0] == 202, timeout=10,
               what="redis ready")
    w = workers.start()

    wait_until(lambda: status(redis, "order", oid).get("state") == "dead",
               timeout=30, interval=0.1, what="dead letter")
    (dlq_id, _), = dlq(redis)

    netsuite.insert("nonInventorySaleItem", {
        "name": "SKU-NEW-HTTP", "externalId": "ct-sku-SKU-NEW-HTTP",
        "subsidiaries": [1, 3]})
    st, _, body = replay(n, dlq_id)
    assert st == 202, body

    wait_until(lambda: status(redis, "order", oid).get("state") == "synced",
               timeout=30, interval=0.1, what="order synced")
    assert not dlq(redis)
    actions = [t["action"] for t in audit(redis, "order", oid)]
    assert actions == ["dead", "replayed", "posted"]
    assert len(netsuite.records(type="salesOrder",
                                externalId="ct-order-" + oid)) == 1
    # acknowledged in the worker's group; ctns-keys' entries untouched
    groups = {g["name"]: g for g in redis.xinfo_groups("ctns:control")}
    assert groups["ctns-control"]["pending"] == 0
    assert groups["ctns-control"]["last-delivered-id"] == body["control"]
    assert "dead letter replayed" in w.text()

    # a second request for the same (now gone) dead letter: 404
    st, _, _ = replay(n, dlq_id)
    assert st == 404
    w.stop()


def test_control_consumer(redis, netsuite, workers):
    """ctns-worker's ctns-control group: requests queued before it ran are
    carried out, other types and bad requests acknowledged untouched, and
    the ctns-keys group of the same stream keeps everything for itself."""
    fields = event_from_file("order-created.json")
    oid = fields["resource"].split("/", 1)[1]
    dlq_id = redis.xadd("ctns:dlq", dict(fields, http="400",
                                         code="USER_ERROR", attempts="1"))
    redis.xgroup_create("ctns:control", "ctns-keys", id="0", mkstream=True)
    redis.xadd("ctns:control", {"type": "SubscriptionConfirmation",
                                      "payload": "{}"})
    bogus = redis.xadd("ctns:control", {"type": "replay",
                                        "dlq_id": "1-0 OR 2",
                                        "requested_by": "x@127.0.0.1"})
    redis.xadd("ctns:control", {"type": "replay"})
    req = redis.xadd("ctns:control", {"type": "replay", "dlq_id": dlq_id,
                                      "requested_by": "ops@127.0.0.1",
                                      "at": "1795773600000"})

    w = workers.start()
    wait_until(lambda: status(redis, "order", oid).get("state") == "synced",
               timeout=30, interval=0.1, what="replayed order synced")
    assert not dlq(redis)
    assert [a["action"] for a in audit(redis, "order", oid)] == \
        ["replayed", "posted"]

    def groups():
        return {g["name"]: g for g in redis.xinfo_groups("ctns:control")}

    wait_until(lambda: groups()["ctns-control"]["pending"] == 0, timeout=5,
               what="every request acknowledged")
    groups = groups()
    assert groups["ctns-control"]["last-delivered-id"] == req
    # ctns-keys has not been given a single entry by us
    assert groups["ctns-keys"]["pending"] == 0
    assert groups["ctns-keys"]["last-delivered-id"] == "0-0"
    assert redis.xlen("ctns:control") == 4

    logs = w.logs()
    bad = [e for e in logs
           if e.get("msg") == "replay request without a valid dlq_id"]
    assert [e.get("control") for e in bad][0] == bogus and len(bad) == 2
    done = [e for e in logs if e.get("msg") == "dead letter replayed"]
    assert done[0]["dlq_id"] == dlq_id
    assert done[0]["requested_by"] == "ops@127.0.0.1"
    w.stop()
