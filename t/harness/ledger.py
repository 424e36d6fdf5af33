"""Signed traffic with known ids, and the ledger it must balance to.

    traffic = Traffic(port, (order_message(n) for n in range(100))).start()
    ...faults...
    summary = balance(redis, netsuite, traffic)     # after traffic.join()

Traffic behaves like a real sender: a delivery not acknowledged with a 2xx
(503 while Redis is down, a reset during a reload) is sent again until
`deadline`.  balance() waits until every acknowledged order is synced or
dead, then counts: every acknowledged delivery must be in NetSuite exactly
once (one sales order with its two lines) or in the dead-letter stream
with its reason, and nothing else may be in either.
"""

import collections
import json
import threading
import time
import uuid

from harness.common import wait_until

# harness.webhook and harness.worker are pytest plugins loaded after this
# one (alphabetically): imported where used, so that pytest can still
# rewrite their asserts.


def order_message(n, prefix="FLT"):
    """OrderCreated of a fresh order, orderNumber <prefix>-<n>."""
    from harness.webhook import load_message
    m = load_message("order-created.json")
    oid = str(uuid.uuid4())
    m["id"] = str(uuid.uuid4())
    m["resource"]["id"] = oid
    m["order"]["id"] = oid
    m["order"]["orderNumber"] = "%s-%06d" % (prefix, n)
    m["resourceUserProvidedIdentifiers"]["orderNumber"] = \
        "%s-%06d" % (prefix, n)
    return m


class Traffic:
    """Threads sending deliveries until each is acknowledged.

    messages: an iterable of commercetools messages (a message sent twice
    is a redelivery, answered as a duplicate).  rate: deliveries per
    second over all threads (None: as fast as they go).  sent: message id
    -> order id of every delivery attempted; acked: the same once a 2xx
    came back; codes counts every answer (None = connection error);
    latency holds the seconds of each acknowledged attempt.
    """

    def __init__(self, port, messages, threads=4, rate=None, deadline=90,
                 path="/ct"):
        self.port = port
        self.messages = iter(messages)
        self.threads = threads
        self.rate = rate
        self.deadline = deadline
        self.path = path
        self.sent, self.acked = {}, {}
        self.codes = collections.Counter()
        self.latency = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.workers = []
        self.t0 = self.elapsed = None
        self.next_at = None

    def _one(self, m):
        from harness.webhook import post as http_post, sign
        body = json.dumps(m).encode()
        end = time.monotonic() + self.deadline
        with self.lock:
            self.sent[m["id"]] = m["resource"]["id"]
        while time.monotonic() < end:
            t = time.monotonic()
            try:
                st, _, _ = http_post(self.port, self.path, body, sign(body),
                                     timeout=10)
            except OSError:
                st = None
            with self.lock:
                self.codes[st] += 1
                if st in (200, 202):
                    self.acked[m["id"]] = m["resource"]["id"]
                    self.latency.append(time.monotonic() - t)
                    return
            time.sleep(0.1)

    def _take(self):
        """The next message at its slot of the fixed rate, or None."""
        with self.lock:
            if self.stopped.is_set():
                return None
            m = next(self.messages, None)
            if m is None or not self.rate:
                return m
            at = self.next_at
            self.next_at += 1.0 / self.rate
        time.sleep(max(0.0, at - time.monotonic()))
        return m

    def _run(self):
        while True:
            m = self._take()
            if m is None:
                return
            self._one(m)

    def start(self):
        self.t0 = self.next_at = time.monotonic()
        self.workers = [threading.Thread(target=self._run)
                        for _ in range(self.threads)]
        for t in self.workers:
            t.start()
        return self

    def stop(self):
        """No new deliveries; those under way are still retried."""
        self.stopped.set()

    def join(self):
        for t in self.workers:
            t.join()
        self.elapsed = time.monotonic() - self.t0
        return self

    def running(self):
        return any(t.is_alive() for t in self.workers)

    def p99(self):
        lat = sorted(self.latency)
        return lat[max(0, int(len(lat) * 0.99) - 1)] if lat else None


def dead_letters(redis):
    from harness.worker import dlq
    return {f["id"]: f for _, f in dlq(redis)}


def balance(redis, netsuite, traffic, timeout=90):
    """Joins traffic, waits for every acknowledged order to settle, counts.

    Returns the summary {deliveries, acknowledged, synced, dead, lost,
    duplicates} and the findings: unacked, lost, duplicates, strangers
    (sales orders of no delivery), doubled (lines doubled), unknown_dead,
    reasonless (dead letters without a reason).
    """
    from harness.worker import status
    traffic.join()

    def settled():
        dead = dead_letters(redis)
        return all(mid in dead or status(redis, "order", oid).get("state")
                   == "synced" for mid, oid in traffic.acked.items())

    try:
        wait_until(settled, timeout=timeout, interval=0.25,
                   what="every acknowledged order synced or dead")
    except TimeoutError:
        pass                 # the balance names what is missing

    sos = netsuite.records(type="salesOrder")
    eids = collections.Counter(so["externalId"] for so in sos)
    dead = dead_letters(redis)
    orders = {"ct-order-" + oid: mid for mid, oid in traffic.sent.items()}
    synced = {mid for e, mid in orders.items() if e in eids}

    found = {
        "unacked": [m for m in traffic.sent if m not in traffic.acked],
        "lost": [m for m in traffic.acked if m not in synced
                 and m not in dead],
        "duplicates": {e: c for e, c in eids.items() if c > 1},
        "strangers": [e for e in eids if e not in orders],
        "doubled": [so["externalId"] for so in sos
                    if len(so["item"]["items"]) != 2],
        "unknown_dead": [m for m in dead if m not in traffic.sent],
        "reasonless": [m for m, f in dead.items()
                       if not (f.get("code") or f.get("detail")
                               or f.get("error"))],
    }
    summary = {"deliveries": len(traffic.sent),
               "acknowledged": len(traffic.acked), "synced": len(synced),
               "dead": len(dead), "lost": len(found["lost"]),
               "duplicates": sum(c - 1 for c in
                                 found["duplicates"].values())}
    return summary, found
