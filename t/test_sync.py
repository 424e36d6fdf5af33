"""Delta batch sync end to end: ctns-worker sync against the commercetools
simulator (1,000 generated orders and their payments) and real Redis.

Checks that a first run enqueues every resource once, that after
modifications a resumed run enqueues exactly the changed resources (not
those already applied, nor a version a webhook already delivered), that
the cursor only moves past enqueued pages, and that API errors are retried.
"""

import json
import random
import signal
import subprocess
import time

import pytest

from harness.scenarios import ct_config, start_scenario
from harness.common import build_path, wait_until
from harness.worker import SHARDS, shard_of, stream_key

SINCE = "2026-06-30T00:00:00Z"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    sim, res = start_scenario(tmp_path_factory.mktemp("scenario"), 1000, 11)
    yield sim, res
    sim.stop()


@pytest.fixture
def ct(scenario):
    sim, res = scenario
    sim.reset()
    sim.faults()
    return sim, res


def sync_conf(workers, sim, **sync):
    s = {"page_size": 200, "requests_per_second": 500,
         "overlap_seconds": 60}
    s.update(sync)
    return ct_config(workers, sim, sync=s)


def entries(redis):
    out = []
    for s in range(SHARDS):
        out += [f for _, f in redis.xrange(stream_key(s))]
    return out


def sync(workers, conf, *args):
    return workers.command("sync", *args, conf=conf, timeout=120)


def test_delta_sync_enqueues_exactly_the_changed_ones(redis, workers, ct):
    sim, res = ct
    conf = sync_conf(workers, sim)

    r = sync(workers, conf, "--since", SINCE)
    assert r.returncode == 0, r.stderr
    first = entries(redis)
    assert len(first) == 1000 + len(res["payments"])
    assert {f["src"] for f in first} == {"sync"}
    orders = {f["resource"][6:]: f for f in first
              if f["resource"].startswith("order/")}
    assert set(orders) == {o["id"] for o in res["orders"]}
    o = res["orders"][0]
    f = orders[o["id"]]
    assert f["id"] == "chg:order:%s:%d:ResourceUpdated" % (o["id"],
                                                           o["version"])
    assert f["rv"] == str(o["version"]) and f["seq"] == "0"
    assert f["type"] == "OrderCreated"
    assert json.loads(f["payload"])["order"]["id"] == o["id"]
    # the shard the module would choose
    assert any(e["id"] == f["id"] for e in
               [x for _, x in redis.xrange(stream_key(shard_of(o["id"])))])
    # 5 full pages, then the empty one that ends the window
    assert "sync orders: 6 pages, 1000 resources, 1000 enqueued, 0 skipped" \
        in r.stderr
    cursor = json.loads(redis.get("ctns:cursor:orders"))
    assert cursor["until"] == "" and cursor["last"] == ""

    # modify 40 orders and 5 payments in commercetools
    rng = random.Random(5)
    changed = rng.sample(res["orders"], 40)
    for doc in changed:
        doc = dict(doc, custom={"type": {"typeId": "type", "id": "t"},
                                "fields": {"note": "edited"}})
        sim.upsert(orders=[doc])
    pays = rng.sample(res["payments"], 5)
    sim.upsert(payments=pays)
    versions = {c["id"]: c["version"] + 1 for c in changed}

    # 4 already applied at the new version (a webhook got there first),
    # 3 whose change notification the module already enqueued
    applied, delivered = changed[:4], changed[4:7]
    for c in applied:
        redis.hset("ctns:status:order:%s" % c["id"], "rv",
                   versions[c["id"]])
    for c in delivered:
        redis.set("ctns:{%d}:seen:chg:order:%s:%d:ResourceUpdated"
                  % (shard_of(c["id"]), c["id"], versions[c["id"]]),
                  "1-1")
    time.sleep(2.5)          # past the sync's visibility lag

    r = sync(workers, conf, "--resume")
    assert r.returncode == 0, r.stderr
    new = [f for f in entries(redis) if f not in first]
    got = sorted((f["resource"], f["rv"]) for f in new)
    want = sorted([("order/" + c["id"], str(versions[c["id"]]))
                   for c in changed[7:]]
                  + [("payment/" + p["id"], str(p["version"] + 1))
                     for p in pays])
    assert got == want
    assert "sync orders: 1 pages, 40 resources, 33 enqueued, 7 skipped" \
        in r.stderr

    # nothing changed since: the overlap re-reads, enqueues nothing
    before = len(entries(redis))
    r = sync(workers, conf, "--resume")
    assert r.returncode == 0, r.stderr
    assert len(entries(redis)) == before
    assert "0 enqueued" in r.stderr


def test_cursor_moves_only_past_enqueued_pages(redis, workers, ct):
    sim, res = ct
    conf = sync_conf(workers, sim, page_size=50, requests_per_second=4,
                     resources=["orders"])
    path = workers.write(conf)
    proc = subprocess.Popen([build_path("ctns-worker"), "sync", "-c", path,
                             "--since", SINCE], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: redis.get("ctns:cursor:orders") and json.loads(
            redis.get("ctns:cursor:orders"))["last"] and
            len(entries(redis)) >= 120, timeout=30, what="pages enqueued")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()

    cursor = json.loads(redis.get("ctns:cursor:orders"))
    ids = sorted(f["resource"][6:] for f in entries(redis))
    assert cursor["last"] in ids
    # every order up to the cursor is in a stream
    all_ids = sorted(o["id"] for o in res["orders"])
    upto = [i for i in all_ids if i <= cursor["last"]]
    assert set(upto) <= set(ids)
    assert len(ids) < 1000

    r = sync(workers, dict(conf, sync=dict(conf["sync"],
                                           requests_per_second=500)),
             "--resume")
    assert r.returncode == 0, r.stderr
    final = [f["resource"][6:] for f in entries(redis)]
    assert len(final) == 1000 and set(final) == set(all_ids)


def test_api_errors_are_retried(redis, workers, ct):
    sim, res = ct
    sim.faults({"status": 503, "count": 3, "path": "/orders"})
    conf = sync_conf(workers, sim, resources=["orders"])
    r = sync(workers, conf, "--since", SINCE)
    assert r.returncode == 0, r.stderr
    assert len(entries(redis)) == 1000


def test_sync_needs_a_start(redis, workers, ct):
    sim, _ = ct
    conf = sync_conf(workers, sim)
    r = sync(workers, conf, "--resume")
    assert r.returncode == 1
    assert "no cursor in ctns:cursor:orders: start with --since" in r.stderr
    r = sync(workers, conf, "--since", "yesterday")
    assert r.returncode == 2
    r = sync(workers, conf, "--since", SINCE, "--every", "15x")
    assert r.returncode == 2


def test_sync_alone_posts_to_netsuite(redis, netsuite, workers, ct_sim):
    """No webhooks at all: sync enqueues, the worker posts; a second sync
    after the order was applied enqueues nothing."""
    ct_sim.reset()
    ct_sim.faults()
    order = "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01"
    conf = sync_conf(workers, ct_sim, resources=["orders"])

    r = sync(workers, conf, "--since", "2000-01-01")
    assert r.returncode == 0, r.stderr
    assert any(f["resource"] == "order/" + order for f in entries(redis))

    w = workers.start(conf)
    wait_until(lambda: redis.hget("ctns:status:order:" + order, "state")
               in ("synced", "dead"), timeout=30, what="order posted")
    assert redis.hget("ctns:status:order:" + order, "state") == "synced", \
        redis.hgetall("ctns:status:order:" + order)
    assert netsuite.get("salesOrder", "eid:ct-order-" + order).status == 200
    w.stop()

    before = len(entries(redis))
    r = sync(workers, conf, "--since", "2000-01-01")
    assert r.returncode == 0, r.stderr
    assert len(entries(redis)) == before


def test_every_repeats_from_the_cursor_until_sigterm(redis, workers, ct):
    sim, res = ct
    conf = sync_conf(workers, sim, resources=["orders"])
    assert sync(workers, conf, "--since", SINCE).returncode == 0
    first = len(entries(redis))

    path = workers.write(conf)
    proc = subprocess.Popen([build_path("ctns-worker"), "sync", "-c", path,
                             "--resume", "--every", "1s"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        sim.upsert(orders=[dict(res["orders"][7])])
        wait_until(lambda: len(entries(redis)) == first + 1, timeout=20,
                   what="the modified order enqueued by a later round")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()
    assert entries(redis)[-1:] and any(
        f["resource"] == "order/" + res["orders"][7]["id"]
        and f["rv"] == str(res["orders"][7]["version"] + 1)
        for f in entries(redis))
