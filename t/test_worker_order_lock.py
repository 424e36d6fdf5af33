"""Documents of one order are written one plan at a time.

A payment is its own commercetools resource, so its events are not queued
behind the order's; but a capture before invoicing becomes a customer
deposit linked to the order's sales order, and NetSuite refuses that link
once an invoice transform (the order's DeliveryAdded, running beside it)
has billed the sales order.  The worker therefore also takes the order's
lock for a plan that posts against an order.  These tests run the order
and payment life cycles of many orders through two workers with the two
events of each order side by side, with invoice transforms and deposit
writes slow enough that an unserialized pair always collides.
"""

import copy
import json
import time
import uuid

from harness.common import wait_until
from harness.worker import dlq, drained, enqueue, pending, shard_of, status
from test_map_e2e import fields_of, message, resource

ORDERS = 12
SLOTS = 4                           # per worker; two workers


def life_cycle(n):
    """Order n cloned from the USD fixture: its resources for the
    commercetools simulator and its three events."""
    order = resource("order-simple-usd.json")
    payment = resource("payment-charge-success.json")
    oid = str(uuid.UUID(int=0x7e57 << 112 | n))
    pid = str(uuid.UUID(int=0x7e58 << 112 | n))
    number = "ORD-L%04d" % n
    order.update(id=oid, orderNumber=number)
    order["paymentInfo"]["payments"][0]["id"] = pid
    payment.update(id=pid, key="psp-%d" % n, interfaceId="psp-%d" % n)
    payment["custom"]["fields"]["orderNumber"] = number
    for i, tx in enumerate(payment["transactions"]):
        tx["id"] = str(uuid.UUID(int=0x7e59 << 112 | n << 8 | i))
        tx["interactionId"] = "psp-%d-%d" % (n, i)
    charge = payment["transactions"][-1]["id"]

    created = message("OrderCreated", "order", oid, 1, order=order)
    delivery = copy.deepcopy(
        resource("messages/delivery-added.json")["delivery"])
    delivery["id"] = str(uuid.UUID(int=0x7e5a << 112 | n))
    delivered = message("DeliveryAdded", "order", oid, 2, delivery=delivery)
    captured = message("PaymentTransactionStateChanged", "payment", pid, 5,
                       transactionId=charge, state="Success")
    return {"order": order, "payment": payment, "oid": oid,
            "charge": charge, "delivery": delivery["id"],
            "events": (created, delivered, captured)}


def ct_config(workers, ct_sim, tmp_path, slots):
    secret = tmp_path / "ct-secret"
    secret.write_text(ct_sim.client_secret + "\n")
    conf = workers.config(commercetools={
        "api_url": ct_sim.url, "auth_url": ct_sim.url,
        "project_key": ct_sim.project, "client_id": ct_sim.client_id,
        "client_secret": "file:%s" % secret})
    conf["netsuite"]["concurrency"] = slots
    return conf


def one(netsuite, rtype, eid):
    recs = netsuite.records(type=rtype, externalId=eid)
    assert len(recs) == 1, (rtype, eid, len(recs))
    return recs[0]


def test_order_and_payment_events_of_one_order_serialized(
        redis, netsuite, workers, ct_sim, tmp_path):
    ct_sim.reset()
    cycles = [life_cycle(n) for n in range(1, ORDERS + 1)]
    ct_sim.upsert(orders=[c["order"] for c in cycles],
                  payments=[c["payment"] for c in cycles])

    # the sales orders first, one request at a time
    w = workers.start(ct_config(workers, ct_sim, tmp_path, 1))
    for c in cycles:
        enqueue(redis, fields_of(c["events"][0]))
    wait_until(lambda: drained(redis), timeout=90, interval=0.1,
               what="sales orders posted")
    assert w.stop() == 0
    assert netsuite.stats()["max_in_flight"] == 1

    # then every delivery and every capture, in two processes; invoice
    # transforms and deposit writes are slow, so that unserialized, a
    # deposit reads its sales order unbilled while the invoice is on its
    # way and is written after the invoice billed it (the engine before
    # the order lock dead-lettered most of them)
    netsuite.set_config({"concurrency": {"limit": 2 * SLOTS},
                         "latency": {"default_ms": 20, "routes": [
        {"method": "POST", "path_regex": "!transform/invoice",
         "before_commit_ms": 600},
        {"method": "PUT", "path_regex": "/customerDeposit/",
         "before_commit_ms": 900}]}})
    conf = ct_config(workers, ct_sim, tmp_path, SLOTS)
    conf["worker"]["prefetch"] = 4
    workers.start(conf)
    workers.start(conf)
    pipe = redis.pipeline(transaction=False)
    for c in cycles:
        enqueue(pipe, fields_of(c["events"][1]))
    for c in cycles:
        enqueue(pipe, fields_of(c["events"][2]))
    pipe.execute()
    wait_until(lambda: drained(redis), timeout=120, interval=0.1,
               what="deliveries and captures posted")

    assert not dlq(redis), [json.loads(d["error"])["detail"]
                            for _, d in dlq(redis)]
    for c in cycles:
        so = one(netsuite, "salesOrder", "ct-order-" + c["oid"])
        inv = one(netsuite, "invoice",
                  "ct-inv-%s-%s" % (c["oid"], c["delivery"]))
        dep = one(netsuite, "customerDeposit", "ct-dep-" + c["charge"])
        assert inv["total"] == 128.40 and dep["payment"] == 128.40
        if "salesOrder" in dep:
            # deposit first: billing applied it
            assert dep["salesOrder"]["id"] == so["id"]
            assert inv["amountRemaining"] == 0
        else:
            # invoice first: the deposit is a credit for the customer
            assert inv["amountRemaining"] == 128.40
        st = status(redis, "order", c["oid"])
        assert st["state"] == "synced", st
        eids = {r["externalId"] for r in json.loads(st["records"])}
        assert {"ct-dep-" + c["charge"], inv["externalId"]} <= eids

    # unrelated orders still fill every slot of both processes
    stats = netsuite.stats()
    assert stats["max_in_flight"] == 2 * SLOTS
    assert stats["rejected_429"] == 0


def test_payment_waits_for_a_held_order_lock(redis, netsuite, workers,
                                             ct_sim, tmp_path):
    """The order's lock held elsewhere (an order event in another process)
    keeps the payment's plan from starting; released, it posts."""
    ct_sim.reset()
    c = life_cycle(1)
    ct_sim.upsert(orders=[c["order"]], payments=[c["payment"]])
    conf = ct_config(workers, ct_sim, tmp_path, 2)
    workers.start(conf)
    enqueue(redis, fields_of(c["events"][0]))
    wait_until(lambda: drained(redis), timeout=30, interval=0.1,
               what="sales order posted")

    lock = "ctns:{%d}:lock:order:%s" % (shard_of(c["oid"]), c["oid"])
    redis.set(lock, "elsewhere:event", px=60000)
    enqueue(redis, fields_of(c["events"][2]))
    wait_until(lambda: status(redis, "payment", c["payment"]["id"])
               .get("state") == "pending", timeout=20, interval=0.05,
               what="payment mapped")
    time.sleep(1)
    assert netsuite.records(type="customerDeposit") == []
    assert redis.get(lock) == "elsewhere:event"
    assert pending(redis) == 1

    redis.delete(lock)
    wait_until(lambda: drained(redis), timeout=20, interval=0.1,
               what="payment posted")
    dep = one(netsuite, "customerDeposit", "ct-dep-" + c["charge"])
    assert "salesOrder" in dep
    assert not dlq(redis)
