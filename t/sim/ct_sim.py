#!/usr/bin/env python3
"""commercetools HTTP API simulator for tests, benchmarks and the demo.

    python3 t/sim/ct_sim.py --port P [--data DIR|FILE ...] [--project KEY]
        [--client-id ID --client-secret SECRET] [--token-ttl SECONDS]

Prints "listening on 127.0.0.1:PORT" once it accepts connections.  One
threaded process on loopback, standard library only.

API (the parts a finance sync reads, see docs/sim-commercetools.md):
  POST /oauth/token                         client credentials, HTTP Basic
  GET  /{project}/orders[/{id}|/order-number={n}]
  GET  /{project}/in-store/key={store}/orders/{id}
  GET  /{project}/payments[/{id}|/key={key}]
  GET  /{project}/customers[/{id}|/key={key}]
  GET  /{project}/messages[/{id}]
Queries take where (repeatable), sort (repeatable), limit (<= 500),
offset (<= 10000), withTotal and expand.  Errors use commercetools' body
{statusCode, message, errors[]}.

Admin (no auth, tests only):
  POST /__admin/resources   upsert {"orders":[],"payments":[],"customers":[],
                            "messages":[]}; bumps version and lastModifiedAt
                            unless ?bump=false
  DELETE /__admin/resources/{order|payment|customer}/{id}
  GET  /__admin/resources[?type=order]
  POST /__admin/reset       back to the seed data ({"empty":true}: no data)
  POST /__admin/faults      {"faults":[{status,count,rate,path,target,
                            code,retry_after,body,delay_ms,drop}],"seed":1}
  POST /__admin/config      {"token_ttl":s,"query_lag_ms":ms,"latency_ms":ms}
  POST /__admin/tokens/expire  every issued token becomes invalid
  GET  /__admin/stats
"""

import argparse
import base64
import copy
import datetime
import glob
import json
import os
import random
import re
import secrets
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ct_predicate  # noqa: E402
from ctlib import (classify, compact, ct_error, iso_ms, load_json,  # noqa
                   parse_iso, utcnow)

KINDS = ("order", "payment", "customer", "message")
COLLECTION = {"orders": "order", "payments": "payment",
              "customers": "customer", "messages": "message"}
READ_SCOPE = {"order": "view_orders", "payment": "view_payments",
              "customer": "view_customers", "message": "view_messages"}
MANAGE_SCOPE = {"order": "manage_orders", "payment": "manage_payments",
                "customer": "manage_customers", "message": "view_orders"}
MAX_LIMIT = 500
MAX_OFFSET = 10000
MAX_BODY = 16 * 1024 * 1024
ONE_MS = datetime.timedelta(milliseconds=1)


class HttpError(Exception):
    """An answer in commercetools' error format."""

    def __init__(self, status, code, message, headers=None, **extra):
        super().__init__(message)
        self.status = status
        self.body = ct_error(status, code, message, **extra)
        self.headers = headers or {}


# --- seed data -------------------------------------------------------------

def _collect(obj, out):
    """Adds the resources found in a decoded JSON document to out."""
    if isinstance(obj, list):
        for item in obj:
            _collect(item, out)
        return
    if not isinstance(obj, dict):
        return
    if isinstance(obj.get("results"), list):
        _collect(obj["results"], out)
        return
    grouped = [k for k in COLLECTION if isinstance(obj.get(k), list)]
    if grouped:
        for k in grouped:
            for res in obj[k]:
                out.append((COLLECTION[k], res))
        return
    if obj.get("notificationType") == "Message":
        out.append(("message", message_from_payload(obj)))
        return
    kind = classify(obj)
    if kind:
        out.append((kind, obj))


def message_from_payload(payload):
    """A Message resource from a MessageDeliveryPayload."""
    msg = {k: v for k, v in payload.items()
           if k not in ("notificationType", "projectKey")}
    if "type" not in msg and "payloadNotIncluded" in msg:
        msg["type"] = msg["payloadNotIncluded"].get("payloadType")
    return msg


def load_seed(paths):
    """Resources from files and directories: [(kind, resource), ...].

    A directory contributes resources.json (scenario output), every
    top-level *.json that holds a resource, and messages/*.json."""
    out = []
    for path in paths:
        if os.path.isdir(path):
            files = sorted(glob.glob(os.path.join(path, "*.json")))
            files += sorted(glob.glob(os.path.join(path, "messages",
                                                   "*.json")))
        elif os.path.isfile(path):
            files = [path]
        else:
            raise SystemExit("ct_sim: no such data file or directory: %s"
                             % path)
        for f in files:
            try:
                _collect(load_json(f), out)
            except ValueError as e:
                raise SystemExit("ct_sim: %s: invalid JSON: %s" % (f, e))
    return out


# --- state -------------------------------------------------------------------

class Fault:
    """One injected failure rule."""

    def __init__(self, spec):
        self.status = spec.get("status")
        if self.status is not None and self.status not in (
                429, 500, 502, 503, 504):
            raise HttpError(400, "InvalidInput",
                            "fault status must be 429, 500, 502, 503 or 504")
        self.count = spec.get("count")
        self.rate = float(spec.get("rate", 1.0))
        self.path = re.compile(spec.get("path", ""))
        self.target = spec.get("target", "api")
        if self.target not in ("api", "token", "all"):
            raise HttpError(400, "InvalidInput",
                            "fault target must be api, token or all")
        self.code = spec.get("code")
        self.retry_after = spec.get("retry_after")
        self.body = spec.get("body", "json")
        self.delay = float(spec.get("delay_ms", 0)) / 1000.0
        self.drop = bool(spec.get("drop", False))
        self.hits = 0

    def applies(self, path, is_token, rng):
        if self.count is not None and self.hits >= self.count:
            return False
        if self.target == "api" and is_token:
            return False
        if self.target == "token" and not is_token:
            return False
        if not self.path.search(path):
            return False
        if self.rate < 1.0 and rng.random() >= self.rate:
            return False
        self.hits += 1
        return True

    def describe(self):
        return {"status": self.status, "count": self.count, "rate": self.rate,
                "path": self.path.pattern, "target": self.target,
                "hits": self.hits, "drop": self.drop}


class State:
    """Resources, tokens, faults and counters, behind one lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.project = args.project
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.token_ttl = args.token_ttl
        self.allowed_scopes = ["manage_project:%s" % self.project] + [
            "%s:%s" % (s, self.project) for s in
            ("view_orders", "view_payments", "view_customers",
             "view_messages", "manage_orders")]
        self.query_lag = 0.0
        self.latency = 0.0
        self.seed = load_seed(args.data)
        self.tokens = {}
        self.faults = []
        self.rng = random.Random(1)
        self.in_flight = 0
        try:
            self.reset(empty=False)
        except HttpError as e:
            raise SystemExit("ct_sim: bad seed data: %s" % e)

    def reset(self, empty):
        self.data = {k: {} for k in KINDS}
        self.modified = {}
        self.faults = []
        self.stats = {"requests": 0, "by_status": {}, "by_route": {},
                      "tokens_issued": 0, "faults_injected": 0,
                      "peak_concurrency": 0}
        if not empty:
            for kind, res in self.seed:
                self._put(kind, copy.deepcopy(res), bump=False, at=0.0)

    def _put(self, kind, res, bump, at=None):
        """Stores res (replacing, never changing a stored document);
        `at` is when queries may see it (default: now)."""
        if not isinstance(res, dict) or not isinstance(res.get("id"), str):
            raise HttpError(400, "InvalidInput",
                            "every %s needs a string id" % kind)
        old = self.data[kind].get(res["id"])
        if bump:
            now = utcnow()
            if old is not None:
                res["version"] = old.get("version", 0) + 1
                res["createdAt"] = old.get("createdAt", res.get("createdAt"))
                prev = old.get("lastModifiedAt")
                if prev and parse_iso(prev) >= now:
                    now = parse_iso(prev) + ONE_MS
            else:
                res.setdefault("version", 1)
            res["lastModifiedAt"] = iso_ms(now)
            res.setdefault("createdAt", res["lastModifiedAt"])
        self.data[kind][res["id"]] = res
        self.modified[(kind, res["id"])] = time.monotonic() if at is None \
            else at
        return res

    def upsert(self, doc, bump):
        out = []
        _collect(doc, out)
        if not out:
            raise HttpError(400, "InvalidInput",
                            "no orders, payments, customers or messages "
                            "in the body")
        bad = [k for k, r in out if not isinstance(r, dict) or
               not isinstance(r.get("id"), str)]
        if bad:
            raise HttpError(400, "InvalidInput", "every %s needs a string "
                            "id; nothing was stored" % bad[0])
        with self.lock:
            stored = [(k, self._put(k, copy.deepcopy(r), bump))
                      for k, r in out]
        return [{"typeId": k, "id": r["id"], "version": r.get("version")}
                for k, r in stored]

    def count(self, route, status):
        with self.lock:
            s = self.stats
            s["requests"] += 1
            s["by_status"][str(status)] = s["by_status"].get(str(status),
                                                             0) + 1
            s["by_route"][route] = s["by_route"].get(route, 0) + 1


# --- query evaluation --------------------------------------------------------

def _path_value(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _sort_key(value):
    """Orders None first, then numbers, then strings (datetimes as text
    sort correctly because commercetools always writes milliseconds)."""
    if value is None:
        return (0, 0, "")
    if isinstance(value, bool):
        return (1, int(value), "")
    if isinstance(value, (int, float)):
        return (1, value, "")
    return (2, 0, str(value))


def parse_sorts(values):
    sorts = []
    for raw in values:
        parts = raw.split()
        if len(parts) not in (1, 2) or (len(parts) == 2 and parts[1].lower()
                                        not in ("asc", "desc")):
            raise HttpError(400, "InvalidInput",
                            "Malformed parameter: sort: expected "
                            "'<field> asc|desc', got %r" % raw)
        sorts.append((parts[0], len(parts) == 2 and
                      parts[1].lower() == "desc"))
    if not any(field == "id" for field, _ in sorts):
        sorts.append(("id", False))
    return sorts


def apply_sorts(items, sorts):
    for field, desc in reversed(sorts):
        items.sort(key=lambda r: _sort_key(_path_value(r, field)),
                   reverse=desc)
    return items


def int_param(params, name, default, maximum):
    vals = params.get(name)
    if not vals:
        return default
    try:
        v = int(vals[-1])
    except ValueError:
        raise HttpError(400, "InvalidInput", "Malformed parameter: %s: "
                        "not an integer: %r" % (name, vals[-1]))
    if v < 0 or v > maximum:
        raise HttpError(400, "InvalidInput", "Malformed parameter: %s: "
                        "must be between 0 and %d" % (name, maximum))
    return v


def bool_param(params, name, default):
    vals = params.get(name)
    if not vals:
        return default
    v = vals[-1].lower()
    if v not in ("true", "false"):
        raise HttpError(400, "InvalidInput", "Malformed parameter: %s: "
                        "must be true or false" % name)
    return v == "true"


# --- HTTP --------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ct-sim/1"
    state = None  # set by main()

    def setup(self):
        super().setup()
        # headers and body go out in two writes: do not let Nagle hold
        # the second one back for a delayed ACK
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if os.environ.get("CT_SIM_LOG"):
            sys.stderr.write("ct_sim: " + (fmt % args) + "\n")

    # helpers

    def _send(self, status, body, headers=None, raw=None):
        data = raw if raw is not None else compact(body)
        self.send_response(status)
        ctype = "application/json; charset=utf-8" if raw is None else \
            "text/html"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.status_sent = status

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise HttpError(413, "InvalidInput", "request body too large")
        return self.rfile.read(n) if n else b""

    def _json_body(self):
        raw = self._body()
        try:
            return json.loads(raw.decode("utf-8")) if raw else {}
        except (ValueError, UnicodeDecodeError) as e:
            raise HttpError(400, "InvalidJsonInput",
                            "Request body does not contain valid JSON: %s"
                            % e)

    def _dispatch(self):
        st = self.state
        with st.lock:
            st.in_flight += 1
            st.stats["peak_concurrency"] = max(
                st.stats["peak_concurrency"], st.in_flight)
        self.status_sent = 0
        self.route = "other"
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            if path.startswith("/__admin/"):
                self.route = "admin"
                self._admin(path, params)
                return
            if not self._inject(path):
                return
            if st.latency:
                time.sleep(st.latency)
            if path == "/oauth/token":
                self.route = "token"
                if self.command != "POST":
                    raise HttpError(405, "MethodNotAllowed",
                                    "Use POST for /oauth/token.")
                self._token()
            else:
                self._api(path, params)
        except HttpError as e:
            self._send(e.status, e.body, e.headers)
        except BrokenPipeError:
            pass
        except Exception as e:  # a bug in the simulator: say so loudly
            sys.stderr.write("ct_sim: internal error on %s %s: %r\n"
                             % (self.command, self.path, e))
            self._send(500, ct_error(500, "General", "internal error: %r"
                                     % (e,)))
        finally:
            with st.lock:
                st.in_flight -= 1
            if self.route != "admin":
                st.count(self.route, self.status_sent)

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _dispatch

    # fault injection

    def _inject(self, path):
        st = self.state
        is_token = path == "/oauth/token"
        with st.lock:
            fault = next((f for f in st.faults
                          if f.applies(path, is_token, st.rng)), None)
            if fault is not None:
                st.stats["faults_injected"] += 1
        if fault is None:
            return True
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            self.route = "fault"
            self._body()
            self.close_connection = True
            self.connection.shutdown(2)
            return False
        if fault.status is None:
            return True
        self.route = "fault"
        self._body()
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        if fault.body == "html":
            raw = ("<html><body><h1>%d</h1>upstream error</body></html>"
                   % fault.status).encode()
            self._send(fault.status, None, headers, raw=raw)
            return False
        code, msg = {
            429: ("TooManyRequests", "Too many requests. Please slow down."),
            500: ("General", "Internal Server Error."),
            502: ("General", "Bad Gateway."),
            503: ("OverCapacity", "The service is temporarily unable to "
                  "handle the request. Please retry later."),
            504: ("General", "Gateway Timeout."),
        }[fault.status]
        if fault.code == "PendingOperation":
            code, msg = ("PendingOperation", "A previous operation on this "
                         "resource is still pending. Please retry later.")
        elif fault.code:
            code = fault.code
        self._send(fault.status, ct_error(fault.status, code, msg), headers)
        return False

    # OAuth

    def _token(self):
        st = self.state
        auth = self.headers.get("Authorization", "")
        form = urllib.parse.parse_qs(self._body().decode("utf-8", "replace"))
        bad = ct_error(401, "invalid_client", "Please provide valid client "
                       "credentials using HTTP Basic Authentication.")
        bad["error"] = "invalid_client"
        bad["error_description"] = bad["message"]
        try:
            scheme, _, b64 = auth.partition(" ")
            cid, _, csecret = base64.b64decode(b64, validate=True) \
                .decode("utf-8").partition(":")
            ok = scheme.lower() == "basic"
        except (ValueError, UnicodeDecodeError):
            ok = False
        if not ok or not (secrets.compare_digest(cid, st.client_id) and
                          secrets.compare_digest(csecret, st.client_secret)):
            self._send(401, bad, {"WWW-Authenticate": 'Basic realm="ct"'})
            return
        grant = form.get("grant_type", [""])[-1]
        if grant != "client_credentials":
            err = ct_error(400, "unsupported_grant_type",
                           "Invalid grant type %r." % grant)
            err["error"] = "unsupported_grant_type"
            self._send(400, err)
            return
        wanted = " ".join(form.get("scope", [])).split()
        scopes = wanted or list(st.allowed_scopes)
        for s in scopes:
            if not self._scope_allowed(s):
                err = ct_error(400, "invalid_scope",
                               "Scope %r is not allowed for this client." % s)
                err["error"] = "invalid_scope"
                self._send(400, err)
                return
        token = secrets.token_urlsafe(24)
        with st.lock:
            st.tokens[token] = (time.monotonic() + st.token_ttl, scopes)
            st.stats["tokens_issued"] += 1
        self._send(200, {"access_token": token, "token_type": "Bearer",
                         "expires_in": st.token_ttl,
                         "scope": " ".join(scopes)})

    def _scope_allowed(self, scope):
        st = self.state
        if scope in st.allowed_scopes:
            return True
        base, _, rest = scope.partition(":")
        project, _, store = rest.partition(":")
        return bool(store) and project == st.project and \
            "%s:%s" % (base, project) in st.allowed_scopes

    def _auth(self, kind, store=None):
        st = self.state
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            e = HttpError(401, "invalid_token",
                          "Authorization header with a Bearer token is "
                          "required.")
            e.body["error"] = "invalid_token"
            raise e
        with st.lock:
            entry = st.tokens.get(token)
        if entry is None or entry[0] < time.monotonic():
            e = HttpError(401, "invalid_token",
                          "invalid_token" if entry is None else
                          "The access token provided has expired.")
            e.body["error"] = "invalid_token"
            raise e
        p = st.project
        need = [READ_SCOPE[kind] + ":" + p, MANAGE_SCOPE[kind] + ":" + p,
                "manage_project:" + p]
        if store:
            need += [s + ":" + store for s in need[:2]]
        if not any(s in entry[1] for s in need):
            raise HttpError(403, "insufficient_scope",
                            "Insufficient scope. One of the following scopes "
                            "is missing: %s" % ", ".join(need))

    # API

    def _api(self, path, params):
        st = self.state
        parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
        if self.command not in ("GET", "HEAD"):
            raise HttpError(405, "MethodNotAllowed",
                            "The simulator serves reads only (GET).")
        if not parts:
            raise HttpError(404, "ResourceNotFound", "Unknown endpoint.")
        project = parts[0]
        store = None
        rest = parts[1:]
        if len(rest) >= 2 and rest[0] == "in-store" and \
                rest[1].startswith("key="):
            store = rest[1][4:]
            rest = rest[2:]
        if not rest or rest[0] not in COLLECTION or len(rest) > 2 or (
                store and rest[0] != "orders"):
            raise HttpError(404, "ResourceNotFound",
                            "The endpoint %s was not found." % path)
        kind = COLLECTION[rest[0]]
        self.route = ("get " if len(rest) == 2 else "query ") + kind
        self._auth(kind, store)
        if project != st.project:
            raise HttpError(403, "insufficient_scope",
                            "Insufficient scope for project %r." % project)
        if len(rest) == 1:
            self._send(200, self._query(kind, params, store))
            return
        res = self._lookup(kind, rest[1], store)
        self._send(200, self._expand(res, params.get("expand", [])))

    def _lookup(self, kind, ident, store):
        st = self.state
        with st.lock:
            items = st.data[kind]
            if ident.startswith("order-number=") and kind == "order":
                num = ident[len("order-number="):]
                res = next((r for r in items.values()
                            if r.get("orderNumber") == num), None)
                what = "order number '%s'" % num
            elif ident.startswith("key="):
                key = ident[4:]
                res = next((r for r in items.values()
                            if r.get("key") == key), None)
                what = "key '%s'" % key
            else:
                res = items.get(ident)
                what = "ID '%s'" % ident
            if res is not None and store and \
                    (res.get("store") or {}).get("key") != store:
                res = None
            res = copy.deepcopy(res)
        if res is None:
            raise HttpError(404, "ResourceNotFound",
                            "The Resource with %s was not found." % what)
        return res

    def _expand(self, res, expands):
        """Supports expand=paymentInfo.payments[*]; other paths are kept
        as plain references, as commercetools does for unknown ones."""
        st = self.state
        for exp in expands:
            if exp.replace(" ", "") == "paymentInfo.payments[*]":
                for ref in (res.get("paymentInfo") or {}).get("payments",
                                                              []):
                    with st.lock:
                        obj = st.data["payment"].get(ref.get("id"))
                        if obj is not None:
                            ref["obj"] = copy.deepcopy(obj)
        return res

    def _query(self, kind, params, store):
        st = self.state
        wheres = []
        for w in params.get("where", []):
            try:
                wheres.append(ct_predicate.parse(w))
            except ct_predicate.PredicateError as e:
                raise HttpError(400, "InvalidInput",
                                "Malformed parameter: where: %s" % e)
        sorts = parse_sorts(params.get("sort", []))
        limit = int_param(params, "limit", 20, MAX_LIMIT)
        offset = int_param(params, "offset", 0, MAX_OFFSET)
        with_total = bool_param(params, "withTotal", True)
        horizon = time.monotonic() - st.query_lag
        # stored documents are replaced, never changed in place, so the
        # references can be filtered and sorted outside the lock
        with st.lock:
            items = [r for r in st.data[kind].values()
                     if st.modified.get((kind, r["id"]), 0) <= horizon]
        if store:
            items = [r for r in items
                     if (r.get("store") or {}).get("key") == store]
        for node in wheres:
            items = [r for r in items if ct_predicate.matches(node, r)]
        apply_sorts(items, sorts)
        page = items[offset:offset + limit] if limit else []
        expands = params.get("expand", [])
        if expands:
            page = [self._expand(copy.deepcopy(r), expands) for r in page]
        out = {"limit": limit, "offset": offset, "count": len(page)}
        if with_total:
            out["total"] = len(items)
        out["results"] = page
        return out

    # admin

    def _admin(self, path, params):
        st = self.state
        cmd = (self.command, path.rstrip("/"))
        if cmd == ("POST", "/__admin/resources"):
            bump = bool_param(params, "bump", True)
            self._send(200, {"upserted": st.upsert(self._json_body(), bump)})
        elif cmd == ("GET", "/__admin/resources"):
            kinds = params.get("type") or list(KINDS)
            with st.lock:
                out = {k + "s": list(st.data[k].values()) for k in kinds
                       if k in st.data}
            self._send(200, out)
        elif self.command == "DELETE" and path.startswith(
                "/__admin/resources/"):
            _, _, kind, ident = path.strip("/").split("/", 3)
            with st.lock:
                gone = st.data.get(kind, {}).pop(ident, None)
            if gone is None:
                raise HttpError(404, "ResourceNotFound",
                                "No %s with ID '%s'." % (kind, ident))
            self._send(200, {"deleted": {"typeId": kind, "id": ident}})
        elif cmd == ("POST", "/__admin/reset"):
            body = self._json_body()
            with st.lock:
                st.reset(empty=bool(body.get("empty")))
            self._send(200, {"reset": True})
        elif cmd == ("POST", "/__admin/faults"):
            body = self._json_body()
            specs = body.get("faults", [] if "status" not in body and
                             "delay_ms" not in body and "drop" not in body
                             else [body])
            try:
                faults = [Fault(s) for s in specs]
            except (AttributeError, TypeError, ValueError, re.error) as e:
                raise HttpError(400, "InvalidInput", "bad fault: %s" % e)
            with st.lock:
                st.faults = faults
                if "seed" in body:
                    st.rng = random.Random(body["seed"])
            self._send(200, {"faults": [f.describe() for f in faults]})
        elif cmd == ("GET", "/__admin/faults"):
            with st.lock:
                self._send(200, {"faults": [f.describe()
                                            for f in st.faults]})
        elif cmd == ("POST", "/__admin/config"):
            body = self._json_body()
            with st.lock:
                if "token_ttl" in body:
                    st.token_ttl = int(body["token_ttl"])
                if "query_lag_ms" in body:
                    st.query_lag = float(body["query_lag_ms"]) / 1000.0
                if "latency_ms" in body:
                    st.latency = float(body["latency_ms"]) / 1000.0
            self._send(200, {"token_ttl": st.token_ttl,
                             "query_lag_ms": st.query_lag * 1000,
                             "latency_ms": st.latency * 1000})
        elif cmd == ("POST", "/__admin/tokens/expire"):
            with st.lock:
                n = len(st.tokens)
                st.tokens.clear()
            self._send(200, {"expired": n})
        elif cmd == ("GET", "/__admin/stats"):
            with st.lock:
                out = copy.deepcopy(st.stats)
                out["in_flight"] = st.in_flight - 1
                out["resources"] = {k + "s": len(v)
                                    for k, v in st.data.items()}
            self._send(200, out)
        else:
            raise HttpError(404, "ResourceNotFound",
                            "Unknown admin endpoint %s %s"
                            % (self.command, path))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--data", action="append", default=[],
                    help="seed file or directory (repeatable)")
    ap.add_argument("--project", default="example-shop")
    ap.add_argument("--client-id", default="ct-sim-client")
    ap.add_argument("--client-secret", default="ct-sim-secret")
    ap.add_argument("--token-ttl", type=int, default=172800)
    args = ap.parse_args(argv)
    Handler.state = State(args)
    srv = Server(("127.0.0.1", args.port), Handler)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
