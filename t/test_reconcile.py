"""Reconciliation end to end: ctns-worker reconcile against the
commercetools simulator (a generated day of orders, payments and refunds),
the NetSuite simulator (SuiteQL) and real Redis (the dead-letter stream).

NetSuite is pre-loaded with exactly what the worker posts for that day
(one ct-order-<id> per order with its total, one ct-ref-<txId> per refund),
then gaps are injected: a deleted record, an altered total, a dead event.
The report must list those and nothing else, and the run's counts must
reach the status API (ctns:reconcile:last) for the dashboard.
"""

import csv
import io
import json

import pytest

from harness.common import wait_until
from harness.scenarios import ct_config, start_scenario
from harness.status import get, start_status

CURRENCY = {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4", "JPY": "5",
            "KWD": "6"}
PERIOD = ("--from", "2026-07-01", "--to", "2026-07-02")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    sim, res = start_scenario(tmp_path_factory.mktemp("recon"), 60, 23)
    yield sim, res
    sim.stop()


def money(m):
    return m["centAmount"] / 10 ** m["fractionDigits"]


def expected(res):
    """(eid, type, total, currency, date) the worker posts for the data."""
    out = []
    for o in res["orders"]:
        # the sales order carries the tax: the gross total, also for stores
        # with net prices, where totalPrice is net
        total = o.get("taxedPrice", {}).get("totalGross", o["totalPrice"])
        out.append(("ct-order-" + o["id"], "salesOrder", money(total),
                    total["currencyCode"], o["createdAt"][:10]))
    for p in res["payments"]:
        for tx in p.get("transactions", []):
            if tx["type"] == "Refund" and tx["state"] == "Success":
                out.append(("ct-ref-" + tx["id"], "customerRefund",
                            money(tx["amount"]),
                            tx["amount"]["currencyCode"],
                            tx["timestamp"][:10]))
    return out


def preload(netsuite, rows):
    ids = {}
    for eid, rtype, total, cur, day in rows:
        ids[eid] = netsuite.insert(rtype, {
            "externalId": eid, "tranDate": day, "total": total,
            "currency": {"id": CURRENCY[cur]}, "subsidiary": {"id": "1"}})[0]
    return ids


def conf(workers, sim):
    return ct_config(workers, sim)


def reconcile(workers, c, *args):
    return workers.command("reconcile", *(PERIOD + args), conf=c,
                           timeout=120)


def in_period(rows):
    return [r for r in rows if "2026-07-01" <= r[4] <= "2026-07-02"]


def test_clean_books_have_no_gaps(redis, netsuite, workers, scenario):
    sim, res = scenario
    rows = expected(res)
    preload(netsuite, rows)

    r = reconcile(workers, conf(workers, sim))
    assert r.returncode == 0, r.stdout + r.stderr
    n = len(in_period(rows))
    assert "%d compared, %d matched, 0 gaps" % (n, n) in r.stdout
    assert any(r[1] == "customerRefund" for r in in_period(rows))


def inject_gaps(redis, netsuite, res):
    """The books of the scenario with three gaps: (rows in the period,
    the deleted order, the altered refund, the dead letter's entry id)."""
    rows = in_period(expected(res))
    ids = preload(netsuite, expected(res))
    orders = [r for r in rows if r[1] == "salesOrder"]
    refunds = [r for r in rows if r[1] == "customerRefund"]
    # 1. a record deleted in NetSuite
    gone = orders[3]
    d = netsuite.request("DELETE", netsuite.record_path("salesOrder",
                                                        ids[gone[0]]))
    assert d.status == 204, d.body
    # 2. a total altered in NetSuite (a refund: both kinds are compared)
    altered = refunds[0]
    netsuite.request("DELETE", netsuite.record_path("customerRefund",
                                                    ids[altered[0]]))
    preload(netsuite, [(altered[0], altered[1], round(altered[2] + 1.5, 2),
                        altered[3], altered[4])])
    # 3. a dead-lettered event
    dead = redis.xadd("ctns:dlq", {
        "id": "msg-dead-1", "type": "OrderCreated",
        "resource": "order/" + orders[5][0][9:], "error": "Invalid "
        "Field Value 999 for the following field: item", "code":
        "INVALID_KEY_OR_REF", "http": "400", "attempts": "1"})
    return rows, gone, altered, dead


def test_injected_gaps_and_nothing_else(redis, netsuite, workers, scenario):
    sim, res = scenario
    _, gone, altered, dead = inject_gaps(redis, netsuite, res)

    c = conf(workers, sim)
    r = reconcile(workers, c, "--format", "json")
    assert r.returncode == 1, r.stderr
    rep = json.loads(r.stdout)
    gaps = sorted((g["gap"], g["externalId"]) for g in rep["gaps"])
    assert gaps == sorted([("missing", gone[0]), ("total", altered[0]),
                           ("dead", "msg-dead-1")])
    tot = [g for g in rep["gaps"] if g["gap"] == "total"][0]
    assert tot["commercetoolsTotal"] == "%.2f" % altered[2]
    assert tot["netsuiteTotal"] == "%.2f" % (altered[2] + 1.5)
    dl = [g for g in rep["gaps"] if g["gap"] == "dead"][0]
    assert dl["netsuiteId"] == dead and "INVALID_KEY_OR_REF" in dl["detail"]

    r = reconcile(workers, c, "--format", "csv")
    assert r.returncode == 1
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert sorted(t["gap"] for t in table) == ["dead", "missing", "total"]
    miss = [t for t in table if t["gap"] == "missing"][0]
    assert miss["commercetools_total"] == "%.2f" % gone[2]
    assert miss["netsuite_total"] == ""

    r = reconcile(workers, c)
    assert r.returncode == 1
    assert "3 gaps" in r.stdout


def test_summary_stored_for_the_status_view(redis, netsuite, workers,
                                            scenario, nginx_factory,
                                            redis_server):
    n = start_status(nginx_factory, redis_server)
    wait_until(lambda: get(n.port, "/ct/status/")[0] == 200, timeout=10,
               what="status ready")
    st, _, body = get(n.port, "/ct/status/reconcile")
    assert st == 404 and body["error"] == "no reconciliation run yet"

    sim, res = scenario
    compared = len(inject_gaps(redis, netsuite, res)[0])
    r = reconcile(workers, conf(workers, sim))
    assert r.returncode == 1, r.stdout + r.stderr
    last = json.loads(redis.get("ctns:reconcile:last"))
    finished = last.pop("finished_at")
    assert finished.startswith("20") and finished.endswith("Z")
    assert last == {"from": "2026-07-01T00:00:00.000Z",
                    "to": "2026-07-03T00:00:00.000Z",
                    "compared": compared, "matched": compared - 2,
                    "gaps": 3, "missing": 1, "extra": 0, "mismatch": 1,
                    "dead": 1}
    st, _, body = get(n.port, "/ct/status/reconcile")
    assert st == 200 and body == dict(last, finished_at=finished)

    # a run that could not read a system leaves the last summary alone
    bad = conf(workers, sim)
    bad["netsuite"]["base_url"] = "http://127.0.0.1:1"
    r = reconcile(workers, bad)
    assert r.returncode == 3, r.stdout + r.stderr
    assert json.loads(redis.get("ctns:reconcile:last"))["finished_at"] == \
        finished


def test_extra_record_in_netsuite(redis, netsuite, workers, scenario):
    sim, res = scenario
    preload(netsuite, expected(res) + [(
        "ct-order-00000000-0000-4000-8000-00000000dead", "salesOrder",
        10.0, "USD", "2026-07-01")])
    r = reconcile(workers, conf(workers, sim), "--format", "json")
    assert r.returncode == 1
    gaps = json.loads(r.stdout)["gaps"]
    assert [(g["gap"], g["externalId"]) for g in gaps] == [
        ("extra", "ct-order-00000000-0000-4000-8000-00000000dead")]


def test_bad_arguments(redis, workers, scenario):
    sim, _ = scenario
    c = conf(workers, sim)
    r = workers.command("reconcile", "--from", "2026-07-02", "--to",
                        "2026-07-01", conf=c)
    assert r.returncode == 2 and "--to is not after --from" in r.stderr
    r = reconcile(workers, c, "--format", "xml")
    assert r.returncode == 2


def test_refunds_not_expected_when_the_flow_is_off(redis, netsuite, workers,
                                                   scenario):
    sim, res = scenario
    preload(netsuite, [r for r in expected(res) if r[1] == "salesOrder"])
    c = conf(workers, sim)
    c["flows"]["refunds"] = False
    r = reconcile(workers, c)
    assert r.returncode == 0, r.stdout + r.stderr
