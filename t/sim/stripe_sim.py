#!/usr/bin/env python3
"""A small stand-in for the Stripe API: the balance transactions of payouts.

    stripe_sim.py --port 8123 --seed stripe-payouts.json --key sk_test_x

Serves on loopback only:

  GET /v1/balance_transactions?payout=po_...[&limit=N][&starting_after=txn_]
      [&expand[]=data.source]
      Stripe's list object {"object": "list", "data": [...], "has_more",
      "url"}; limit 1..100 (default 10, as Stripe), paged after the id given
      in starting_after; expand[]=data.source replaces source ids by the
      charge / refund objects of the seed.
  GET /v1/payouts/po_...
  GET /__admin/requests      the requests seen (path and query), for tests
  POST /__admin/payouts      adds or replaces payouts: a list of
                             {"payout": {...}, "balance_transactions": {...}}

Every /v1 request needs "Authorization: Bearer <key>" (or HTTP Basic with
the key as user name, as Stripe accepts); otherwise 401 with Stripe's
error shape.  Unknown payouts are 404 resource_missing; bad parameters
400 parameter_invalid_integer / parameter_unknown.
"""

import argparse
import base64
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    """Payouts by id, their balance transactions, sources, request log."""

    def __init__(self, seed, key):
        self.key = key
        self.lock = threading.Lock()
        self.payouts = {}
        self.txns = {}
        self.sources = {}
        self.requests = []
        for obj in seed.get("charges", []) + seed.get("refunds", []):
            self.sources[obj["id"]] = obj
        self.add(seed.get("payouts", []))

    def add(self, payouts):
        with self.lock:
            for p in payouts:
                po = p["payout"]
                self.payouts[po["id"]] = po
                self.txns[po["id"]] = list(p["balance_transactions"]["data"])


def stripe_error(status, etype, message, code=None, param=None):
    err = {"type": etype, "message": message}
    if code:
        err["code"] = code
    if param:
        err["param"] = param
    return status, {"error": err}


class Handler(BaseHTTPRequestHandler):
    server_version = "stripe-sim/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self):
        auth = self.headers.get("Authorization", "")
        given = ""
        if auth.startswith("Bearer "):
            given = auth[7:]
        elif auth.startswith("Basic "):
            try:
                given = base64.b64decode(auth[6:]).decode().split(":")[0]
            except ValueError:
                given = ""
        return hmac.compare_digest(given.encode(), self.state.key.encode())

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if url.path == "/__admin/requests":
            with self.state.lock:
                return self._send(200, list(self.state.requests))
        with self.state.lock:
            self.state.requests.append({"path": url.path, "query": query})
        if not self._authorized():
            return self._send(*stripe_error(
                401, "invalid_request_error",
                "Invalid API Key provided: the key is not valid"))
        if url.path == "/v1/balance_transactions":
            return self._send(*self._list(query))
        if url.path.startswith("/v1/payouts/"):
            po = self.state.payouts.get(url.path[len("/v1/payouts/"):])
            if po is None:
                return self._send(*stripe_error(
                    404, "invalid_request_error", "No such payout",
                    "resource_missing", "id"))
            return self._send(200, po)
        return self._send(*stripe_error(
            404, "invalid_request_error",
            "Unrecognized request URL (GET: %s)" % url.path))

    def _list(self, query):
        known = {"payout", "limit", "starting_after", "expand[]"}
        for name in query:
            if name not in known:
                return stripe_error(400, "invalid_request_error",
                                    "Received unknown parameter: " + name,
                                    "parameter_unknown", name)
        payout = query.get("payout", [""])[0]
        try:
            limit = int(query.get("limit", ["10"])[0])
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            return stripe_error(400, "invalid_request_error",
                                "Invalid integer: limit must be 1..100",
                                "parameter_invalid_integer", "limit")
        txns = self.state.txns.get(payout)
        if txns is None:
            return stripe_error(404, "invalid_request_error",
                                "No such payout: '%s'" % payout,
                                "resource_missing", "payout")
        start = 0
        after = query.get("starting_after", [None])[0]
        if after is not None:
            ids = [t["id"] for t in txns]
            if after not in ids:
                return stripe_error(400, "invalid_request_error",
                                    "No such balance transaction: " + after,
                                    "resource_missing", "starting_after")
            start = ids.index(after) + 1
        page = [dict(t) for t in txns[start:start + limit]]
        if "data.source" in query.get("expand[]", []):
            for t in page:
                if t.get("source") in self.state.sources:
                    t["source"] = self.state.sources[t["source"]]
        return 200, {"object": "list", "data": page,
                     "has_more": start + limit < len(txns),
                     "url": "/v1/balance_transactions"}

    def do_POST(self):
        if self.path != "/__admin/payouts":
            return self._send(404, {"error": {"message": "not found"}})
        n = int(self.headers.get("Content-Length", "0"))
        self.state.add(json.loads(self.rfile.read(n)))
        return self._send(200, {"ok": True})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()
    with open(args.seed) as fh:
        seed = json.load(fh)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.state = State(seed, args.key)
    srv.serve_forever()


if __name__ == "__main__":
    main()
