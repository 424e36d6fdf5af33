"""The commercetools API simulator as a pytest fixture, plus a small client.

    def test_x(ct_sim):
        token = ct_sim.token()
        order = ct_sim.get("/orders/order-number=ORD-10001", token)

`ct_sim` is module-scoped and seeded from t/fixtures/commercetools and the
settlement payments; call ct_sim.reset() in tests that change data or
faults.  Start your own with CtSim(data=[scenario_dir]).start().
"""

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from harness.common import (TDIR, fixture_path, free_port, stop_process,
                            wait_port)

SIM = os.path.join(TDIR, "sim", "ct_sim.py")
DEFAULT_DATA = [fixture_path("commercetools"),
                fixture_path("settlements", "commercetools-payments.json")]


class CtSim:
    """A ct_sim.py process on a free loopback port."""

    def __init__(self, data=None, project="example-shop",
                 client_id="ct-sim-client", client_secret="ct-sim-secret",
                 token_ttl=172800, port=None):
        self.data = list(DEFAULT_DATA if data is None else data)
        self.project = project
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.port = port or free_port()
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def api_url(self):
        """Base URL of the project's API: url + "/" + project."""
        return "%s/%s" % (self.url, self.project)

    @property
    def auth_url(self):
        return self.url + "/oauth/token"

    def start(self):
        args = [sys.executable, SIM, "--port", str(self.port),
                "--project", self.project, "--client-id", self.client_id,
                "--client-secret", self.client_secret,
                "--token-ttl", str(self.token_ttl)]
        for d in self.data:
            args += ["--data", d]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on"):
            err = self.proc.stderr.read() if self.proc.poll() is not None \
                else ""
            self.stop()
            raise RuntimeError("ct_sim did not start: %r %s" % (line, err))
        wait_port(self.port, proc=self.proc)
        return self

    def stop(self):
        stop_process(self.proc)
        if self.proc:
            for f in (self.proc.stdout, self.proc.stderr):
                f.close()
        self.proc = None

    # HTTP

    def request(self, method, path, body=None, headers=None, timeout=10):
        """(status, headers, decoded JSON or raw bytes) of one request."""
        data = body
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, rh, raw = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, rh, raw = e.code, dict(e.headers), e.read()
        try:
            return status, rh, json.loads(raw) if raw else None
        except ValueError:
            return status, rh, raw

    def token(self, scope=None, client_id=None, client_secret=None):
        """A bearer token (raises on failure)."""
        status, _, body = self.token_request(scope, client_id, client_secret)
        if status != 200:
            raise RuntimeError("token request failed: %s %s" % (status, body))
        return body["access_token"]

    def token_request(self, scope=None, client_id=None, client_secret=None):
        cred = "%s:%s" % (client_id or self.client_id,
                          client_secret or self.client_secret)
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        return self.request(
            "POST", "/oauth/token", urllib.parse.urlencode(form).encode(),
            {"Authorization": "Basic " +
             base64.b64encode(cred.encode()).decode(),
             "Content-Type": "application/x-www-form-urlencoded"})

    def get(self, path, token, params=None):
        """GET /{project}<path>; returns (status, body)."""
        q = "?" + urllib.parse.urlencode(params, doseq=True) if params \
            else ""
        status, _, body = self.request(
            "GET", "/%s%s%s" % (self.project, path, q),
            headers={"Authorization": "Bearer " + token})
        return status, body

    # admin

    def admin(self, method, what, body=None):
        status, _, out = self.request(method, "/__admin/" + what, body)
        if status != 200:
            raise RuntimeError("admin %s %s: %s %s" % (method, what, status,
                                                       out))
        return out

    def upsert(self, orders=(), payments=(), customers=(), bump=True):
        return self.admin("POST", "resources" + ("" if bump else
                                                 "?bump=false"),
                          {"orders": list(orders), "payments": list(payments),
                           "customers": list(customers)})["upserted"]

    def reset(self, empty=False):
        return self.admin("POST", "reset", {"empty": empty})

    def faults(self, *faults, seed=None):
        body = {"faults": list(faults)}
        if seed is not None:
            body["seed"] = seed
        return self.admin("POST", "faults", body)

    def configure(self, **cfg):
        return self.admin("POST", "config", cfg)

    def expire_tokens(self):
        return self.admin("POST", "tokens/expire", {})

    def stats(self):
        return self.admin("GET", "stats")

    def resources(self, kind=None):
        return self.admin("GET", "resources" +
                          ("?type=" + kind if kind else ""))


@pytest.fixture(scope="module")
def ct_sim():
    sim = CtSim().start()
    yield sim
    sim.stop()
