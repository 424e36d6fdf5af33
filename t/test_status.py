"""The status location through the real nginx and the real Redis.

Redis is seeded the way ctns-worker writes it (status hashes, audit
streams, the order-number index, the DLQ); events are ingested through the
webhook location of the same nginx.
"""

import email.utils
import http.client
import json
import re
import time
import uuid

import pytest

from harness.common import wait_until
from harness.status import (audit_entry, get, now_ms, seed_status,
                            start_status as start)
from harness.webhook import deliver, order_created, post, shard_of

@pytest.fixture
def status(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    wait_until(lambda: get(n.port, "/ct/status/")[0] == 200, timeout=10,
               what="redis ready")
    return n


SO = {"type": "salesOrder", "id": "8812", "externalId": "ct-order-x"}
CUST = {"type": "customer", "id": "311", "externalId": "ct-cust-y"}

ERROR = {"http": 400, "code": "USER_ERROR",
         "detail": "Invalid value for field item: ct-sku-404",
         "path": "item.items[0].item", "at": "2026-11-27T10:00:01.000Z"}


# --- orders ------------------------------------------------------------------

def test_synced_order_with_records_links_and_audit(status, redis):
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "synced", records=[CUST, SO],
                number="10045", updated_at=1795000000123,
                audit=[audit_entry("posted", "created", 204,
                                   records=[CUST, SO]),
                       audit_entry("stale", "skipped")])

    st, hd, body = get(status.port, "/ct/status/orders/" + oid)
    assert st == 200, body
    assert hd["content-type"] == "application/json"
    assert body["resource"] == "order" and body["id"] == oid
    assert body["state"] == "synced"
    assert body["order_number"] == "10045"
    assert body["attempts"] == 1 and body["rv"] == 3 and body["seq"] == 5
    assert body["last_error"] is None
    assert body["updated_at_ms"] == 1795000000123
    assert body["updated_at"] == "2026-11-18T11:06:40.123Z"
    assert body["records"] == [
        dict(CUST, link="https://1234567.app.netsuite.com/app/common/entity/"
                        "custjob.nl?id=311"),
        dict(SO, link="https://1234567.app.netsuite.com/app/accounting/"
                      "transactions/salesOrder.nl?id=8812")]
    # newest first
    assert [a["action"] for a in body["audit"]] == ["stale", "posted"]
    posted = body["audit"][1]
    assert posted["http"] == 204 and posted["result"] == "created"
    assert posted["records"] == [CUST, SO]
    assert re.match(r"^\d+-\d+$", posted["entry"])
    assert hd["last-modified"] == email.utils.formatdate(1795000000,
                                                         usegmt=True)
    assert re.match(r'^"[0-9a-f]+-[0-9a-f]{8}"$', hd["etag"])
    assert hd["cache-control"] == "no-cache"


def test_retrying_order_shows_last_error(status, redis):
    oid = str(uuid.uuid4())
    err = dict(ERROR, http=503, code="SSS_REQUEST_LIMIT_EXCEEDED",
               detail="Request limit exceeded")
    seed_status(redis, "order", oid, "retrying", attempts=3, last_error=err,
                audit=[audit_entry("retry", "failed", 503,
                                   "SSS_REQUEST_LIMIT_EXCEEDED")] * 3)
    st, _, body = get(status.port, "/ct/status/orders/" + oid)
    assert st == 200
    assert body["state"] == "retrying" and body["attempts"] == 3
    assert body["last_error"] == err
    assert body["records"] == []
    assert len(body["audit"]) == 3
    assert body["audit"][0]["code"] == "SSS_REQUEST_LIMIT_EXCEEDED"
    assert body["audit"][0]["http"] == 503


def test_dead_order(status, redis):
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "dead", attempts=1, last_error=ERROR,
                audit=[audit_entry("dead", "rejected", 400, "USER_ERROR",
                                   ERROR["detail"])])
    redis.xadd("ctns:dlq", {"id": str(uuid.uuid4()), "error": "USER_ERROR"})
    st, _, body = get(status.port, "/ct/status/orders/" + oid)
    assert st == 200
    assert body["state"] == "dead"
    assert body["last_error"]["code"] == "USER_ERROR"
    assert body["last_error"]["path"] == "item.items[0].item"
    assert body["audit"][0]["action"] == "dead"
    assert body["audit"][0]["detail"] == ERROR["detail"]
    st, _, summary = get(status.port, "/ct/status/")
    assert summary["dlq"] == {"length": 1}


def test_unknown_ids_are_404(status, redis):
    oid = str(uuid.uuid4())
    for path, what in (("orders/" + oid, oid),
                       ("payments/" + oid, oid),
                       ("events/" + oid, oid),
                       ("orders/by-number/99999", "99999")):
        st, hd, body = get(status.port, "/ct/status/" + path)
        assert st == 404, path
        assert hd["content-type"] == "application/json"
        assert body["result"] == "not_found" and body["id"] == what
    st, _, body = get(status.port, "/ct/status/invoices/" + oid)
    assert st == 404 and body["error"] == "no such status view"


def test_order_by_number(status, redis):
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "synced", records=[SO], number="CT-10045")
    st, _, by_number = get(status.port, "/ct/status/orders/by-number/CT-10045")
    assert st == 200
    st, _, by_id = get(status.port, "/ct/status/orders/" + oid)
    assert by_number == by_id
    assert by_number["id"] == oid

    # an index that points nowhere useful is the worker's bug, not a 404
    redis.set("ctns:idx:order-number:broken", "not-an-id")
    st, _, body = get(status.port, "/ct/status/orders/by-number/broken")
    assert st == 500
    assert "holds no order id" in status.log()


def test_uppercase_uuid_is_the_same_order(status, redis):
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "pending")
    st, _, body = get(status.port, "/ct/status/orders/" + oid.upper())
    assert st == 200 and body["id"] == oid


def test_payment(status, redis):
    pid = str(uuid.uuid4())
    dep = {"type": "customerDeposit", "id": "77", "externalId": "ct-dep-t1"}
    seed_status(redis, "payment", pid, "synced", records=[dep],
                audit=[audit_entry("posted", "created", 204, records=[dep])])
    st, _, body = get(status.port, "/ct/status/payments/" + pid)
    assert st == 200
    assert body["resource"] == "payment" and body["state"] == "synced"
    assert body["records"][0]["link"].endswith(
        "transactions/customerDeposit.nl?id=77")
    assert "order_number" not in body


def test_link_template_per_location_escapes_values(nginx_factory,
                                                   redis_server, redis):
    n = start(nginx_factory, redis_server,
              status_extra="ct_netsuite_status_link "
                           "https://ns.example/r?t=$type&eid=$external_id"
                           "&id=$id;")
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "synced", records=[
        {"type": "salesOrder", "id": 8812, "externalId": "ct-order-a b&c"},
        {"type": "invoice"}])
    wait_until(lambda: get(n.port, "/ct/status/orders/" + oid)[0] == 200,
               timeout=10, what="redis ready")
    _, _, body = get(n.port, "/ct/status/orders/" + oid)
    assert body["records"][0]["link"] == \
        "https://ns.example/r?t=salesOrder&eid=ct-order-a%20b%26c&id=8812"
    # no internal id yet: no link
    assert "link" not in body["records"][1]


@pytest.mark.parametrize("path", [
    "orders/123",
    "orders/" + "a" * 36,
    "orders/2a9e9c03-1c1c-4894-9b67-4f07772a17061",
    "orders/2a9e9c03_1c1c-4894-9b67-4f07772a1706",
    "orders/2a9e9c03-1c1c-4894-9b67-4f07772a170g",
    "payments/x",
    "orders/by-number/" + "9" * 129,
    "orders/by-number/10045%20OR%201",
    "orders/by-number/a%2Fb",
    "orders/by-number/",
    "events/" + "e" * 128,
    "events/abc%22def",
    "events/a*b",
    "orders/2a9e9c03-1c1c-4894-9b67-4f07772a1706/extra",
])
def test_malformed_ids_are_400_without_redis(status, redis, path):
    redis.config_resetstat()
    st, hd, body = get(status.port, "/ct/status/" + path)
    assert st == 400, body
    assert body["result"] == "malformed"
    assert hd["content-type"] == "application/json"
    assert redis_commands(redis) == []

    # the same check sees a well-formed lookup
    get(status.port, "/ct/status/orders/" + str(uuid.uuid4()))
    assert "cmdstat_hgetall" in redis_commands(redis)


def redis_commands(redis):
    """Commands Redis served since the last CONFIG RESETSTAT, but ours and
    a cluster's own (replicas' REPLCONF ACK, CLUSTER SLOTS map refreshes,
    which nginx sends on a timer, not for a request)."""
    return [k for k in redis.info("commandstats")
            if k.split("|")[0] not in ("cmdstat_config", "cmdstat_info",
                                       "cmdstat_replconf", "cmdstat_cluster")]


def test_long_audit_trail_over_16k(status, redis):
    oid = str(uuid.uuid4())
    detail = "Field value too long: " + "x" * 400
    seed_status(redis, "order", oid, "retrying", attempts=250,
                audit=[audit_entry("retry", "failed", 400, "USER_ERROR",
                                   detail + str(i)) for i in range(250)])
    st, hd, body = get(status.port, "/ct/status/orders/" + oid)
    assert st == 200
    assert int(hd["content-length"]) > 64 * 1024
    # the newest 200, newest first
    assert len(body["audit"]) == 200
    assert body["audit"][0]["detail"] == detail + "249"
    assert body["audit"][-1]["detail"] == detail + "50"


# --- events ------------------------------------------------------------------

def test_event_received_then_processed(status, redis):
    msg = order_created()
    assert deliver(status.port, msg)[0] == 202
    rid = msg["resource"]["id"]

    st, hd, body = get(status.port, "/ct/status/events/" + msg["id"])
    assert st == 200, body
    assert body["state"] == "received"
    assert body["resource"] == "order/" + rid
    assert body["type"] == "OrderCreated"
    assert body["stream"]["shard"] == shard_of(rid)
    assert body["stream"]["src"] == "none"
    assert "payload" not in body["stream"]
    assert abs(body["updated_at_ms"] - now_ms()) < 60000
    assert json.dumps(msg["order"]["customerEmail"]) not in json.dumps(body)

    redis.hset("ctns:status:event:" + msg["id"], mapping={
        "state": "synced", "resource": "order/" + rid,
        "type": "OrderCreated", "attempts": "1", "last_error": "",
        "updated_at": str(now_ms() + 5000)})
    st, hd2, body = get(status.port, "/ct/status/events/" + msg["id"])
    assert st == 200
    assert body["state"] == "synced" and body["attempts"] == 1
    assert body["last_error"] is None
    assert body["stream"]["entry"]
    assert hd2["etag"] != hd["etag"]


def test_event_processed_after_dedup_window(status, redis):
    mid = str(uuid.uuid4())
    redis.hset("ctns:status:event:" + mid, mapping={
        "state": "dead", "resource": "order/" + str(uuid.uuid4()),
        "type": "OrderCreated", "attempts": "5",
        "last_error": json.dumps(ERROR), "updated_at": str(now_ms())})
    st, _, body = get(status.port, "/ct/status/events/" + mid)
    assert st == 200
    assert body["state"] == "dead" and body["attempts"] == 5
    assert body["last_error"]["code"] == "USER_ERROR"
    assert body["stream"] is None


def test_derived_event_id(status, redis):
    mid = "chg:order:%s:6:ResourceUpdated" % uuid.uuid4()
    redis.hset("ctns:status:event:" + mid, mapping={
        "state": "synced", "updated_at": str(now_ms())})
    st, _, body = get(status.port, "/ct/status/events/" + mid)
    assert st == 200 and body["id"] == mid


def test_payloads_only_when_enabled(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server,
              status_extra="ct_netsuite_status_payloads on;")
    msg = order_created(pad=30 * 1024)
    wait_until(lambda: deliver(n.port, msg)[0] == 202, timeout=10,
               what="redis ready")
    st, hd, body = get(n.port, "/ct/status/events/" + msg["id"])
    assert st == 200
    assert body["stream"]["payload"] == msg
    assert int(hd["content-length"]) > 30 * 1024


# --- the summary -------------------------------------------------------------

def test_summary(status, redis):
    msgs = [order_created() for _ in range(12)]
    for m in msgs:
        assert deliver(status.port, m)[0] == 202
    assert deliver(status.port, msgs[0])[0] == 200

    shards = [shard_of(m["resource"]["id"]) for m in msgs]
    busy = shards[0]
    key = "ctns:{%d}:events" % busy
    redis.xgroup_create(key, "ctns-workers", id="0")
    got = redis.xreadgroup("ctns-workers", "w1", {key: ">"}, count=1)
    first_id = got[0][1][0][0]
    redis.xadd("ctns:dlq", {"id": "x"})
    redis.xadd("ctns:dlq", {"id": "y"})

    st, hd, body = get(status.port, "/ct/status/")
    assert st == 200
    assert hd["cache-control"] == "no-cache" and "etag" not in hd
    assert body["prefix"] == "ctns" and body["group"] == "ctns-workers"
    assert len(body["shards"]) == 8
    for s in body["shards"]:
        assert s["length"] == shards.count(s["shard"])
    b = body["shards"][busy]
    assert b["pending"] == 1 and b["consumers"] == 1
    assert b["entries_read"] == 1
    assert b["lag"] == shards.count(busy) - 1
    assert b["oldest_pending"] == first_id
    assert 0 <= b["oldest_pending_age_ms"] < 60000
    others = [s for s in body["shards"] if s["shard"] != busy]
    assert all(s["pending"] == 0 and s["lag"] is None for s in others)
    assert body["total"]["length"] == 12
    assert body["total"]["pending"] == 1
    assert body["dlq"] == {"length": 2}
    ing = body["ingest"]
    assert ing["deliveries"]["none"]["enqueued"] == 12
    assert ing["deliveries"]["none"]["duplicate"] == 1
    assert ing["received_bytes"] > 12 * 1000
    assert ing["redis_errors"] == 0


# --- HTTP behaviour ----------------------------------------------------------

def test_conditional_get_and_head(status, redis):
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "pending", updated_at=1795000000123)
    path = "/ct/status/orders/" + oid
    st, hd, body = get(status.port, path)
    etag, lm = hd["etag"], hd["last-modified"]

    st, hd304, body304 = get(status.port, path, {"If-None-Match": etag})
    assert st == 304 and body304 == ""
    assert hd304["etag"] == etag

    st, _, _ = get(status.port, path, {"If-Modified-Since": lm})
    assert st == 304

    st, _, _ = get(status.port, path, {"If-None-Match": '"other"'})
    assert st == 200

    st, hdh, bodyh = get(status.port, path, method="HEAD")
    assert st == 200 and bodyh == ""
    assert hdh["content-length"] == hd["content-length"]
    assert hdh["etag"] == etag

    # the worker moves the order on: new validators, full answer
    redis.hset("ctns:status:order:" + oid,
               mapping={"state": "synced", "updated_at": "1795000009000"})
    st, hd2, body2 = get(status.port, path, {"If-None-Match": etag,
                                             "If-Modified-Since": lm})
    assert st == 200 and body2["state"] == "synced"
    assert hd2["etag"] != etag


def test_methods(status, redis):
    st, hd, body = post(status.port, "/ct/status/", b"{}")
    assert st == 405
    assert hd["allow"] == "GET, HEAD"
    assert body["result"] == "method"


def test_token(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server,
              status_extra="ct_netsuite_status_token "
                           "file=keys/status.token s3cret-value;")
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "synced")
    path = "/ct/status/orders/" + oid

    wait_until(lambda: get(n.port, path, {
        "Authorization": "Bearer s3cret-file"})[0] == 200, timeout=10,
        what="redis ready")
    assert get(n.port, path, {"Authorization": "bearer s3cret-value"})[0] \
        == 200

    st, hd, body = get(n.port, path)
    assert st == 401
    assert hd["www-authenticate"] == 'Bearer realm="ct_netsuite"'
    assert body["result"] == "unauthorized" and "id" in body
    assert oid not in json.dumps(body)

    for bad in ("Bearer s3cret-fil", "Bearer s3cret-file2", "Basic abc",
                "Bearer ", "s3cret-file"):
        st, hd, _ = get(n.port, path, {"Authorization": bad})
        assert st == 401, bad
    st, hd, _ = get(n.port, path, {"Authorization": "Bearer nope"})
    assert 'error="invalid_token"' in hd["www-authenticate"]

    # 401 before 400: nothing about the ids leaks to strangers
    assert get(n.port, "/ct/status/orders/bad")[0] == 401
    log = n.log()
    assert "s3cret" not in log


def test_allow_deny(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server, status_extra="deny all;")
    wait_until(lambda: deliver(n.port, order_created())[0] == 202,
               timeout=10, what="redis ready")
    st, _, _ = get(n.port, "/ct/status/")
    assert st == 403

    m = start(nginx_factory, redis_server,
              status_extra="allow 127.0.0.1; deny all;")
    wait_until(lambda: get(m.port, "/ct/status/")[0] == 200, timeout=10,
               what="redis ready")


def test_auth_basic(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server,
              status_extra='auth_basic "status"; '
                           'auth_basic_user_file htpasswd;')
    assert get(n.port, "/ct/status/")[0] == 401
    good = "Basic " + __import__("base64").b64encode(
        b"support:letmein").decode()
    wait_until(lambda: get(n.port, "/ct/status/",
                           {"Authorization": good})[0] == 200,
               timeout=10, what="redis ready")


def test_redis_down_is_503(status, redis_server, redis):
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "synced")
    redis_server.stop()
    try:
        for path in ("/ct/status/", "/ct/status/orders/" + oid,
                     "/ct/status/events/" + oid,
                     "/ct/status/orders/by-number/1"):
            st, hd, body = get(status.port, path)
            assert st == 503, path
            assert hd["retry-after"] == "5"
            assert body["result"] == "unavailable"
        # validation still answers without Redis
        assert get(status.port, "/ct/status/orders/x")[0] == 400
    finally:
        redis_server.start()
    wait_until(lambda: get(status.port,
                           "/ct/status/orders/" + oid)[0] == 404,
               timeout=15, what="reconnected (flushed by restart)")


def test_redis_hung_is_503_in_time(status, redis_server, redis):
    redis_server.pause()
    try:
        t0 = time.monotonic()
        st, hd, _ = get(status.port, "/ct/status/")
        elapsed = time.monotonic() - t0
    finally:
        redis_server.resume()
    assert st == 503 and hd["retry-after"] == "5"
    assert elapsed < 3.5
    wait_until(lambda: get(status.port, "/ct/status/")[0] == 200,
               timeout=15, what="recovered")


def test_client_gone_before_reply(status, redis_server, redis):
    redis_server.pause()
    try:
        c = http.client.HTTPConnection("127.0.0.1", status.port, timeout=5)
        c.request("GET", "/ct/status/")
        time.sleep(0.2)
        c.close()
        time.sleep(0.2)
    finally:
        redis_server.resume()
    wait_until(lambda: get(status.port, "/ct/status/")[0] == 200,
               timeout=15, what="serving again")
    assert status.proc.poll() is None


@pytest.mark.parametrize("directive,error", [
    ("ct_netsuite_status_link ftp://x/$id;", "is not an http or https URL"),
    ("ct_netsuite_status_token file=keys/empty;", "has no token"),
    ("ct_netsuite_status_token file=keys/nope;", "keys/nope"),
    ("ct_netsuite_status; ct_netsuite_status;", "is duplicate"),
])
def test_config_errors(nginx_factory, redis_server, directive, error):
    n = nginx_factory(http="ct_netsuite_redis %s;" % redis_server.address,
                      server="location /s/ { ct_netsuite_status; %s }"
                      % directive)
    n.write("conf/keys/empty", "# nothing yet\n")
    n.allow.append(re.compile(r"\[emerg\]"))
    rc, out = n.test_config()
    assert rc != 0
    assert error in out, out



def test_stream_prefix_and_shards(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server,
              http_extra="ct_netsuite_stream shop1 shards=3;")
    msg = order_created()
    wait_until(lambda: deliver(n.port, msg)[0] == 202, timeout=10,
               what="redis ready")
    shard = shard_of(msg["resource"]["id"], 3)
    assert redis.xlen("shop1:{%d}:events" % shard) == 1

    st, _, body = get(n.port, "/ct/status/events/" + msg["id"])
    assert st == 200 and body["stream"]["shard"] == shard

    st, _, body = get(n.port, "/ct/status/")
    assert body["prefix"] == "shop1"
    assert [s["length"] for s in body["shards"]] == \
        [1 if i == shard else 0 for i in range(3)]

    oid = str(uuid.uuid4())
    redis.hset("shop1:status:order:" + oid, mapping={"state": "synced"})
    st, _, body = get(n.port, "/ct/status/orders/" + oid)
    assert st == 200 and body["updated_at"] is None
    assert "etag" not in get(n.port, "/ct/status/orders/" + oid)[1]


def test_keepalive_after_refused_body(status, redis):
    """A refused request's body is read away: the connection stays usable."""
    c = http.client.HTTPConnection("127.0.0.1", status.port, timeout=5)
    try:
        c.request("POST", "/ct/status/", body=b"x" * 5000)
        r = c.getresponse()
        r.read()
        assert r.status == 405
        c.request("GET", "/ct/status/")
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read())["prefix"] == "ctns"
    finally:
        c.close()
