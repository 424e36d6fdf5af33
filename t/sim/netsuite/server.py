"""HTTP front of the simulator: the request pipeline of spec section 2
(auth, concurrency admission, routing, body checks, latency and faults,
commit, response) on a threaded HTTP/1.1 keep-alive server."""

import copy
import http.server
import random
import re
import select
import socket
import socketserver
import struct
import threading
import time
import traceback
import urllib.parse

from . import admin, api, config as config_mod
from .auth import Auth, AuthFail, random_token
from .store import Store
from .util import (ERROR_CT, INVALID_LOGIN, NsError, dumps, error_body,
                   iso_time)

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"


class Request:
    """What the pipeline knows about one HTTP request."""

    def __init__(self, method, target, headers, body, base):
        self.method = method
        path, _, query = target.partition("?")
        self.raw_path = path
        self.raw_query = query
        self.path = urllib.parse.unquote(path)
        self.query = dict(urllib.parse.parse_qsl(query,
                                                 keep_blank_values=True))
        self.headers = headers
        self.body = body
        self.content_type = (headers.get("Content-Type") or "").strip()
        self.base = base
        self.too_large = False

    def header(self, name, default=None):
        return self.headers.get(name, default)


class Response:
    def __init__(self, status, body=None, headers=None, ctype=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        if ctype:
            self.headers["Content-Type"] = ctype
        self.committed = False
        self.record = None

    @classmethod
    def error(cls, e):
        r = cls(e.status, e.body(), e.headers, ERROR_CT)
        return r

    def payload(self):
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return dumps(self.body)


class Sim:
    """All simulator state; one instance per process."""

    def __init__(self, cfg):
        self.config = cfg
        self.initial_config = copy.deepcopy(cfg)
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.reset(cfg.get("seed", "default"))

    # --- state -------------------------------------------------------

    def reset(self, seed=None, restore_config=False):
        with self.lock:
            if restore_config:
                self.config.clear()
                self.config.update(copy.deepcopy(self.initial_config))
            if seed is not None:
                self.config["seed"] = seed
            self.seed = config_mod.load_seed(self.config["seed"])
            self.rng = random.Random(self.config["rng_seed"])
            self.clock_offset = 0.0
            self.store = Store(self.config, self.seed, self.now)
            self.auth = Auth(self)
            self.seq = 0
            self.log = []
            self.audit = []
            self.faults = []
            self.holds = []
            self.parked = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.rejected_429 = 0
            self.by_status = {}
            self.jobs = {}
            self.idem = {}
            self.fault_seq = 0
            self.add_faults(self.config.get("faults") or [])
            self.cond.notify_all()

    def now(self):
        c = self.config.get("clock", "system")
        if c == "system":
            return time.time() + self.clock_offset
        return float(c)

    def tba_tokens(self):
        return self.config["tba"]["tokens"] or \
            self.seed["credentials"]["tba"]["tokens"]

    def oauth2_clients(self):
        return self.config["oauth2"]["clients"] or \
            self.seed["credentials"]["oauth2"]["clients"]

    def random_token(self):
        with self.lock:
            return random_token(self.rng)

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    # --- faults and holds ------------------------------------------------

    def add_faults(self, rules):
        with self.lock:
            out = []
            for r in rules:
                r = dict(r)
                self.fault_seq += 1
                r.setdefault("id", "fault-%d" % self.fault_seq)
                r.setdefault("phase", "before_commit")
                r.setdefault("times", 0)
                r.setdefault("match", {})
                r["_count"] = 0
                r["_applied"] = 0
                self.faults.append(r)
                out.append(r["id"])
            return out

    def pick_fault(self, phase, req):
        with self.lock:
            for r in self.faults:
                if r["phase"] != phase or not static_match(r["match"], req):
                    continue
                r["_count"] += 1
                m = r["match"]
                if m.get("nth") and r["_count"] not in m["nth"]:
                    continue
                if m.get("every") and r["_count"] % int(m["every"]):
                    continue
                p = m.get("probability")
                if p is not None and self.rng.random() >= float(p):
                    continue
                r["_applied"] += 1
                if r["times"] and r["_applied"] >= r["times"]:
                    self.faults.remove(r)
                return r
        return None

    def hold_if_matching(self, req):
        with self.cond:
            if not any(static_match(h["match"], req) for h in self.holds):
                return
            self.parked += 1
            try:
                while any(static_match(h["match"], req) for h in self.holds):
                    self.cond.wait(1.0)
            finally:
                self.parked -= 1

    def latency(self, phase, req):
        lat = self.config["latency"]
        ms = lat.get("default_ms", 0) if phase == "before_commit" else 0
        jitter = lat.get("jitter_ms", 0) if phase == "before_commit" else 0
        for route in lat.get("routes", []):
            if route.get("method") and route["method"] != req.method:
                continue
            if route.get("path_regex") and \
                    not re.search(route["path_regex"], req.path):
                continue
            ms = route.get(phase + "_ms", 0)
            jitter = route.get("jitter_ms", 0) if phase == "before_commit" \
                else 0
            break
        if jitter:
            with self.lock:
                ms += self.rng.uniform(0, jitter)
        if ms > 0:
            time.sleep(ms / 1000.0)

    # --- logs ------------------------------------------------------------

    def record_log(self, entry):
        with self.lock:
            self.log.append(entry)
            if len(self.log) > self.config.get("log_max", 100000):
                del self.log[:len(self.log) // 10]
            s = str(entry["status"])
            self.by_status[s] = self.by_status.get(s, 0) + 1

    def record_audit(self, seq, req, info, outcome, reason):
        with self.lock:
            self.audit.append(dict({
                "seq": seq, "time": iso_time(self.now()),
                "scheme": info.get("scheme"), "outcome": outcome,
                "reason": reason, "consumer_key": info.get("consumer_key"),
                "token_id": info.get("token_id"), "nonce": info.get("nonce"),
                "timestamp": info.get("timestamp"), "method": req.method,
                "path": req.raw_path}, **{k: v for k, v in info.items()
                                          if k in ("client_id", "kid")}))

    def stats(self):
        with self.lock:
            return {"in_flight": self.in_flight,
                    "max_in_flight": self.max_in_flight,
                    "rejected_429": self.rejected_429,
                    "held": self.parked,
                    "requests": self.seq,
                    "requests_by_status": dict(self.by_status),
                    "records_by_type": self.store.counts(),
                    "jobs": {"total": len(self.jobs),
                             "pending": sum(1 for j in self.jobs.values()
                                            if j["progress"] == "pending")}}


def static_match(m, req):
    """Criteria of a fault/hold match that do not count requests."""
    if m.get("method") and m["method"].upper() != req.method:
        return False
    if m.get("path_regex") and not re.search(m["path_regex"], req.path):
        return False
    if m.get("record_type"):
        if (getattr(req, "record_type", None) or "").lower() != \
                m["record_type"].lower():
            return False
    if m.get("external_id"):
        if m["external_id"] not in request_eids(req):
            return False
    return True


def request_eids(req):
    out = set()
    for seg in req.path.split("/"):
        if seg.startswith("eid:"):
            out.add(seg[4:])
    m = re.search(rb'"externalId"\s*:\s*"([^"]*)"', req.body or b"", re.I)
    if m:
        out.add(m.group(1).decode("utf-8", "replace"))
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NetSuiteSim/1.0"
    timeout = 300
    # headers and body are two writes: with Nagle on, the body waits for
    # the client's delayed ACK (40 ms) -- latency NetSuite does not have
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def _dispatch(self):
        try:
            Pipeline(self.server.sim, self).run()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch
    do_OPTIONS = _dispatch


class Pipeline:
    """One request through the steps of spec section 2."""

    def __init__(self, sim, h):
        self.sim = sim
        self.h = h
        self.sent = False
        self.admitted = False
        self.logged = False
        self.t0 = time.monotonic()
        self.entry = None

    def base_url(self):
        cfg = self.sim.config
        if cfg["base_url_mode"] == "canonical":
            return "https://" + cfg["canonical_host"]
        host = (self.h.headers.get("Host") or "").lower()
        if host.endswith(":80"):
            host = host[:-3]
        return "http://" + host

    def read_body(self, req):
        te = (self.h.headers.get("Transfer-Encoding") or "").lower()
        limit = self.sim.config["limits"]["max_body_bytes"]
        if "chunked" in te:
            chunks = []
            size = 0
            while True:
                n = int(self.h.rfile.readline().split(b";")[0].strip(), 16)
                if n == 0:
                    while self.h.rfile.readline() not in (b"\r\n", b"\n",
                                                          b""):
                        pass
                    break
                size += n
                data = self.h.rfile.read(n)
                self.h.rfile.readline()
                if size <= limit:
                    chunks.append(data)
            req.too_large = size > limit
            return b"".join(chunks) if not req.too_large else b""
        n = int(self.h.headers.get("Content-Length") or 0)
        if n > limit:
            req.too_large = True
            self.h.close_connection = True
            return b""
        return self.h.rfile.read(n) if n else b""

    def run(self):
        sim = self.sim
        self.t0 = time.monotonic()
        req = Request(self.h.command, self.h.path, self.h.headers, b"",
                      self.base_url())
        req.body = self.read_body(req)
        if req.path.startswith("/__admin/"):
            resp = admin.handle(sim, req)
            self.send(resp)
            return
        seq = sim.next_seq()
        api.classify(req)
        self.entry = {"seq": seq, "time": iso_time(sim.now()),
                      "method": req.method, "path": req.path,
                      "query": req.raw_query,
                      "auth": {"scheme": None, "outcome": None,
                               "reason": None},
                      "admitted": False, "status": None, "committed": False,
                      "record": None, "fault": None, "warnings": [],
                      "duration_ms": 0}
        try:
            self.steps(req, seq)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception:
            # A simulator bug: answer 500 with the trace on stderr, so a
            # test sees it instead of a silently dropped connection.
            traceback.print_exc()
            if not self.sent:
                self.send(Response(500, error_body(
                    500, "Simulator error (see its log).", "SIM_BUG"),
                    None, ERROR_CT))
        finally:
            self.release()
            self.finish_entry(None)

    def steps(self, req, seq):
        sim = self.sim
        if self.fault("on_receive", req, None):
            return
        is_token = req.path == TOKEN_PATH
        if not is_token and not self.authenticate(req, seq):
            return
        if not is_token or sim.config["concurrency"]["count_token_endpoint"]:
            if not self.admit():
                return
        if is_token:
            self.token(req, seq)
            return
        try:
            route = api.route(sim, req)
            api.body_checks(sim, req, route)
        except NsError as e:
            self.send(Response.error(e))
            return
        sim.hold_if_matching(req)
        sim.latency("before_commit", req)
        if self.fault("before_commit", req, None):
            return
        resp = api.execute(sim, req, route, self.entry)
        self.entry["committed"] = resp.committed
        self.entry["record"] = resp.record
        if self.fault("after_commit", req, resp):
            return
        sim.latency("after_commit", req)
        self.send(resp)

    # --- steps -------------------------------------------------------

    def authenticate(self, req, seq):
        sim = self.sim
        header = req.header("Authorization") or ""
        info = {"scheme": None}
        try:
            if header.startswith("OAuth "):
                info = {"scheme": "tba"}
                info = sim.auth.tba(req, header)
            elif header.startswith("Bearer "):
                info = {"scheme": "bearer"}
                info = sim.auth.bearer(header[7:].strip())
            else:
                raise AuthFail("MissingAuthorization" if not header
                               else "MalformedHeader")
        except AuthFail as e:
            info = dict(info, **e.info)
            self.entry["auth"] = {"scheme": info.get("scheme"),
                                  "outcome": "fail", "reason": e.reason}
            sim.record_audit(seq, req, info, "fail", e.reason)
            headers = {}
            if info.get("scheme") == "bearer":
                headers["WWW-Authenticate"] = (
                    'Bearer realm="%s", error="invalid_token", '
                    'error_description="Invalid login attempt."'
                    % sim.config["account_id"])
            self.send(Response(401, error_body(401, INVALID_LOGIN,
                                               "INVALID_LOGIN"),
                               headers, ERROR_CT))
            return False
        self.entry["auth"] = {"scheme": info.get("scheme"), "outcome": "ok",
                              "reason": None}
        sim.record_audit(seq, req, info, "ok", None)
        return True

    def admit(self):
        sim = self.sim
        with sim.lock:
            limit = sim.config["concurrency"]["limit"]
            if limit and sim.in_flight >= limit:
                sim.rejected_429 += 1
                over = True
            else:
                sim.in_flight += 1
                sim.max_in_flight = max(sim.max_in_flight, sim.in_flight)
                self.admitted = True
                self.entry["admitted"] = True
                over = False
        if over:
            self.send(Response(429, error_body(
                429, "Concurrent request limit exceeded. Request blocked.",
                "CONCURRENCY_LIMIT_EXCEEDED"), None, ERROR_CT))
            return False
        return True

    def token(self, req, seq):
        if req.method != "POST":
            self.send(Response(405, error_body(
                405, "Method not allowed.", "SIM_METHOD_NOT_ALLOWED"),
                None, ERROR_CT))
            return
        status, body, info = self.sim.auth.issue(req)
        outcome = "ok" if status == 200 else "fail"
        self.entry["auth"] = {"scheme": "oauth2", "outcome": outcome,
                              "reason": info.get("reason")}
        self.sim.record_audit(seq, req, info, outcome, info.get("reason"))
        headers = {"Cache-Control": "no-store"}
        self.send(Response(status, body, headers, "application/json"))

    def fault(self, phase, req, resp):
        """Applies the first matching fault; True when the request ended."""
        rule = self.sim.pick_fault(phase, req)
        if rule is None:
            return False
        action = rule.get("action", {})
        kind = action.get("type", "status")
        committed = resp.committed if resp is not None else False
        self.entry["fault"] = {"id": rule["id"], "phase": phase,
                               "action": kind}
        self.entry["committed"] = committed
        if kind == "delay":
            time.sleep(action.get("delay_ms", 0) / 1000.0)
            return False
        if kind == "status":
            self.send(fault_response(action))
        elif kind == "drop":
            self.close()
        elif kind == "reset":
            self.reset()
        elif kind == "hang":
            self.hang(action.get("max_ms", 60000))
        elif kind == "partial":
            r = resp or Response(200, None, None, "application/json")
            self.send(r, headers_only=True)
            self.close()
        else:
            self.send(fault_response({"status": 500}))
        return True

    # --- output ----------------------------------------------------------

    def release(self):
        """Frees the concurrency slot: processing is over."""
        if self.admitted:
            self.admitted = False
            with self.sim.lock:
                self.sim.in_flight -= 1

    def finish_entry(self, status):
        """Logs the request once, before the client can see the outcome
        (so a test reading the log right after its response finds it)."""
        if self.entry is None or self.logged:
            return
        self.logged = True
        if status is not None:
            self.entry["status"] = status
        self.entry["duration_ms"] = int((time.monotonic() - self.t0) * 1000)
        self.sim.record_log(self.entry)

    def send(self, resp, headers_only=False):
        h = self.h
        self.release()
        body = b"" if headers_only else resp.payload()
        self.finish_entry(resp.status)
        h.send_response(resp.status)
        for k, v in resp.headers.items():
            h.send_header(k, v)
        if h.close_connection:
            h.send_header("Connection", "close")
        if headers_only:
            h.send_header("Content-Length", str(len(resp.payload()) + 10))
        else:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body and h.command != "HEAD":
            h.wfile.write(body)
        h.wfile.flush()
        self.sent = True

    def close(self):
        self.finish_entry(0)
        self.h.close_connection = True
        try:
            self.h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def reset(self):
        self.finish_entry(0)
        self.h.close_connection = True
        c = self.h.connection
        try:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            c.close()
        except OSError:
            pass

    def hang(self, max_ms):
        """Keeps the connection silent until the client gives up."""
        deadline = time.monotonic() + max_ms / 1000.0
        c = self.h.connection
        while time.monotonic() < deadline:
            r, _, _ = select.select([c], [], [], 0.1)
            if r:
                try:
                    if not c.recv(1, socket.MSG_PEEK):
                        break
                except OSError:
                    break
                time.sleep(0.05)
        self.close()


def fault_response(action):
    status = int(action.get("status", 500))
    body = action.get("body", "json")
    if isinstance(body, dict):
        return Response(status, body, None, "application/json")
    if body == "html":
        html = ("<html><head><title>%d</title></head><body><h1>%d Error"
                "</h1><p>Injected by the simulator.</p></body></html>"
                % (status, status)).encode()
        return Response(status, html, None, "text/html")
    if body == "empty":
        return Response(status, None)
    return Response(status, error_body(status, "Injected fault.",
                                       "SIM_INJECTED_FAULT"), None, ERROR_CT)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def serve(cfg, announce=True):
    host, port = cfg["listen"].rsplit(":", 1)
    srv = Server((host.strip("[]"), int(port)), Handler)
    srv.sim = Sim(cfg)
    if announce:
        print("listening on %s:%d" % (host, srv.server_address[1]),
              flush=True)
    return srv
