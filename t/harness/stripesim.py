"""The Stripe API stand-in (t/sim/stripe_sim.py) as a fixture, and signing.

    def test_x(stripe_sim):
        st, body = stripe_sim.get("/v1/balance_transactions?payout=po_1")

stripe_sign() builds a Stripe-Signature header the way Stripe does
("t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>", the whsec_ secret used
verbatim as the key), written independently of lib/ctns_stripe_sig.c.
"""

import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import time

import pytest

from harness.common import TDIR, fixture_path, free_port, stop_process, \
    wait_port, wait_until

SIM = os.path.join(TDIR, "sim", "stripe_sim.py")
SEED = fixture_path("settlements", "stripe-payouts.json")
API_KEY = "sk_test_ctnsStripeSimKey0000000001"
WHSEC = "whsec_ctnsTestEndpointSecret000000000001"
WHSEC2 = "whsec_ctnsTestEndpointSecret000000000002"


def stripe_sign(body, secrets=(WHSEC,), t=None):
    """Stripe-Signature for body (bytes), one v1 per secret."""
    t = int(time.time()) if t is None else t
    msg = b"%d." % t + body
    v1 = ",".join("v1=" + hmac.new(s.encode(), msg, hashlib.sha256)
                  .hexdigest() for s in secrets)
    return "t=%d,%s" % (t, v1)


def stripe_post(n, event, header=None, secrets=(WHSEC,), t=None):
    """Delivers event to the /stripe location of nginx n, signed unless
    header is given (False: no Stripe-Signature at all)."""
    from harness.webhook import post
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}
    sig = header if header is not None else stripe_sign(body, secrets, t)
    if sig is not False:
        headers["Stripe-Signature"] = sig
    return post(n.port, "/stripe", body, headers)


def stripe_seed():
    with open(SEED) as fh:
        return json.load(fh)


def payout_event(event_type, payout, evt_id):
    """A Stripe event of event_type about payout (a payout object)."""
    return {"id": evt_id, "object": "event", "type": event_type,
            "api_version": "2025-06-30.basil", "created": int(time.time()),
            "livemode": False, "pending_webhooks": 1,
            "data": {"object": payout}}


class StripeSim:
    def __init__(self, key=API_KEY, seed=SEED):
        self.key = key
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, SIM, "--port", str(self.port), "--seed", seed,
             "--key", key])
        wait_port(self.port, proc=self.proc)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, key=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": "Bearer " + (key or self.key)}
        try:
            c.request(method, path, body=json.dumps(body) if body else None,
                      headers=headers)
            r = c.getresponse()
            return r.status, json.loads(r.read())
        finally:
            c.close()

    def get(self, path, key=None):
        return self.request("GET", path, key=key)

    def requests(self):
        return self.get("/__admin/requests")[1]

    def stop(self):
        stop_process(self.proc)


@pytest.fixture
def stripe_sim():
    sim = StripeSim()
    yield sim
    sim.stop()


@pytest.fixture
def stripe_edge(nginx_factory, redis_server, redis):
    """nginx with a Stripe endpoint at /stripe; both secrets (rotation)."""
    http = "ct_netsuite_redis %s timeout=1s;" % redis_server.address
    server = """
        location = /stripe {
            ct_netsuite_webhook;
            ct_netsuite_auth stripe secret_file=keys/stripe.secret
                             tolerance=5m;
        }
"""
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/stripe.secret",
            "# new and previous endpoint secret\n%s\n%s\n" % (WHSEC, WHSEC2),
            mode=0o600)
    n.start()
    wait_until(lambda: stripe_post(n, {"x": 1})[0] == 400, timeout=10,
               what="redis ready")
    return n
