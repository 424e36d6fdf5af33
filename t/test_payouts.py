"""Stripe payouts end to end: a signed payout webhook through the real
nginx into the real Redis, `ctns-worker payouts` fetching the payout's
balance transactions from the Stripe API stand-in (t/sim/stripe_sim.py) and
posting the deposit to the NetSuite simulator; payout.failed reverses it.

The NetSuite records and PSP index entries the payouts link to are set up
as in t/test_settlements.py.
"""

import copy
import json
import os
import time

import pytest

from harness.common import wait_until
from harness.stripesim import API_KEY, payout_event, stripe_post, \
    stripe_seed
from harness.worker import Worker
from test_settlements import (STRIPE_EUR, STRIPE_USD, TX, deposit,
                              deposit_puts, lines, ns_id, ok, run,
                              seed_netsuite, settle_conf, stripe_index)

EUR_PO = "po_1TestEURPayout0000000001"
USD_PO = "po_1TestUSDPayout0000000001"
REV_EUR = "ct-payout-rev-stripe-" + EUR_PO
LEDGER = "ctns:settle:payout:stripe:"


@pytest.fixture
def edge(stripe_edge):
    return stripe_edge


@pytest.fixture
def conf(workers, stripe_sim):
    path = os.path.join(workers.secrets, "stripe-key")
    with open(path, "w") as fh:
        fh.write(API_KEY + "\n")
    c = settle_conf(workers)
    c["settlements"]["psp"]["stripe"]["api"] = {"key": "file:" + path,
                                                "url": stripe_sim.url + "/"}
    return c


def webhook(n, event):
    return stripe_post(n, event)


def payout(po_id):
    for p in stripe_seed()["payouts"]:
        if p["payout"]["id"] == po_id:
            return copy.deepcopy(p["payout"])
    raise KeyError(po_id)


def event(kind, po_id, evt, **changes):
    po = payout(po_id)
    po.update(changes)
    return payout_event(kind, po, evt)


def payouts_once(workers, conf):
    return run(workers, conf, "payouts", "--once")


def stripe_calls(stripe_sim, po_id):
    return [r for r in stripe_sim.requests()
            if r["path"] == "/v1/balance_transactions"
            and r["query"].get("payout") == [po_id]]


def test_paid_webhook_becomes_the_deposit(redis, netsuite, workers, edge,
                                          stripe_sim, conf):
    seed_netsuite(netsuite)
    stripe_index(redis)
    st, _, body = webhook(edge, stripe_seed()["payout_paid_event"])
    assert st == 202, body

    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deposit %s posted" % STRIPE_EUR in r.stdout

    eur = deposit(netsuite, STRIPE_EUR)
    assert round(float(eur["total"]), 2) == 38.77    # the payout's net
    assert lines(eur, "payment") == sorted([
        (ns_id(netsuite, "customerDeposit", "ct-dep-" + TX % "202"), 59.99),
        (ns_id(netsuite, "customerRefund", "ct-ref-" + TX % "203"), -20.0)])
    assert lines(eur, "cashback") == [("610", 0.07), ("610", 1.15)]
    assert deposit(netsuite, STRIPE_USD) is None
    assert redis.hget(LEDGER + EUR_PO, "state") == "posted"

    calls = stripe_calls(stripe_sim, EUR_PO)
    assert len(calls) == 1
    assert calls[0]["query"]["expand[]"] == ["data.source"]
    # the entry is acknowledged: nothing pending in the group
    assert pending(redis) == 0


def test_redelivery_posts_nothing(redis, netsuite, workers, edge,
                                  stripe_sim, conf):
    seed_netsuite(netsuite)
    stripe_index(redis)
    ev = stripe_seed()["payout_paid_event"]
    assert webhook(edge, ev)[0] == 202
    assert payouts_once(workers, conf).returncode == 0
    assert len(deposit_puts(netsuite)) == 1

    # within the dedup window the edge drops it
    st, _, body = webhook(edge, ev)
    assert st == 200 and body["result"] == "duplicate"
    # after it (seen key gone) and as another event of the same payout,
    # the ledger stops it before Stripe or NetSuite are asked
    redis.delete("ctns:{settlements}:seen:" + ev["id"])
    assert webhook(edge, ev)[0] == 202
    assert webhook(edge, event("payout.paid", EUR_PO, "evt_again"))[0] == 202
    before = len(netsuite.requests())
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("already posted") == 2
    assert len(netsuite.requests()) == before
    assert len(stripe_calls(stripe_sim, EUR_PO)) == 1
    assert len(netsuite.records(type="deposit")) == 1


def test_failed_payout_reverses_the_deposit(redis, netsuite, workers, edge,
                                            stripe_sim, conf):
    seed_netsuite(netsuite)
    stripe_index(redis)
    assert webhook(edge, stripe_seed()["payout_paid_event"])[0] == 202
    assert payouts_once(workers, conf).returncode == 0
    dep = deposit(netsuite, STRIPE_EUR)

    failed = event("payout.failed", EUR_PO, "evt_failed1", status="failed",
                   failure_code="account_closed")
    assert webhook(edge, failed)[0] == 202
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reversed by journal entry %s" % REV_EUR in r.stdout

    je = ok(netsuite.get("journalEntry", "eid:" + REV_EUR, expand=True)).json
    rows = sorted((ln["account"]["id"], round(float(ln.get("debit", 0)), 2),
                   round(float(ln.get("credit", 0)), 2))
                  for ln in je["line"]["items"])
    # out of the EUR bank account again, onto the adjustments account
    assert rows == [("14", 0.0, 38.77), ("612", 38.77, 0.0)]
    assert je["subsidiary"]["id"] == "3"
    led = redis.hgetall(LEDGER + EUR_PO)
    assert led["state"] == "reversed" and led["deposit"] == dep["id"]
    assert led["reversal"] == je["id"]
    assert led["reason"] == "failed: account_closed"
    assert redis.hget("ctns:settle:summary", "payouts_reversed") == "1"

    # the same failure again, and a late payout.paid: nothing more
    before = len(netsuite.requests())
    assert webhook(edge, event("payout.canceled", EUR_PO, "evt_c1"))[0] == 202
    assert webhook(edge, event("payout.paid", EUR_PO, "evt_late"))[0] == 202
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(netsuite.requests()) == before
    assert len(netsuite.records(type="journalEntry")) == 1


def pending(redis):
    return redis.xpending("ctns:{settlements}:events",
                          "ctns-payouts")["pending"]


def test_waiting_payout_posts_when_its_lines_link(redis, netsuite, workers,
                                                  edge, stripe_sim, conf):
    seed_netsuite(netsuite)
    stripe_index(redis, refund=False)           # the refund links nothing
    assert webhook(edge, stripe_seed()["payout_paid_event"])[0] == 202
    r = payouts_once(workers, conf)
    assert r.returncode == 3, r.stdout + r.stderr
    assert redis.hget(LEDGER + EUR_PO, "state") == "waiting"
    assert pending(redis) == 1                  # not acknowledged: retried

    stripe_index(redis)                         # the refund is posted now
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert round(float(deposit(netsuite, STRIPE_EUR)["total"]), 2) == 38.77
    assert pending(redis) == 0
    assert redis.hgetall("ctns:settle:summary") == {
        "exceptions": "0", "payouts_waiting": "0"}


def test_canceled_waiting_payout_drops_its_exceptions(redis, netsuite,
                                                      workers, edge,
                                                      stripe_sim, conf):
    seed_netsuite(netsuite)
    stripe_index(redis, refund=False)
    assert webhook(edge, stripe_seed()["payout_paid_event"])[0] == 202
    r = payouts_once(workers, conf)
    assert r.returncode == 3, r.stdout + r.stderr
    assert redis.hgetall("ctns:settle:summary") == {
        "exceptions": "1", "payouts_waiting": "1"}

    assert webhook(edge, event("payout.canceled", EUR_PO, "evt_c2",
                               status="canceled"))[0] == 202
    r = payouts_once(workers, conf)
    assert "canceled, nothing in NetSuite" in r.stdout, r.stdout + r.stderr
    assert redis.hget(LEDGER + EUR_PO, "state") == "canceled"
    assert redis.hgetall("ctns:settle:summary") == {
        "exceptions": "0", "payouts_waiting": "0"}

    # the payout.paid still pending is settled by the ledger now
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert pending(redis) == 0
    assert deposit_puts(netsuite) == []
    assert not netsuite.records(type="journalEntry")


def test_balance_transactions_are_paged(redis, netsuite, workers, edge,
                                        stripe_sim, conf):
    """A payout of 1 charge and 150 one-cent fees: two pages of 100."""
    seed_netsuite(netsuite)
    stripe_index(redis)
    src = copy.deepcopy(stripe_seed()["payouts"][1])
    charge = src["balance_transactions"]["data"][0]
    fees = [dict(src["balance_transactions"]["data"][2], id="txn_fee%03d" % i,
                 amount=-1, net=-1) for i in range(150)]
    po = dict(src["payout"], id="po_paged1", amount=5884 - 150)
    stripe_sim.request("POST", "/__admin/payouts", [
        {"payout": po, "balance_transactions": {"data": [charge] + fees}}])

    assert webhook(edge, payout_event("payout.paid", po, "evt_paged"))[0] \
        == 202
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    calls = stripe_calls(stripe_sim, "po_paged1")
    assert [c["query"].get("starting_after") for c in calls] == \
        [None, ["txn_fee098"]]
    dep = deposit(netsuite, "ct-payout-stripe-po_paged1")
    assert round(float(dep["total"]), 2) == 57.34
    assert len(dep["cashback"]["items"]) == 151


def test_stripe_errors_leave_the_event_pending(redis, netsuite, workers,
                                               edge, stripe_sim, conf):
    seed_netsuite(netsuite)
    stripe_index(redis)
    # a payout Stripe does not know: 404, nothing posted, not acknowledged
    assert webhook(edge, event("payout.paid", EUR_PO, "evt_unknown",
                               id="po_unknown"))[0] == 202
    r = payouts_once(workers, conf)
    assert r.returncode == 1
    assert "answered 404: No such payout" in r.stderr
    assert pending(redis) == 1

    # a wrong API key: refused at once, and the key is never printed
    bad = copy.deepcopy(conf)
    path = os.path.join(workers.secrets, "wrong-key")
    with open(path, "w") as fh:
        fh.write("sk_test_wrong\n")
    bad["settlements"]["psp"]["stripe"]["api"]["key"] = "file:" + path
    t0 = time.monotonic()
    assert webhook(edge, stripe_seed()["payout_paid_event"])[0] == 202
    r = payouts_once(workers, bad)
    assert r.returncode == 1 and "answered 401" in r.stderr
    assert time.monotonic() - t0 < 10
    assert "sk_test_wrong" not in r.stdout + r.stderr
    assert deposit(netsuite, STRIPE_EUR) is None

    # with the right key the EUR payout posts; the unknown one still fails
    r = payouts_once(workers, conf)
    assert r.returncode == 1, r.stdout + r.stderr
    assert deposit(netsuite, STRIPE_EUR) is not None, r.stdout + r.stderr


def test_event_failing_for_good_becomes_a_dead_letter(redis, netsuite,
                                                     workers, edge,
                                                     stripe_sim, conf):
    """After settlements.max_attempts deliveries a failing event goes to
    ctns:dlq, as the worker's dead letters look, and is acknowledged; one
    that recovers before leaves no trace."""
    seed_netsuite(netsuite)
    stripe_index(redis)
    conf["settlements"]["max_attempts"] = 3
    unknown = event("payout.paid", EUR_PO, "evt_never", id="po_unknown")
    assert webhook(edge, unknown)[0] == 202
    assert webhook(edge, stripe_seed()["payout_paid_event"])[0] == 202
    t0 = int(time.time() * 1000)

    # delivery 1: both fail (the API key is wrong)
    bad = copy.deepcopy(conf)
    path = os.path.join(workers.secrets, "wrong-key")
    with open(path, "w") as fh:
        fh.write("sk_test_wrong\n")
    bad["settlements"]["psp"]["stripe"]["api"]["key"] = "file:" + path
    assert payouts_once(workers, bad).returncode == 1
    assert redis.hlen("ctns:{settlements}:failing") == 2
    # delivery 2: the EUR payout posts, and is no longer failing
    r = payouts_once(workers, conf)
    assert r.returncode == 1, r.stdout + r.stderr
    assert deposit(netsuite, STRIPE_EUR) is not None
    assert pending(redis) == 1 and redis.xlen("ctns:dlq") == 0
    # delivery 3 of the unknown payout: dead
    r = payouts_once(workers, conf)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "failed 3 times, dead letter" in r.stderr
    assert pending(redis) == 0
    assert redis.hlen("ctns:{settlements}:failing") == 0

    (dlq_id, dl), = redis.xrange("ctns:dlq")
    entry, = [e for e in redis.xrange("ctns:{settlements}:events")
              if e[1]["id"] == "evt_never"]
    # the entry's own fields, then the worker's dead-letter fields
    assert {k: dl[k] for k in entry[1]} == entry[1]
    assert dl["type"] == "payout.paid" and dl["src"] == "stripe"
    assert dl["http"] == "404" and dl["attempts"] == "3"
    assert "answered 404: No such payout" in dl["detail"]
    assert dl["request"] == \
        "GET /v1/balance_transactions?payout=po_unknown"
    err = json.loads(dl["error"])
    assert err["http"] == 404 and err["detail"] == dl["detail"]
    first, last = int(dl["first_failure"]), int(dl["last_failure"])
    assert t0 <= first < last <= int(dlq_id.split("-")[0])
    assert dl["stream"] == "ctns:{settlements}:events"
    assert dl["entry"] == entry[0]
    assert dl["consumer"].startswith("payouts-")
    assert dl["records"] == "[]" and dl["code"] == ""

    # gone from the consumer's work: the next pass has nothing to do
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert redis.xlen("ctns:dlq") == 1

    # replayed: back to the payouts stream, not to a commercetools shard,
    # where the consumer takes it up again from its first delivery
    r = run(workers, conf, "replay", dlq_id)
    assert r.returncode == 0, r.stdout + r.stderr
    assert redis.xlen("ctns:dlq") == 0
    again = redis.xrange("ctns:{settlements}:events")[-1][1]
    assert {k: again[k] for k in ("id", "type", "src", "payload")} == \
        {k: entry[1][k] for k in ("id", "type", "src", "payload")}
    assert not any(redis.exists("ctns:{%d}:events" % i) for i in range(8))
    r = payouts_once(workers, conf)
    assert r.returncode == 1 and "answered 404" in r.stderr
    assert pending(redis) == 1 and redis.xlen("ctns:dlq") == 0


def test_missing_api_configuration(workers, conf):
    del conf["settlements"]["psp"]["stripe"]["api"]
    r = payouts_once(workers, conf)
    assert r.returncode == 1
    assert "settlements.psp.stripe.api.key is not configured" in r.stderr
    conf["settlements"]["psp"]["stripe"]["api"] = {"key": "sk_inline",
                                                   "url": "ftp://x"}
    r = run(workers, conf, "check-config")
    assert r.returncode == 1
    assert "settlements.psp.stripe.api.key" in r.stderr
    assert "settlements.psp.stripe.api.url" in r.stderr


def test_daemon_consumes_as_events_arrive(redis, netsuite, workers, edge,
                                          stripe_sim, conf):
    seed_netsuite(netsuite)
    stripe_index(redis)
    w = Worker(workers.write(conf), os.path.join(workers.dir, "payouts.log"),
               command="payouts").start()
    try:
        wait_until(lambda: redis.exists("ctns:{settlements}:events"),
                   timeout=10, what="consumer group")
        assert webhook(edge, stripe_seed()["payout_paid_event"])[0] == 202
        wait_until(lambda: deposit(netsuite, STRIPE_EUR), timeout=20,
                   what="deposit of the webhook payout")
    finally:
        assert w.stop() == 0, w.text()
    assert "deposit %s posted" % STRIPE_EUR in w.text()


def test_payout_id_that_is_no_stripe_id_is_not_sent_anywhere(
        redis, netsuite, workers, edge, stripe_sim, conf):
    assert webhook(edge, event("payout.paid", EUR_PO, "evt_odd",
                               id="po_x&payout=po_y"))[0] == 202
    r = payouts_once(workers, conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "is not a Stripe id, ignored" in r.stderr
    assert stripe_sim.requests() == []
    assert pending(redis) == 0
