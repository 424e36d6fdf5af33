"""ctns-worker against real Redis and the NetSuite simulator.

Events are enqueued as the nginx module writes them; the assertions look
at what landed in the simulator (its record store, request log and
concurrency counters) and at what the worker wrote to Redis for the status
API.
"""

import json
import signal
import time
import uuid

import pytest

from harness.common import wait_until
from harness.worker import (audit, dlq, enqueue, event_fields,
                            event_from_file, load_message, pending, shard_of,
                            status, stream_key)

ORDER_MSG = "order-created.json"


def order_event(n, sku=None, seq=1, msg_id=None):
    """OrderCreated for a fresh order n (own id, number and message id)."""
    msg = load_message(ORDER_MSG)
    oid = str(uuid.UUID(int=0x9e1b7c4a << 96 | n))
    msg["id"] = msg_id or str(uuid.uuid4())
    msg["sequenceNumber"] = seq
    msg["resource"]["id"] = oid
    msg["order"]["id"] = oid
    msg["order"]["orderNumber"] = "ORD-%05d" % n
    msg["resourceUserProvidedIdentifiers"]["orderNumber"] = "ORD-%05d" % n
    if sku:
        msg["order"]["lineItems"][0]["variant"]["sku"] = sku
    return oid, event_fields(msg)


def enqueue_orders(redis, count, start=1, **kw):
    ids = []
    for n in range(start, start + count):
        oid, fields = order_event(n, **kw)
        enqueue(redis, fields)
        ids.append(oid)
    return ids


def wait_state(redis, oids, state="synced", timeout=60):
    def done():
        return all(status(redis, "order", o).get("state") == state
                   for o in oids)
    wait_until(done, timeout=timeout, interval=0.1,
               what="orders %s" % state)


def sales_orders(netsuite):
    return netsuite.records(type="salesOrder")


def assert_exactly_once(netsuite, oids):
    """One sales order per commercetools order, no line doubled."""
    sos = sales_orders(netsuite)
    eids = [so["externalId"] for so in sos]
    assert sorted(eids) == sorted("ct-order-" + o for o in oids)
    for so in sos:
        assert len(so["item"]["items"]) == 2, so["externalId"]


def ns_answers(redis):
    """NetSuite's answers counted by the workers, over all minutes."""
    total = {}
    for key in redis.scan_iter("ctns:stats:netsuite:*"):
        for field, n in redis.hgetall(key).items():
            total[field] = total.get(field, 0) + int(n)
    return total


def by_class(by_status):
    """The simulator's answer counts in the workers' fields."""
    total = {}
    for code, n in by_status.items():
        field = code if code == "429" else code[0] + "xx"
        total[field] = total.get(field, 0) + n
    return total


@pytest.mark.parametrize("auth", ["tba", "oauth2-es256", "oauth2-ps256"])
def test_happy_path(redis, netsuite, workers, auth):
    w = workers.start(workers.config(auth=auth))
    oids = enqueue_orders(redis, 3)
    wait_state(redis, oids)

    assert_exactly_once(netsuite, oids)
    assert len(netsuite.records(type="customer")) == 1

    st = status(redis, "order", oids[0])
    assert st["order_number"] == "ORD-00001"
    assert st["attempts"] == "1" and st["last_error"] == ""
    assert st["seq"] == "1" and st["rv"] == "1"
    recs = json.loads(st["records"])
    so = [r for r in recs if r["type"] == "salesOrder"][0]
    assert so["externalId"] == "ct-order-" + oids[0]
    assert so["id"] == netsuite.records(
        type="salesOrder", externalId=so["externalId"])[0]["id"]

    trail = audit(redis, "order", oids[0])
    assert [t["action"] for t in trail] == ["posted"]
    assert trail[0]["result"] == "synced"

    assert redis.get("ctns:idx:order-number:ORD-00002") == oids[1]
    ev = redis.hgetall("ctns:status:event:" + st["last_event"])
    assert ev["state"] == "synced" and ev["resource"] == "order/" + oids[0]
    assert pending(redis) == 0
    assert redis.zcard("ctns:retry") == 0
    assert not dlq(redis)

    if auth != "tba":
        issued = [a for a in netsuite.audit() if a.get("scheme") == "oauth2"
                  or "token" in a.get("path", "")]
        assert issued, "no OAuth 2.0 token was requested"

    assert w.stop() == 0
    logs = w.logs()
    assert any(l.get("msg") == "synced" and l.get("resource") == oids[0]
               for l in logs)


def test_stale_event_skipped(redis, netsuite, workers):
    workers.start()
    oid, first = order_event(1, seq=3)
    enqueue(redis, first)
    wait_state(redis, [oid])

    _, older = order_event(1, seq=2)
    enqueue(redis, older)
    wait_until(lambda: len(audit(redis, "order", oid)) == 2, timeout=20,
               what="stale entry")

    trail = audit(redis, "order", oid)
    assert trail[1]["action"] == "stale"
    assert trail[1]["event"] == older["id"]
    assert "seq 2 <= applied 3" in trail[1]["detail"]
    assert len(sales_orders(netsuite)) == 1
    assert status(redis, "order", oid)["seq"] == "3"


def test_ignored_event_acknowledged(redis, netsuite, workers):
    workers.start()
    msg = load_message("customer-created.json")
    msg["type"] = "CustomerEmailChanged"
    enqueue(redis, event_fields(msg))
    rid = msg["resource"]["id"]
    wait_until(lambda: audit(redis, "customer", rid), timeout=20,
               what="audit")
    entry = audit(redis, "customer", rid)[0]
    assert entry["action"] == "ignored" and entry["result"] == "ignored"
    assert "CustomerEmailChanged" in entry["detail"]
    wait_until(lambda: pending(redis) == 0, timeout=10, what="ack")
    assert redis.hget("ctns:status:event:" + msg["id"], "state") == "ignored"


def test_429_storm(redis, netsuite, workers):
    """The account allows 1 request, the worker is configured for 5."""
    netsuite.set_config({"concurrency": {"limit": 1},
                         "latency": {"default_ms": 20}})
    conf = workers.config(retry={"base_ms": 20, "cap_ms": 300,
                                 "max_attempts": 100})
    workers.start(conf)
    oids = enqueue_orders(redis, 15)
    wait_state(redis, oids, timeout=120)

    stats = netsuite.stats()
    assert stats["rejected_429"] > 0
    assert_exactly_once(netsuite, oids)
    assert not dlq(redis)

    # every answer counted per minute for the dashboard, within a second
    answers = by_class(stats["requests_by_status"])
    assert answers["429"] == stats["rejected_429"]
    wait_until(lambda: ns_answers(redis) == answers, timeout=5,
               interval=0.1, what="answers counted")
    for key in redis.scan_iter("ctns:stats:netsuite:*"):
        minute = int(key.rsplit(":", 1)[1])
        assert abs(minute - time.time() // 60) <= 3
        assert 7000 < redis.ttl(key) <= 7200
    retried = [t for o in oids for t in audit(redis, "order", o)
               if t["action"] == "retry"]
    assert retried and all(t["http"] == "429" for t in retried)
    assert any(t["code"] == "CONCURRENCY_LIMIT_EXCEEDED" for t in retried)


def test_twenty_percent_5xx(redis, netsuite, workers):
    netsuite.add_faults([{
        "id": "flaky", "phase": "before_commit",
        "match": {"path_regex": "^/services/rest/record/", "probability": 0.2},
        "action": {"type": "status", "status": 503, "body": "html"},
        "times": 0}])
    conf = workers.config(retry={"base_ms": 20, "cap_ms": 200,
                                 "max_attempts": 30})
    workers.start(conf)
    oids = enqueue_orders(redis, 20)
    wait_state(redis, oids, timeout=120)

    by_status = netsuite.stats()["requests_by_status"]
    assert by_status.get("503", 0) > 0
    assert_exactly_once(netsuite, oids)
    assert not dlq(redis)
    answers = by_class(by_status)
    assert answers["5xx"] == by_status["503"]
    wait_until(lambda: ns_answers(redis) == answers, timeout=5,
               interval=0.1, what="answers counted")


def test_commit_then_drop_every_first_attempt(redis, netsuite, workers):
    """The write commits, the connection drops: still one record each."""
    oids = [order_event(n)[0] for n in range(1, 7)]
    netsuite.add_faults([{
        "id": "drop-" + o[-4:], "phase": "after_commit",
        "match": {"method": "PUT", "external_id": "ct-order-" + o},
        "action": {"type": action}, "times": 1}
        for o, action in zip(oids, ["drop", "reset", "partial"] * 2)])
    workers.start()
    enqueue_orders(redis, 6)
    wait_state(redis, oids, timeout=60)

    assert_exactly_once(netsuite, oids)
    log = netsuite.requests()
    faulted = [e for e in log if e.get("fault")]
    assert len(faulted) == 6 and all(e["committed"] for e in faulted)
    # every faulted write was followed by a read by external id
    for e in faulted:
        later = [x for x in log if x["seq"] > e["seq"]
                 and x["method"] == "GET" and x["path"] == e["path"]]
        assert later, e["path"]


def test_commit_then_timeout(redis, netsuite, workers):
    oid = order_event(1)[0]
    netsuite.add_faults([{
        "id": "hang", "phase": "after_commit",
        "match": {"method": "PUT", "external_id": "ct-order-" + oid},
        "action": {"type": "hang", "max_ms": 5000}, "times": 1}])
    conf = workers.config()
    conf["netsuite"]["timeout_ms"] = 500
    workers.start(conf)
    enqueue_orders(redis, 1)
    wait_state(redis, [oid], timeout=30)
    assert_exactly_once(netsuite, [oid])


def test_4xx_dead_letter_fix_replay(redis, netsuite, workers):
    w = workers.start()
    oid, fields = order_event(1, sku="SKU-NEW-1")
    enqueue(redis, fields)
    wait_state(redis, [oid], state="dead", timeout=30)

    entries = dlq(redis)
    assert len(entries) == 1
    dlq_id, d = entries[0]
    assert d["id"] == fields["id"] and d["payload"] == fields["payload"]
    assert d["resource"] == "order/" + oid
    assert d["http"] == "400" and d["code"] == "USER_ERROR"
    assert "Invalid Field Value" in d["detail"]
    assert d["path"].startswith("item.items[")
    assert d["attempts"] == "1"
    assert d["request"].startswith("PUT /services/rest/record/v1/salesOrder")
    assert len(d["body_sha256"]) == 64
    assert int(d["first_failure"]) <= int(d["last_failure"])
    err = json.loads(status(redis, "order", oid)["last_error"])
    assert err["http"] == 400 and err["code"] == "USER_ERROR"
    assert audit(redis, "order", oid)[-1]["action"] == "dead"
    # support finds the dead order by its number
    assert redis.get("ctns:idx:order-number:ORD-00001") == oid
    assert status(redis, "order", oid)["order_number"] == "ORD-00001"
    assert pending(redis) == 0
    assert not sales_orders(netsuite)

    # fix the reference data, then replay
    netsuite.insert("nonInventorySaleItem", {
        "name": "SKU-NEW-1", "externalId": "ct-sku-SKU-NEW-1",
        "subsidiaries": [1, 3]})
    r = workers.command("replay", dlq_id)
    assert r.returncode == 0, r.stderr
    assert "1 dead letter replayed" in r.stdout

    wait_state(redis, [oid], timeout=30)
    assert not dlq(redis)
    assert_exactly_once(netsuite, [oid])
    actions = [t["action"] for t in audit(redis, "order", oid)]
    assert actions == ["dead", "replayed", "posted"]
    w.stop()


def test_order_number_indexed_before_posting(redis, netsuite, workers):
    """An order that is retrying, or dead before the mapping made a plan,
    is found by its number as well."""
    netsuite.add_faults([{
        "id": "down", "phase": "before_commit",
        "match": {"method": "PUT", "path_regex": "/salesOrder/"},
        "action": {"type": "status", "status": 503}, "times": 0}])
    conf = workers.config(retry={"base_ms": 200, "cap_ms": 400,
                                 "max_attempts": 100})
    workers.start(conf)
    retrying, fields = order_event(1)
    enqueue(redis, fields)
    msg = json.loads(order_event(2)[1]["payload"])
    del msg["order"]["totalPrice"]
    dead = msg["resource"]["id"]
    enqueue(redis, event_fields(msg))
    # a number no one can look up is not indexed; the outcome is written
    msg = json.loads(order_event(3)[1]["payload"])
    del msg["order"]["totalPrice"]
    msg["order"]["orderNumber"] = "N" * 300
    long_number = msg["resource"]["id"]
    enqueue(redis, event_fields(msg))

    wait_state(redis, [retrying], state="retrying", timeout=30)
    wait_state(redis, [dead, long_number], state="dead", timeout=30)
    assert "order_number" not in status(redis, "order", long_number)
    assert not redis.exists("ctns:idx:order-number:" + "N" * 300)
    assert redis.get("ctns:idx:order-number:ORD-00001") == retrying
    assert status(redis, "order", retrying)["order_number"] == "ORD-00001"
    assert redis.get("ctns:idx:order-number:ORD-00002") == dead
    assert status(redis, "order", dead)["order_number"] == "ORD-00002"
    assert [d["code"] for _, d in dlq(redis)] == ["MAPPING"] * 2
    r = workers.command("status", "ORD-00002")
    assert r.returncode == 0 and dead in r.stdout


def test_replay_all_and_unknown_id(redis, netsuite, workers):
    workers.start()
    oids = enqueue_orders(redis, 3, sku="SKU-NEW-2")
    wait_state(redis, oids, state="dead", timeout=30)
    assert len(dlq(redis)) == 3

    r = workers.command("replay", "1-1")
    assert r.returncode == 1 and "no such dead letter" in r.stderr

    netsuite.insert("nonInventorySaleItem", {
        "name": "SKU-NEW-2", "externalId": "ct-sku-SKU-NEW-2",
        "subsidiaries": [1, 3]})
    r = workers.command("replay", "--all")
    assert r.returncode == 0 and "3 dead letters replayed" in r.stdout
    wait_state(redis, oids, timeout=30)
    assert_exactly_once(netsuite, oids)


def test_max_attempts_dead_letter(redis, netsuite, workers):
    netsuite.add_faults([{
        "id": "down", "phase": "before_commit",
        "match": {"method": "PUT"},
        "action": {"type": "status", "status": 502, "body": "html"},
        "times": 0}])
    conf = workers.config(retry={"base_ms": 10, "cap_ms": 50,
                                 "max_attempts": 3})
    workers.start(conf)
    oids = enqueue_orders(redis, 2)
    wait_state(redis, oids, state="dead", timeout=30)

    for _, d in dlq(redis):
        assert d["attempts"] == "3" and d["http"] == "502"
    actions = [t["action"] for t in audit(redis, "order", oids[0])]
    assert actions == ["retry", "retry", "dead"]
    assert redis.zcard("ctns:retry") == 0


def test_retry_schedule_survives_restart(redis, netsuite, workers):
    netsuite.add_faults([{
        "id": "down", "phase": "before_commit", "match": {"method": "PUT"},
        "action": {"type": "status", "status": 503, "body": "json"},
        "times": 0}])
    conf = workers.config(retry={"base_ms": 1500, "cap_ms": 1500,
                                 "max_attempts": 5})
    w = workers.start(conf)
    oids = enqueue_orders(redis, 2)
    wait_state(redis, oids, state="retrying", timeout=20)
    assert w.stop() == 0

    assert redis.zcard("ctns:retry") == 2
    assert pending(redis) == 0              # acknowledged: the schedule
    netsuite.clear_faults()                 # holds them now

    workers.start(conf)
    wait_state(redis, oids, timeout=30)
    assert_exactly_once(netsuite, oids)
    assert redis.zcard("ctns:retry") == 0


def test_retry_keeps_order_of_one_resource(redis, netsuite, workers):
    """A later event of an order waits for the earlier one's retry."""
    oid, first = order_event(1, seq=1)
    netsuite.add_faults([{
        "id": "once", "phase": "before_commit",
        "match": {"method": "PUT", "external_id": "ct-order-" + oid},
        "action": {"type": "status", "status": 503, "body": "json"},
        "times": 1}])
    conf = workers.config(retry={"base_ms": 800, "cap_ms": 800})
    workers.start(conf)
    enqueue(redis, first)
    _, second = order_event(1, seq=2)
    enqueue(redis, second)

    wait_until(lambda: status(redis, "order", oid).get("seq") == "2",
               timeout=30, what="second event")
    actions = [(t["event"], t["action"]) for t in audit(redis, "order", oid)]
    assert actions == [(first["id"], "retry"), (first["id"], "posted"),
                       (second["id"], "posted")]


def test_kill_9_one_of_two_workers(redis, netsuite, workers):
    netsuite.set_config({"latency": {"default_ms": 30}})
    conf = workers.config()
    w1 = workers.start(conf)
    w2 = workers.start(conf)
    oids = enqueue_orders(redis, 40)

    wait_until(lambda: len(sales_orders(netsuite)) >= 6, timeout=30,
               what="progress")
    w1.kill()
    wait_state(redis, oids, timeout=90)

    assert_exactly_once(netsuite, oids)
    wait_until(lambda: pending(redis) == 0, timeout=20, what="all acked")
    assert not dlq(redis)
    assert w2.alive()
    for o in oids:
        posted = [t for t in audit(redis, "order", o)
                  if t["action"] == "posted"]
        assert len(posted) >= 1


@pytest.mark.parametrize("limit", [3, 5])
def test_concurrency_limit_reached_never_exceeded(redis, netsuite, workers,
                                                  limit):
    netsuite.set_config({"latency": {"default_ms": 60}})
    conf = workers.config()
    conf["netsuite"]["concurrency"] = limit
    workers.start(conf)
    oids = enqueue_orders(redis, 30)
    wait_state(redis, oids, timeout=90)

    stats = netsuite.stats()
    assert stats["max_in_flight"] == limit
    assert stats["rejected_429"] == 0


def test_sigterm_drains(redis, netsuite, workers):
    netsuite.set_config({"latency": {"default_ms": 400}})
    w = workers.start()
    oids = enqueue_orders(redis, 4)
    wait_until(lambda: netsuite.stats()["in_flight"] > 0, timeout=10,
               what="requests in flight")
    w.signal(signal.SIGTERM)
    assert w.proc.wait(30) == 0
    assert "draining" in w.text() and "worker stopped" in w.text()

    # whatever was not finished is still pending or retrievable: restart
    netsuite.set_config({"latency": {"default_ms": 0}})
    workers.start(workers.config(worker={"claim_idle_ms": 1000}))
    wait_state(redis, oids, timeout=30)
    assert_exactly_once(netsuite, oids)


def test_sighup_reopens_log(redis, netsuite, workers, tmp_path):
    log = tmp_path / "worker.log"
    w = workers.start(workers.config(log={"level": "info",
                                          "file": str(log)}),
                      wait_ready=False)
    wait_until(lambda: log.exists() and "worker started" in log.read_text(),
               timeout=10, what="log file")
    log.rename(tmp_path / "worker.log.1")
    w.signal(signal.SIGHUP)
    wait_until(lambda: log.exists() and "log reopened" in log.read_text(),
               timeout=10, what="reopened log")
    assert w.stop() == 0


def test_status_command(redis, netsuite, workers):
    workers.start()
    oids = enqueue_orders(redis, 1)
    wait_state(redis, oids)

    for key in (oids[0], "ORD-00001"):
        r = workers.command("status", key)
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["order"] == oids[0]
        assert doc["status"]["state"] == "synced"
        assert any(x["type"] == "salesOrder"
                   for x in doc["status"]["records"])
        assert doc["trail"][0]["action"] == "posted"

    r = workers.command("status", "no-such-order")
    assert r.returncode == 1 and "no status" in r.stderr


def test_malformed_entry_dead_lettered(redis, netsuite, workers):
    workers.start()
    redis.xadd("ctns:{0}:events", {"id": "m-1", "type": "OrderCreated",
                                   "resource": "order/x", "payload": "{no"})
    wait_until(lambda: dlq(redis), timeout=20, what="dead letter")
    d = dlq(redis)[0][1]
    assert d["code"] == "MALFORMED_EVENT" and "payload" in d["detail"]
    wait_until(lambda: pending(redis) == 0, timeout=10, what="ack")



def test_401_repeated_once_then_dead_letter(redis, netsuite, workers):
    """TBA token revoked: one repeat with a fresh signature, then DLQ."""
    netsuite.admin("POST", "tokens/revoke",
                   {"token_id": netsuite.creds["token_id"]})
    workers.start()
    oid = enqueue_orders(redis, 1)[0]
    wait_state(redis, [oid], state="dead", timeout=20)

    d = dlq(redis)[0][1]
    assert d["http"] == "401" and d["code"] == "INVALID_LOGIN"
    assert netsuite.stats()["requests_by_status"]["401"] == 2


def test_m2m_token_renewed_before_expiry(redis, netsuite, workers):
    netsuite.set_config({"oauth2": {"token_ttl_s": 2}})
    workers.start(workers.config(auth="oauth2-es256"))
    oids = []
    for n in range(1, 6):
        oids += enqueue_orders(redis, 1, start=n)
        wait_state(redis, oids, timeout=20)
        time.sleep(0.7)

    issued = [a for a in netsuite.audit() if a.get("outcome") == "ok"
              and "token" in (a.get("path") or "")]
    assert len(issued) >= 2, issued
    assert "401" not in netsuite.stats()["requests_by_status"]
    assert_exactly_once(netsuite, oids)


def test_abandoned_entry_claimed(redis, netsuite, workers):
    """An entry a dead consumer read but never acknowledged is claimed."""
    oid, fields = order_event(1)
    enqueue(redis, fields)
    for s in range(8):
        redis.xgroup_create("ctns:{%d}:events" % s, "ctns-workers", id="0",
                            mkstream=True)
    got = redis.xreadgroup("ctns-workers", "ghost", {
        "ctns:{%d}:events" % s: ">" for s in range(8)}, count=10)
    assert got and pending(redis) == 1

    workers.start(workers.config(worker={"claim_idle_ms": 1000}))
    wait_state(redis, [oid], timeout=20)
    wait_until(lambda: pending(redis) == 0, timeout=10, what="ack")
    assert_exactly_once(netsuite, [oid])


def change_fields(rtype, rid, version):
    """A ResourceUpdated change notification as the module stores it."""
    msg = load_message("resource-updated-order.json")
    msg["resource"] = {"typeId": rtype, "id": rid}
    msg["version"], msg["oldVersion"] = version, version - 1
    return {"id": "chg:%s:%s:%d:ResourceUpdated" % (rtype, rid, version),
            "type": "ResourceUpdated", "resource": "%s/%s" % (rtype, rid),
            "rv": str(version), "seq": "0", "project": "example-shop",
            "store": "", "at": msg["modifiedAt"], "src": "hmac",
            "rx": "0", "payload": json.dumps(msg)}


def test_change_notifications_compare_versions(redis, netsuite, workers):
    workers.start()
    created = event_from_file("customer-created.json")   # rv 1, seq 1
    cid = created["resource"].split("/")[1]
    enqueue(redis, created)
    wait_until(lambda: status(redis, "customer", cid).get("state")
               == "synced", timeout=20, what="customer synced")

    enqueue(redis, change_fields("customer", cid, 1))
    enqueue(redis, change_fields("customer", cid, 2))
    wait_until(lambda: len(audit(redis, "customer", cid)) == 3, timeout=20,
               what="audit")

    trail = audit(redis, "customer", cid)
    assert trail[1]["action"] == "stale"
    assert "version 1 <= applied 1" in trail[1]["detail"]
    assert trail[2]["action"] == "ignored"
    st = status(redis, "customer", cid)
    assert st["rv"] == "2" and st["seq"] == "1"


def test_account_id_in_host_form(redis, netsuite, workers):
    """1234567-sb1 is accepted; the realm sent is still 1234567_SB1."""
    conf = workers.config()
    conf["netsuite"]["account_id"] = "1234567-sb1"
    workers.start(conf)
    oids = enqueue_orders(redis, 1)
    wait_state(redis, oids, timeout=20)
    entries = netsuite.audit()
    assert entries and all(a.get("outcome") == "ok" for a in entries)


def test_redis_restart(netsuite):
    """Redis goes away and comes back: the worker reconnects, loses nothing."""
    from harness.redis_server import RedisServer
    from harness.worker import Workers

    srv = RedisServer(appendonly=True, fsync="always").start()
    ws = Workers(srv, netsuite)
    try:
        r = srv.client()
        w = ws.start(ws.config(redis={"address": srv.address,
                                      "timeout_ms": 500}))
        first = enqueue_orders(r, 3)
        wait_state(r, first, timeout=20)

        srv.stop()
        time.sleep(1.0)
        srv.start()
        r = srv.client()
        second = enqueue_orders(r, 3, start=10)
        wait_state(r, first + second, timeout=30)

        assert w.alive()
        assert_exactly_once(netsuite, first + second)
        assert any(l.get("msg", "").startswith("redis") for l in w.logs())
    finally:
        ws.cleanup()
        srv.cleanup()


def test_poison_entry_dead_lettered(redis, netsuite, workers):
    """An entry consumers kept dying on is parked, not retried forever."""
    oid, fields = order_event(1)
    key = stream_key(shard_of(oid))
    eid = enqueue(redis, fields)
    for s in range(8):
        redis.xgroup_create("ctns:{%d}:events" % s, "ctns-workers", id="0",
                            mkstream=True)
    redis.xreadgroup("ctns-workers", "ghost", {key: ">"})
    redis.execute_command("XCLAIM", key, "ctns-workers", "ghost", 0, eid,
                          "RETRYCOUNT", 11, "JUSTID")

    workers.start(workers.config(worker={"claim_idle_ms": 1000,
                                         "max_deliveries": 10}))
    wait_state(redis, [oid], state="dead", timeout=20)
    d = dlq(redis)[0][1]
    assert d["code"] == "POISON" and "12 times" in d["detail"]
    assert not sales_orders(netsuite)
    wait_until(lambda: pending(redis) == 0, timeout=10, what="ack")


def test_two_workers_keep_order_per_resource(redis, netsuite, workers):
    """Events of one order read by different processes apply in order."""
    netsuite.set_config({"latency": {"default_ms": 20}})
    conf = workers.config(worker={"prefetch": 8})
    conf["netsuite"]["concurrency"] = 2
    pipe = redis.pipeline(transaction=False)
    oids = [order_event(n)[0] for n in range(1, 21)]
    for seq in (1, 2, 3):
        for n in range(1, 21):
            enqueue(pipe, order_event(n, seq=seq)[1])
    pipe.execute()

    workers.start(conf)
    workers.start(conf)
    wait_until(lambda: all(status(redis, "order", o).get("seq") == "3"
                           for o in oids), timeout=90, what="all applied")

    for o in oids:
        actions = [t["action"] for t in audit(redis, "order", o)]
        assert actions == ["posted"] * 3, (o, actions)
    assert_exactly_once(netsuite, oids)


def test_sigterm_hands_unstarted_entries_over(redis, netsuite, workers):
    """Entries a stopping worker read but did not start are claimable at
    once by another worker, without waiting for claim_idle_ms."""
    netsuite.set_config({"latency": {"default_ms": 300}})
    conf = workers.config(worker={"claim_idle_ms": 30000})
    conf["netsuite"]["concurrency"] = 1
    oids = enqueue_orders(redis, 12)
    a = workers.start(conf)
    wait_until(lambda: pending(redis) == 12
               and netsuite.stats()["in_flight"] > 0, timeout=10,
               what="all entries read")
    a.signal(signal.SIGTERM)
    assert a.proc.wait(30) == 0

    netsuite.set_config({"latency": {"default_ms": 0}})
    workers.start(conf)
    wait_state(redis, oids, timeout=15)
    assert_exactly_once(netsuite, oids)


def test_refused_outcome_write_leaves_the_entry_pending(redis, netsuite,
                                                        workers):
    """Redis out of memory refuses the retry schedule (ZADD is denyoom)
    but would still take an XACK (it is not): the entry is acknowledged
    only after its outcome was written, so it stays pending and is done
    once Redis takes writes again."""
    netsuite.set_config({"latency": {"default_ms": 1500, "jitter_ms": 0,
                                     "routes": []}})
    netsuite.add_faults([{
        "id": "down", "phase": "before_commit",
        "match": {"path_regex": "^/services/rest/record/"},
        "action": {"type": "status", "status": 503}, "times": 0}])
    workers.start(workers.config(retry={"base_ms": 20, "cap_ms": 200,
                                        "max_attempts": 30}))
    oid = enqueue_orders(redis, 1)[0]
    wait_until(lambda: netsuite.stats()["in_flight"] >= 1, timeout=10,
               interval=0.02, what="a NetSuite request in flight")

    redis.config_set("maxmemory", 1)
    try:
        wait_until(lambda: netsuite.stats()["requests_by_status"]
                   .get("503"), timeout=10, what="the 503")
        time.sleep(0.5)
        assert pending(redis) == 1
    finally:
        redis.config_set("maxmemory", 0)

    netsuite.clear_faults()
    netsuite.set_config({"latency": {"default_ms": 0}})
    wait_state(redis, [oid], timeout=60)
    assert_exactly_once(netsuite, [oid])
