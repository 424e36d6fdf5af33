"""From a delivery to a synced status: nginx, Redis, ctns-worker and the
NetSuite simulator, read back through the status location."""

from harness.common import wait_until
from harness.status import get, start_status as start
from harness.webhook import deliver, order_created, shard_of


def test_delivery_to_synced_status(nginx_factory, redis_server, redis,
                                   netsuite, workers):
    """A delivery through the webhook, posted by ctns-worker, read back."""
    n = start(nginx_factory, redis_server)
    msg = order_created()
    oid = msg["resource"]["id"]
    msg["order"]["orderNumber"] = "E2E-%s" % oid[:8]
    msg["resourceUserProvidedIdentifiers"] = {
        "orderNumber": msg["order"]["orderNumber"]}
    wait_until(lambda: deliver(n.port, msg)[0] == 202, timeout=10,
               what="redis ready")

    workers.start()

    def synced():
        st, _, body = get(n.port, "/ct/status/orders/" + oid)
        return st == 200 and body["state"] == "synced" and body

    body = wait_until(synced, timeout=60, interval=0.2, what="order synced")
    so = [r for r in body["records"] if r["type"] == "salesOrder"][0]
    assert so["externalId"] == "ct-order-" + oid
    assert so["id"] == netsuite.records(
        type="salesOrder", externalId=so["externalId"])[0]["id"]
    assert so["link"].endswith("/salesOrder.nl?id=%s" % so["id"])
    assert body["audit"][0]["action"] == "posted"
    assert body["audit"][0]["event"] == msg["id"]

    st, _, by_number = get(n.port, "/ct/status/orders/by-number/" +
                           msg["order"]["orderNumber"])
    assert st == 200 and by_number["id"] == oid

    st, _, ev = get(n.port, "/ct/status/events/" + msg["id"])
    assert st == 200 and ev["state"] == "synced"
    assert ev["stream"]["shard"] == shard_of(oid)

    st, _, summary = get(n.port, "/ct/status/")
    assert summary["total"]["pending"] == 0
    assert summary["shards"][shard_of(oid)]["lag"] == 0
    assert summary["ingest"]["deliveries"]["none"]["enqueued"] == 1
