"""ctns-worker reading commercetools for the mapping (CTNS_MAP_NEED).

A payment message carries no order: the mapping asks for the payment and
its order, the worker fetches both from the commercetools simulator with a
cached client-credentials token, on the same non-blocking machinery as the
NetSuite calls, and then posts the plan.
"""

import os

import pytest

from harness.common import wait_until
from harness.worker import (audit, dlq, enqueue, event_fields,
                            event_from_file, load_message, pending, status)

ORDER = "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01"
PAYMENT = "0b4c6a3e-1f2d-4c5b-9a8e-7d6f5e4c3b01"
CHARGE = "a0000000-0000-4000-8000-000000000102"


@pytest.fixture
def ct(ct_sim):
    ct_sim.reset()
    ct_sim.faults()
    return ct_sim


def ct_conf(workers, ct):
    path = os.path.join(workers.secrets, "ct-secret")
    with open(path, "w") as fh:
        fh.write(ct.client_secret)
    return workers.config(commercetools={
        "api_url": ct.url, "auth_url": ct.url, "project_key": ct.project,
        "client_id": ct.client_id, "client_secret": "file:" + path,
        "scopes": "view_orders:%s view_payments:%s" % (ct.project,
                                                       ct.project)})


def charge_event(seq=3, msg_id=None):
    m = load_message("payment-transaction-state-changed.json")
    m["resource"]["id"] = PAYMENT
    m["transactionId"] = CHARGE
    m["sequenceNumber"] = seq
    if msg_id:
        m["id"] = msg_id
    return event_fields(m)


def post_order(redis):
    """The order first: payments are posted against its sales order."""
    enqueue(redis, event_from_file("order-created.json"))
    wait_until(lambda: status(redis, "order", ORDER).get("state")
               == "synced", timeout=20, what="order synced")


def settled(redis):
    return status(redis, "payment", PAYMENT).get("state") in ("synced",
                                                              "dead")


def deposit_upserts(netsuite):
    return [r for r in netsuite.requests() if r["method"] == "PUT"
            and r["path"].endswith("/customerDeposit/eid:ct-dep-" + CHARGE)]


def test_payment_event_fetches_payment_and_order(redis, netsuite, workers,
                                                 ct):
    workers.start(ct_conf(workers, ct))
    post_order(redis)

    ev = charge_event()
    enqueue(redis, ev)
    wait_until(lambda: settled(redis), timeout=20, what="payment settled")

    stats = ct.stats()
    assert stats["tokens_issued"] == 1
    assert stats["by_route"].get("get payment", 0) >= 1
    assert stats["by_route"].get("query order", 0) >= 1

    # the plan was posted: the deposit on the order's sales order
    assert deposit_upserts(netsuite)
    st = status(redis, "payment", PAYMENT)
    assert st["state"] == "synced", dlq(redis)
    assert "ct-dep-" + CHARGE in st["records"]
    # the order's status and trail show the payment's outcome too
    assert status(redis, "order", ORDER)["last_event"] == ev["id"]
    assert [t["event"] for t in audit(redis, "order", ORDER)][-1] == ev["id"]
    assert pending(redis) == 0


def test_commercetools_errors_retried_token_reused(redis, netsuite, workers,
                                                   ct):
    ct.faults({"status": 503, "count": 2, "path": "payments"})
    conf = ct_conf(workers, ct)
    conf["retry"] = {"base_ms": 20, "cap_ms": 100, "max_attempts": 10}
    workers.start(conf)
    post_order(redis)
    ev = charge_event()
    enqueue(redis, ev)
    wait_until(lambda: settled(redis), timeout=30, what="payment settled")

    assert ct.stats()["faults_injected"] == 2
    retries = [t for t in audit(redis, "payment", PAYMENT)
               if t["action"] == "retry"]
    assert len(retries) == 2 and all(t["http"] == "503" for t in retries)
    assert ct.stats()["tokens_issued"] == 1
    assert deposit_upserts(netsuite)


def test_commercetools_token_renewed_after_401(redis, netsuite, workers, ct):
    workers.start(ct_conf(workers, ct))
    post_order(redis)
    enqueue(redis, charge_event(seq=3))
    wait_until(lambda: settled(redis), timeout=20, what="first payment")
    ct.expire_tokens()

    ev = charge_event(seq=4, msg_id="c0ffee00-0000-4000-8000-000000000004")
    enqueue(redis, ev)
    wait_until(lambda: redis.hget("ctns:status:event:" + ev["id"], "state")
               in ("synced", "dead"), timeout=20, what="second payment")
    assert ct.stats()["tokens_issued"] == 2
    assert not any(t["action"] == "retry"
                   for t in audit(redis, "payment", PAYMENT))


def test_without_commercetools_section_dead_letter(redis, netsuite, workers):
    workers.start()
    enqueue(redis, charge_event())
    wait_until(lambda: dlq(redis), timeout=20, what="dead letter")
    d = dlq(redis)[0][1]
    assert d["code"] == "NO_COMMERCETOOLS"
    assert "commercetools" in d["detail"]
