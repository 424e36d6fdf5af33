#!/usr/bin/python3
"""make demo: the whole pipeline on one machine, on loopback.

    /usr/bin/python3 tools/demo.py [--orders 300] [--seed 2026] [--stop]
    /usr/bin/python3 tools/demo.py stop

Starts Redis (AOF on), the NetSuite simulator (seeded, with latency and the
account's concurrency limit), the commercetools simulator, nginx with the
module (examples/demo/nginx.conf: one location per delivery channel, status,
metrics) and ctns-worker (examples/ctns.json with only URLs and secrets
overridden), all in the run directory (build/demo by default) with a pid
file each.  It replays a generated day of orders over five signed channels
with duplicates and out-of-order deliveries, lets one order with a SKU the
mapping does not know fall into the dead-letter stream, fixes the mapping,
replays it, imports the PSP settlement files, and prints one table per
store.  Exit status 1 when the books do not match.

The services keep running afterwards so the status URL it prints can be
queried; `tools/demo.py stop` (make demo-stop) stops every process the
demo started, and so does Ctrl-C during the run.
"""

import argparse
import base64
import copy
import csv
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "t"))
sys.path.insert(0, os.path.join(ROOT, "t", "sim"))

from harness.common import BUILD, FIXTURES, free_port, wait_port  # noqa
from harness.keyserver import cert_file_name                    # noqa
from harness.netsuite import default_credentials                # noqa
import ct_send                                                   # noqa

PYTHON = "/usr/bin/python3"
NGINX = os.environ.get("CTNS_NGINX", "/usr/sbin/nginx")
SIM = os.path.join(ROOT, "t", "sim")
RUN_DIR = os.environ.get("CTNS_DEMO_DIR") or os.path.join(ROOT, "build",
                                                         "demo")
PREFIX = "ctns"
SHARDS = 8
GROUP = "ctns-workers"

# stop order: producers first, Redis last
SERVICES = ("sender-hmac", "sender-pubsub", "sender-sns",
            "sender-eventbridge", "sender-eventgrid", "worker", "nginx",
            "ct-sim", "netsuite-sim", "redis")

CHANNELS = ("hmac", "pubsub", "sns", "eventbridge", "eventgrid")
AUDIENCE = "https://hooks.example.com/ct/pubsub"

# a SKU launched in commercetools before anyone mapped it to a NetSuite item
NEW_SKU = "DEMO-NEW-SKU"

# NetSuite latency per request (ms): real accounts answer in 150-600 ms;
# the demo's day runs about ten times faster, with jitter, while the
# account's concurrency limit is the real one
NS_LATENCY = {"default_ms": 20, "jitter_ms": 10, "routes": []}
NS_CONCURRENCY = 5

# the sections of the worker configuration the mapping owns (docs/mapping.md)
MAPPING_KEYS = ("routing", "items", "tax", "discounts", "shipping",
                "giftcards", "accounts", "flows", "customers",
                "custom_fields", "psp")

DOC_TYPES = ("customer", "salesOrder", "invoice", "customerDeposit",
             "customerPayment", "creditMemo", "customerRefund", "deposit")
DOC_NAMES = {"customer": "customer", "salesOrder": "sales order",
             "invoice": "invoice", "customerDeposit": "customer deposit",
             "customerPayment": "customer payment",
             "creditMemo": "credit memo", "customerRefund": "customer refund",
             "deposit": "bank deposit of a payout"}
DOC_SHORT = {"salesOrder": "SO", "invoice": "INV", "customerDeposit": "DEP",
             "customerPayment": "PAY", "creditMemo": "CM",
             "customerRefund": "REF", "deposit": "BANKDEP",
             "customer": "CUST"}


# --- output ------------------------------------------------------------------

TTY = sys.stdout.isatty()


def say(text=""):
    print(text, flush=True)


def step(text):
    say(("\033[1m==> %s\033[0m" if TTY else "==> %s") % text)


def money(minor, digits):
    if digits == 0:
        return "{:,}".format(minor)
    sign = "-" if minor < 0 else ""
    q, r = divmod(abs(minor), 10 ** digits)
    return "%s%s.%0*d" % (sign, "{:,}".format(q), digits, r)


# --- processes and pid files -------------------------------------------------

class Run:
    """The run directory: logs, configs, pid files of started services."""

    def __init__(self, path):
        self.path = path
        self.pids = os.path.join(path, "pids")

    def p(self, *parts):
        return os.path.join(self.path, *parts)

    def pid_file(self, name):
        return os.path.join(self.pids, name + ".pid")

    def start(self, name, argv, log_name=None, env=None):
        """Starts a service in its own session and records its pid."""
        log = open(self.p("logs", (log_name or name) + ".log"), "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=self.path,
                                env=env, start_new_session=True)
        log.close()
        with open(self.pid_file(name), "w") as fh:
            fh.write("%d\n" % proc.pid)
        return proc

    def ours(self, pid):
        """True if pid is alive and was started for this run directory.

        Every service runs with its working directory inside the run
        directory (redis-server rewrites its command line, so that cannot
        tell); a pid reused by an unrelated process is never signalled.
        """
        try:
            cwd = os.readlink("/proc/%d/cwd" % pid)
            with open("/proc/%d/stat" % pid) as fh:
                zombie = fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return False
        cwd = cwd[:-len(" (deleted)")] if cwd.endswith(" (deleted)") else cwd
        return not zombie and (cwd == self.path or
                               cwd.startswith(self.path + "/"))

    def running(self):
        out = {}
        for name in SERVICES:
            try:
                with open(self.pid_file(name)) as fh:
                    pid = int(fh.read().strip())
            except (OSError, ValueError):
                continue
            if self.ours(pid):
                out[name] = pid
            else:
                os.unlink(self.pid_file(name))
        return out

    def stop(self, name, pid, timeout=20.0):
        """SIGTERM (nginx: SIGQUIT, a graceful stop), then SIGKILL."""
        sig = signal.SIGQUIT if name == "nginx" else signal.SIGTERM
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while self.ours(pid) and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        if self.ours(pid):
            os.killpg(pid, signal.SIGKILL)
        try:
            os.unlink(self.pid_file(name))
        except FileNotFoundError:
            pass

    def stop_all(self, quiet=False):
        procs = self.running()
        for name in SERVICES:
            if name in procs:
                if not quiet:
                    say("    stopping %-14s pid %d" % (name, procs[name]))
                self.stop(name, procs[name])
        return len(procs)


def plain_lines(result):
    """A command's output without the JSON log lines it writes to stderr."""
    return [ln for ln in (result.stdout + result.stderr).splitlines()
            if ln.strip() and not ln.startswith("{")]


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch, in place."""
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict):
            merge_patch(target[k], v)
        else:
            target[k] = copy.deepcopy(v)
    return target


# --- HTTP helpers ------------------------------------------------------------

def http(method, url, body=None, headers=None, timeout=30):
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_json(method, url, body=None, headers=None):
    status, data = http(method, url, body, headers)
    if status >= 400:
        raise RuntimeError("%s %s: %d %s" % (method, url, status, data[:300]))
    return json.loads(data) if data else None


# --- the demo ----------------------------------------------------------------

class Demo:
    def __init__(self, args):
        self.args = args
        self.run = Run(args.run_dir)
        self.ports = {}
        self.secrets = {}
        self.worker_proc = None
        self.conf = None
        self.day = self.run.p("day")
        self.rds = None
        self.notes = []

    # --- set up -------------------------------------------------------------

    def prepare(self):
        if os.geteuid() == 0:
            # nginx's worker processes run as nobody and read the prefix
            d = os.path.dirname(self.run.path)
            while d != "/":
                if os.path.isdir(d) and not os.stat(d).st_mode & 0o001:
                    raise SystemExit("%s is not searchable by others; nginx "
                                     "workers (nobody) could not reach the "
                                     "run directory: choose another "
                                     "--run-dir" % d)
                d = os.path.dirname(d)
        left = self.run.stop_all(quiet=True)
        if left:
            say("    stopped %d service(s) of a previous demo run" % left)
        if os.path.isdir(self.run.path):
            shutil.rmtree(self.run.path)
        for d in ("", "bin", "pids", "logs", "secrets", "nginx", "nginx/logs",
                  "nginx/tmp", "nginx/tmp/body", "nginx/conf",
                  "nginx/conf/ct-netsuite", "nginx/conf/ct-netsuite/sns-certs",
                  "redis"):
            os.makedirs(self.run.p(d), exist_ok=True)
        # nginx workers run as nobody when the demo runs as root
        for d in ("", "bin", "nginx", "nginx/conf", "nginx/conf/ct-netsuite",
                  "nginx/conf/ct-netsuite/sns-certs"):
            os.chmod(self.run.p(d), 0o755)
        for d in ("nginx/logs", "nginx/tmp", "nginx/tmp/body"):
            os.chmod(self.run.p(d), 0o777)
        os.chmod(self.run.p("secrets"), 0o700)
        for name in ("redis", "nginx", "netsuite", "ct"):
            self.ports[name] = free_port()

    def binary(self, name):
        """A private copy of a built file: a rebuild of build/ while the demo
        runs must not rewrite code a running process has mapped."""
        dst = self.run.p("bin", name)
        if not os.path.exists(dst):
            shutil.copy2(os.path.join(BUILD, name), dst)
        return dst

    def secret(self, name, value, where="secrets", mode=0o600):
        """Writes a secret file; returns its path."""
        path = self.run.p(where, name)
        with open(path, "w") as fh:
            fh.write(value + "\n")
        os.chmod(path, mode)
        self.secrets[name] = value
        return path

    def start_redis(self):
        port = self.ports["redis"]
        self.run.start("redis", [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--dir", self.run.p("redis"), "--daemonize", "no",
            "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--logfile", self.run.p("logs", "redis.log")])
        wait_port(port)
        import redis as redis_py
        self.redis_error = redis_py.exceptions.ResponseError
        self.rds = redis_py.Redis(host="127.0.0.1", port=port,
                                  decode_responses=True, socket_timeout=10)
        while True:
            try:
                self.rds.ping()
                break
            except redis_py.exceptions.BusyLoadingError:
                time.sleep(0.05)
        say("    redis          127.0.0.1:%d (AOF on, %s)"
            % (port, self.run.p("redis")))

    def start_netsuite(self):
        port = self.ports["netsuite"]
        cfg = {"listen": "127.0.0.1:%d" % port,
               "concurrency": {"limit": NS_CONCURRENCY},
               "latency": NS_LATENCY}
        path = self.run.p("netsuite-sim.json")
        with open(path, "w") as fh:
            json.dump(cfg, fh, indent=2)
        self.run.start("netsuite-sim", [PYTHON, os.path.join(
            SIM, "netsuite_sim.py"), "--config", path])
        wait_port(port, timeout=20)
        say("    NetSuite sim   http://127.0.0.1:%d (concurrency limit %d, "
            "%d±%d ms per request; real accounts: 150-600 ms)"
            % (port, NS_CONCURRENCY, NS_LATENCY["default_ms"],
               NS_LATENCY["jitter_ms"]))

    def start_ct(self):
        port = self.ports["ct"]
        self.ct_secret = "demo-" + os.urandom(12).hex()
        self.run.start("ct-sim", [
            PYTHON, os.path.join(SIM, "ct_sim.py"), "--port", str(port),
            "--data", self.day, "--project", "example-shop",
            "--client-id", "ctns-reader",
            "--client-secret", self.ct_secret])
        wait_port(port, timeout=20)
        say("    commercetools  http://127.0.0.1:%d/example-shop"
            % port)

    def start_nginx(self):
        conf = self.run.p("nginx", "conf")
        keys = os.path.join(conf, "ct-netsuite")
        self.hmac_secret = "whsec_" + base64.b64encode(
            os.urandom(24)).decode()
        self.eb_key = "eb-" + os.urandom(16).hex()
        self.eg_secret = "eg-" + os.urandom(16).hex()
        self.status_token = "st-" + os.urandom(16).hex()
        self.secret("hmac.secret", self.hmac_secret, "nginx/conf/ct-netsuite")
        self.secret("eventbridge.secret", self.eb_key,
                    "nginx/conf/ct-netsuite")
        self.secret("eventgrid.secret", self.eg_secret,
                    "nginx/conf/ct-netsuite")
        self.secret("status.token", self.status_token,
                    "nginx/conf/ct-netsuite")
        # public key material the key fetcher (ctns-keys) would write
        shutil.copy(os.path.join(FIXTURES, "signatures", "jwks.json"),
                    os.path.join(keys, "google.jwks"))
        shutil.copy(os.path.join(FIXTURES, "signatures",
                                 "TEST-ONLY-self-signed-cert.pem"),
                    os.path.join(keys, "sns-certs",
                                 cert_file_name(ct_send.DEFAULT_CERT_URL)))
        for f in glob.glob(os.path.join(keys, "*.jwks")) + \
                glob.glob(os.path.join(keys, "sns-certs", "*")):
            os.chmod(f, 0o644)

        with open(os.path.join(ROOT, "examples", "demo", "nginx.conf")) as fh:
            text = fh.read()
        prefix = self.run.p("nginx")
        for k, v in (("MODULE", self.binary("ngx_ct_netsuite_module.so")),
                     ("PREFIX", prefix),
                     ("REDIS", "127.0.0.1:%d" % self.ports["redis"]),
                     ("PORT", str(self.ports["nginx"]))):
            text = text.replace("@%s@" % k, v)
        path = os.path.join(conf, "nginx.conf")
        with open(path, "w") as fh:
            fh.write(text)
        argv = [NGINX, "-p", prefix + "/", "-c", path,
                "-e", os.path.join(prefix, "logs", "error.log")]
        t = subprocess.run(argv + ["-t", "-q"], capture_output=True,
                           text=True)
        if t.returncode != 0:
            raise SystemExit("nginx -t failed:\n" + t.stdout + t.stderr)
        self.run.start("nginx", argv)
        wait_port(self.ports["nginx"], timeout=20)
        self.edge = "http://127.0.0.1:%d" % self.ports["nginx"]
        say("    nginx          %s/ct/{%s} + /ct/status/ + /ct/metrics"
            % (self.edge, ",".join(CHANNELS)))

    # --- worker configuration ----------------------------------------------

    def worker_config(self, extra_skus=None):
        """examples/ctns.json with only endpoints and secrets changed."""
        with open(os.path.join(ROOT, "examples", "ctns.json")) as fh:
            conf = json.load(fh)
        with open(os.path.join(ROOT, "examples", "demo",
                               "ctns-overlay.json")) as fh:
            overlay = json.load(fh)
        self.overlay = list(overlay)
        merge_patch(conf, overlay)
        if self.args.mapping:
            with open(self.args.mapping) as fh:
                conf.update({k: v for k, v in json.load(fh).items()
                             if k in MAPPING_KEYS})
        creds = default_credentials()
        with open(creds["ec_private_key"]) as fh:
            pem = fh.read()
        over = {
            "redis.address": "127.0.0.1:%d" % self.ports["redis"],
            "redis.password": None,
            "netsuite.base_url": "http://127.0.0.1:%d"
                                 % self.ports["netsuite"],
            "netsuite.auth.private_key": "file:" + self.secret(
                "netsuite-m2m-key.pem", pem.strip()),
            "commercetools.api_url": "http://127.0.0.1:%d" % self.ports["ct"],
            "commercetools.auth_url": "http://127.0.0.1:%d"
                                      % self.ports["ct"],
            "commercetools.client_secret": "file:" + self.secret(
                "ct-client-secret", self.ct_secret),
        }
        self.overrides = sorted(over)
        # a simulated day runs in minutes: shorter backoff and idle claims
        over.update({"retry.base_ms": 250, "retry.cap_ms": 4000,
                     "worker.claim_idle_ms": 5000, "worker.poll_ms": 20})
        if extra_skus:
            for sku, item in extra_skus.items():
                over["items.skus." + sku] = item
        for dotted, value in over.items():
            node = conf
            keys = dotted.split(".")
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            if value is None:
                node.pop(keys[-1], None)
            else:
                node[keys[-1]] = value
        return conf

    def write_worker_config(self, conf):
        path = self.run.p("ctns.json")
        with open(path, "w") as fh:
            json.dump(conf, fh, indent=2)
        self.conf = path
        r = self.worker_cmd("check-config")
        if r.returncode != 0:
            raise SystemExit("ctns-worker check-config failed:\n"
                             + r.stdout + r.stderr)
        return path

    def worker_cmd(self, *args, timeout=60):
        return subprocess.run([self.binary("ctns-worker"), args[0],
                               "-c", self.conf] + list(args[1:]),
                              capture_output=True, text=True,
                              timeout=timeout)

    def start_worker(self):
        self.worker_proc = self.run.start(
            "worker", [self.binary("ctns-worker"), "run", "-c",
                       self.conf], log_name="worker")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open(self.run.p("logs", "worker.log"), "rb") as fh:
                if b"worker started" in fh.read():
                    return
            if self.worker_proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(self.run.p("logs", "worker.log"), errors="replace") as fh:
            raise SystemExit("ctns-worker did not start:\n"
                             + fh.read()[-3000:])

    def stop_worker(self):
        self.run.stop("worker", self.worker_proc.pid, timeout=40)
        self.worker_proc.wait()

    # --- the day ------------------------------------------------------------

    def generate(self):
        subprocess.run([PYTHON, os.path.join(SIM, "scenario.py"),
                        "--orders", str(self.args.orders),
                        "--seed", str(self.args.seed), "--out", self.day],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.day, "expected.json")) as fh:
            self.expected = json.load(fh)
        self.break_one_order()

    def break_one_order(self):
        """Gives one shipped US order a SKU the mapping does not know."""
        orders = self.expected["orders"]
        victim = next(n for n, o in sorted(orders.items())
                      if o["store"] == "us-web" and not o["cancelled"]
                      and o["returns"] == 0 and o["giftCardSold"] == 0)
        oid = orders[victim]["id"]
        with open(os.path.join(self.day, "resources.json")) as fh:
            res = json.load(fh)
        order = next(o for o in res["orders"] if o["id"] == oid)
        old_sku = order["lineItems"][0]["variant"]["sku"]

        def patch(node):
            if isinstance(node, dict):
                if node.get("id") == oid and "lineItems" in node:
                    for li in node["lineItems"]:
                        if li["variant"].get("sku") == old_sku:
                            li["variant"]["sku"] = NEW_SKU
                for v in node.values():
                    patch(v)
            elif isinstance(node, list):
                for v in node:
                    patch(v)

        patch(res)
        with open(os.path.join(self.day, "resources.json"), "w") as fh:
            json.dump(res, fh, separators=(",", ":"))
        for path in glob.glob(os.path.join(self.day, "messages", "*.json")):
            with open(path) as fh:
                text = fh.read()
            if oid not in text or old_sku not in text:
                continue
            msg = json.loads(text)
            patch(msg)
            with open(path, "w") as fh:
                fh.write(json.dumps(msg, separators=(",", ":")) + "\n")
        self.broken = {"number": victim, "id": oid, "old_sku": old_sku,
                       "item": self.seed_item(old_sku)}

    @staticmethod
    def seed_item(sku):
        """The NetSuite item id the simulator's seed has for a SKU."""
        with open(os.path.join(SIM, "netsuite_seed.json")) as fh:
            seed = json.load(fh)
        for rows in seed["records"].values():
            for r in rows if isinstance(rows, list) else ():
                if r.get("externalId") == "ct-sku-" + sku:
                    return str(r["id"])
        raise SystemExit("no NetSuite item for SKU %s in the seed" % sku)

    def order_of(self):
        """resource id -> order id: an order and its payments share the
        subscription (the channel) that delivers them, as in a project
        with one Subscription for both resource types."""
        with open(os.path.join(self.day, "resources.json")) as fh:
            res = json.load(fh)
        owner = {}
        for o in res["orders"]:
            owner[o["id"]] = o["id"]
            for p in (o.get("paymentInfo") or {}).get("payments", []):
                owner[p["id"]] = o["id"]
        return owner

    def channel_of(self, path, owner):
        with open(path) as fh:
            rid = json.load(fh)["resource"]["id"]
        key = owner.get(rid, rid)
        return CHANNELS[int(hashlib.sha256(key.encode()).hexdigest(), 16)
                        % len(CHANNELS)]

    def send(self):
        """One sender per channel, in parallel, like five subscriptions."""
        files = {c: [] for c in CHANNELS}
        owner = self.order_of()
        for path in sorted(glob.glob(os.path.join(self.day, "messages",
                                                  "*.json"))):
            files[self.channel_of(path, owner)].append(path)
        rate = max(20.0, self.args.orders * 12 / self.args.send_seconds
                   / len(CHANNELS))
        opts = {
            "hmac": ["--secret", self.hmac_secret],
            "pubsub": ["--audience", AUDIENCE, "--reorder", "8"],
            "sns": ["--duplicates", "2"],
            "eventbridge": ["--api-key-header", "x-api-key",
                            "--api-key", self.eb_key, "--reorder", "8"],
            "eventgrid": ["--secret", self.eg_secret, "--duplicates", "2",
                          "--fresh-ids"],
        }
        self.senders = {}
        for c in CHANNELS:
            argv = [PYTHON, os.path.join(SIM, "ct_send.py"),
                    "--url", "%s/ct/%s" % (self.edge, c), "--channel", c,
                    "--concurrency", "2", "--rate", "%.1f" % rate,
                    "--seed", str(self.args.seed), "--retries", "8",
                    "--brief", "--summary", self.run.p("send-%s.json" % c)]
            argv += opts[c] + files[c]
            self.senders[c] = self.run.start("sender-" + c, argv,
                                             log_name="send-" + c)

    # --- progress -----------------------------------------------------------

    def metrics(self):
        """Sums of ctns_deliveries_total by result."""
        try:
            st, body = http("GET", self.edge + "/ct/metrics", timeout=5)
        except OSError as e:
            raise SystemExit("the edge does not answer (%s); see %s"
                             % (e, self.run.p("nginx", "logs", "error.log")))
        out = {}
        for line in body.decode().splitlines():
            m = re.match(r'ctns_deliveries_total\{([^}]*)\} (\d+)', line)
            if m:
                res = re.search(r'result="([^"]+)"', m.group(1)).group(1)
                out[res] = out.get(res, 0) + int(m.group(2))
        return out

    def states(self):
        """Events by worker state (ctns:status:event:*)."""
        keys = list(self.rds.scan_iter(PREFIX + ":status:event:*",
                                       count=1000))
        pipe = self.rds.pipeline(transaction=False)
        for k in keys:
            pipe.hget(k, "state")
        out = {}
        for s in pipe.execute():
            out[s] = out.get(s, 0) + 1
        return out

    def backlog(self):
        """Entries not yet acknowledged (lag + pending) over all shards."""
        n = 0
        for s in range(SHARDS):
            key = "%s:{%d}:events" % (PREFIX, s)
            try:
                for g in self.rds.xinfo_groups(key):
                    if g["name"] == GROUP:
                        n += g["pending"] + (g.get("lag") or 0)
            except self.redis_error:    # no stream or group yet
                pass
        return n

    def progress_line(self):
        m = self.metrics()
        s = self.states()
        delivered = sum(m.values())
        return ("delivered %5d  enqueued %5d  duplicates %4d  synced %5d  "
                "skipped %4d  retrying %3d  dead %3d  backlog %4d"
                % (delivered, m.get("enqueued", 0), m.get("duplicate", 0),
                   s.get("synced", 0), s.get("stale", 0) + s.get("ignored", 0),
                   s.get("retrying", 0), s.get("dead", 0), self.backlog()))

    def wait_quiet(self, what, timeout, senders=()):
        """Shows progress every 2 s until the senders are done, nothing is
        pending or lagging in the streams and no retry is scheduled."""
        deadline = time.monotonic() + timeout
        last = 0.0
        quiet_since = None
        while time.monotonic() < deadline:
            busy = any(p.poll() is None for p in senders)
            if time.monotonic() - last >= 2.0:
                say("    " + self.progress_line())
                last = time.monotonic()
            if not busy and self.backlog() == 0 and \
                    self.rds.zcard(PREFIX + ":retry") == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 1.0:
                    say("    " + self.progress_line())
                    return
            else:
                quiet_since = None
            if self.worker_proc.poll() is not None:
                raise SystemExit("ctns-worker exited (%s); see %s"
                                 % (self.worker_proc.returncode,
                                    self.run.p("logs", "worker.log")))
            time.sleep(0.25)
        raise SystemExit("timed out waiting for %s after %.0f s: %s"
                         % (what, timeout, self.progress_line()))

    # --- steps --------------------------------------------------------------

    def check_senders(self):
        bad = []
        for c, proc in self.senders.items():
            with open(self.run.p("send-%s.json" % c)) as fh:
                summ = json.load(fh)
            if proc.returncode != 0 or summ["failed"]:
                bad.append("%s: %s" % (c, summ["by_status"]))
            self.run.stop("sender-" + c, proc.pid)
        if bad:
            raise SystemExit("deliveries failed: " + "; ".join(bad))

    def dead_letters(self):
        return self.rds.xrange(PREFIX + ":dlq")

    def broken_dead_letters(self):
        """DLQ ids of the broken order's events (order or its payments)."""
        order = self.expected["orders"][self.broken["number"]]
        mine = {"order/" + order["id"]}
        mine.update("payment/" + p["id"] for p in order["payments"])
        return [did for did, f in self.dead_letters()
                if f.get("resource") in mine]

    def show_dead_letters(self):
        dead = self.dead_letters()
        step("Dead-letter stream %s:dlq: %d entr%s"
             % (PREFIX, len(dead), "y" if len(dead) == 1 else "ies"))
        groups = {}
        for did, f in dead:
            why = f.get("detail") or f.get("error") or "?"
            why = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", why)
            why = re.sub(r"ORD-[0-9-]+", "<order>", why)
            why = why.replace("Error while accessing a resource. You have "
                              "entered an ", "")
            key = (f.get("code", ""), why[:100])
            groups.setdefault(key, []).append(f.get("type", ""))
        for (code, why), types in sorted(groups.items(),
                                         key=lambda kv: -len(kv[1])):
            say("    %4d  %-15s %s" % (len(types), code, why))
        return dead

    def fix_and_replay(self):
        self.show_dead_letters()
        ids = self.broken_dead_letters()
        if not ids:
            say("    the order with the unmapped SKU (%s) is not in the "
                "dead-letter stream" % self.broken["number"])
            self.notes.append("the broken order did not reach the DLQ")
            return
        step("Fixing the mapping: items.skus[\"%s\"] = \"%s\" (the "
             "NetSuite item of %s); restarting the worker"
             % (NEW_SKU, self.broken["item"], self.broken["old_sku"]))
        self.stop_worker()
        self.write_worker_config(self.worker_config(
            {NEW_SKU: self.broken["item"]}))
        self.start_worker()
        say("    $ ctns-worker replay -c %s %s" % (
            os.path.relpath(self.conf, self.run.path), " ".join(ids)))
        r = self.worker_cmd("replay", *ids)
        for line in plain_lines(r)[-2:]:
            say("    " + line[:150])
        if r.returncode != 0:
            raise SystemExit("replay failed:\n" + r.stdout + r.stderr)
        self.wait_quiet("the replay", 60)
        left = self.broken_dead_letters()
        state = self.rds.hget("%s:status:order:%s" % (
            PREFIX, self.broken["id"]), "state")
        say("    order %s after the replay: %s%s"
            % (self.broken["number"], state,
               ", %d dead letter(s) left" % len(left) if left else ""))

    def import_settlements(self):
        files = sorted(glob.glob(os.path.join(self.day, "settlements",
                                              "*.csv")))
        stripe = os.path.join(self.day, "settlements", "stripe-payouts.json")
        if not self.has_command("import-settlement"):
            say("    NOT AVAILABLE: this ctns-worker has no "
                "import-settlement command yet; payouts are shown from the "
                "PSP files only")
            self.notes.append("import-settlement not available")
            return False
        failed = []
        for path, fmt in [(f, "adyen") for f in files] + [(stripe, "stripe")]:
            if not os.path.exists(path):
                continue
            r = self.worker_cmd("import-settlement", "--format", fmt, path,
                                timeout=120)
            say("    $ ctns-worker import-settlement -c %s --format %s %s"
                % (os.path.relpath(self.conf, self.run.path), fmt,
                   os.path.relpath(path, self.run.path)))
            for line in plain_lines(r)[-2:]:
                say("      " + line[:150])
            if r.returncode != 0:
                failed.append(os.path.basename(path))
        if failed:
            self.notes.append("import-settlement exited non-zero for %s "
                              "(see `ctns-worker settlements --unmatched`)"
                              % ", ".join(failed))
        return True

    def reconcile(self):
        """ctns-worker reconcile over the day: (exit status, report)."""
        if not self.has_command("reconcile"):
            say("    NOT AVAILABLE: this ctns-worker has no reconcile "
                "command")
            self.notes.append("reconcile not available")
            return None, None
        day = self.expected_date()
        args = ("--from", day + "T00:00:00Z", "--to", day + "T23:59:59Z")
        say("    $ ctns-worker reconcile -c %s %s"
            % (os.path.relpath(self.conf, self.run.path), " ".join(args)))
        r = self.worker_cmd("reconcile", *args, timeout=120)
        text = [ln for ln in r.stdout.splitlines() if ln.strip()]
        for line in text[:8]:
            say("      " + line[:150])
        if len(text) > 9:
            say("      ... %d more lines (%s)" % (len(text) - 9,
                                                  self.run.p("reconcile.txt")))
        if len(text) > 8:
            say("      " + text[-1][:150])
        with open(self.run.p("reconcile.txt"), "w") as fh:
            fh.write(r.stdout + r.stderr)
        return r.returncode, text[-1] if text else ""

    def has_command(self, name):
        probe = self.worker_cmd(name, "--help")
        return "unknown command" not in probe.stdout + probe.stderr

    def expected_date(self):
        with open(os.path.join(self.day, "manifest.json")) as fh:
            return json.load(fh)["date"]

    # --- the books -----------------------------------------------------------

    def ns_records(self, rtype):
        url = "http://127.0.0.1:%d/__admin/records?type=%s" % (
            self.ports["netsuite"], rtype)
        return http_json("GET", url)["items"]

    def payouts(self):
        """Payout per currency from the PSP files (minor units)."""
        out = {}
        for path in glob.glob(os.path.join(self.day, "settlements",
                                           "*.csv")):
            with open(path, newline="") as fh:
                for row in csv.DictReader(fh):
                    if row["Type"] == "MerchantPayout":
                        cur = row["Net Currency"]
                        digits = 0 if cur == "JPY" else 2
                        amt = round(float(row["Net Debit (NC)"] or 0)
                                    * 10 ** digits)
                        out[cur] = out.get(cur, 0) + amt
        stripe = os.path.join(self.day, "settlements", "stripe-payouts.json")
        if os.path.exists(stripe):
            with open(stripe) as fh:
                data = json.load(fh)
            for entry in data["payouts"]:
                p = entry.get("payout", entry)
                cur = p["currency"].upper()
                out[cur] = out.get(cur, 0) + int(p["amount"])
        return out

    def sample_order(self):
        """A de-web order with two deliveries or a refund, for the status."""
        orders = self.expected["orders"]
        for want in (lambda o: o["returns"] and o["deliveries"] > 1,
                     lambda o: o["returns"], lambda o: True):
            for num in sorted(orders):
                o = orders[num]
                if not o["cancelled"] and want(o) and \
                        num != self.broken["number"]:
                    return num, o
        return None, None

    def report(self):
        step("The books, per store")
        say("    (%s)" % ", ".join("%s %s" % (DOC_SHORT[t], DOC_NAMES[t])
                                   for t in DOC_TYPES))
        books = Books(self)
        ok = books.table(self.settled)
        dead = self.dead_letters()
        say("")
        say("  dead letters left: %d" % len(dead))
        ok = ok and not dead
        if self.reconcile_rc is not None:
            say("  ctns-worker reconcile: %s (exit %d)"
                % (self.reconcile_summary or "-", self.reconcile_rc))
            ok = ok and self.reconcile_rc == 0
        for note in self.notes:
            say("  note: " + note)

        num, o = self.sample_order()
        token = self.run.p("nginx", "conf", "ct-netsuite", "status.token")
        url = "%s/ct/status/orders/%s" % (self.edge, o["id"])
        st, body = http("GET", url, headers={
            "Authorization": "Bearer " + self.status_token})
        step("Status of order %s (%s, %d deliveries, %d return(s))"
             % (num, o["store"], o["deliveries"], o["returns"]))
        if st == 200:
            view = json.loads(body)
            recs = view.get("records") or view.get("netsuite") or []
            say("    state %s, %d NetSuite records" % (view.get("state"),
                                                      len(recs)))
        else:
            say("    the status location answered %d" % st)
        say("    %s" % url)
        say("    curl -s -H \"Authorization: Bearer $(cat %s)\" %s"
            % (token, url))
        say("    (also %s/ct/status/orders/by-number/%s)" % (self.edge, num))
        say("")
        if ok:
            step("The books match.")
        else:
            step("The books do NOT match (see above; logs in %s)"
                 % self.run.p("logs"))
        if not self.args.stop:
            say("    the services keep running for the curl above; "
                "`make demo-stop` stops them")
        return ok

    # --- main ---------------------------------------------------------------

    def main(self):
        t0 = time.monotonic()
        step("Starting the pipeline in %s" % self.run.path)
        self.prepare()
        self.generate()
        self.start_redis()
        self.start_netsuite()
        self.start_ct()
        self.start_nginx()
        self.write_worker_config(self.worker_config())
        self.start_worker()
        say("    ctns-worker    examples/ctns.json")
        say("                   + endpoints and secrets of the simulators:")
        say("                     " + ", ".join(self.overrides[:4]))
        say("                     " + ", ".join(self.overrides[4:]))
        say("                   + faster timings: retry.base_ms, "
            "retry.cap_ms, worker.claim_idle_ms, worker.poll_ms")
        if self.overlay:
            say("                   + examples/demo/ctns-overlay.json: %s"
                % ", ".join(self.overlay))

        n = self.expected["orders"]
        step("Replaying a day: %d orders, %d messages over %d channels "
             "(duplicates on sns and eventgrid, reordered on pubsub and "
             "eventbridge); order %s has the unmapped SKU %s"
             % (len(n), len(glob.glob(os.path.join(self.day, "messages",
                                                    "*.json"))),
                len(CHANNELS), self.broken["number"], NEW_SKU))
        self.send()
        self.wait_quiet("the day's events", self.args.timeout,
                        self.senders.values())
        self.check_senders()
        self.fix_and_replay()

        step("Settlements")
        self.settled = self.import_settlements()
        step("Reconciliation")
        self.reconcile_rc, self.reconcile_summary = self.reconcile()
        ok = self.report()
        say("    elapsed %.0f s" % (time.monotonic() - t0))
        if self.args.stop:
            self.run.stop_all(quiet=True)
        return 0 if ok else 1


class Books:
    """commercetools (expected.json) against the NetSuite simulator."""

    def __init__(self, demo):
        self.demo = demo
        conf = json.load(open(demo.conf))
        self.sub_store = {}
        for rule in conf.get("routing", []):
            store = (rule.get("match") or {}).get("store")
            if store:
                self.sub_store[str(rule["subsidiary"])] = store
        self.stores = {}
        for num, o in demo.expected["orders"].items():
            st = self.stores.setdefault(o["store"], {
                "currency": o["currency"], "digits": o["fractionDigits"],
                "orders": 0, "cancelled": 0, "sales": 0, "shipped": 0,
                "captured": 0, "refunded": 0})
            st["orders"] += 1
            st["cancelled"] += 1 if o["cancelled"] else 0
            # a document's total includes tax: the gross total, also
            # for stores with net prices (totalPrice is net there)
            st["sales"] += o["totalGross"]
            st["shipped"] += 0 if o["cancelled"] else o["totalGross"]
            st["captured"] += o["captured"]
            st["refunded"] += o["refunded"]
        self.ns = {s: {"docs": {}, "sales": 0, "invoiced": 0, "cash": 0,
                       "refunds": 0, "deposited": 0}
                   for s in self.stores}
        for rtype in DOC_TYPES:
            for rec in demo.ns_records(rtype):
                self.add(rtype, rec)
        self.payouts = demo.payouts()

    def store_of(self, rec):
        sub = str((rec.get("subsidiary") or {}).get("id", ""))
        return self.sub_store.get(sub)

    def add(self, rtype, rec):
        store = self.store_of(rec)
        if store not in self.ns:
            store = self.by_currency(rec)
        if store is None:
            return
        ns = self.ns[store]
        ns["docs"][rtype] = ns["docs"].get(rtype, 0) + 1
        digits = self.stores[store]["digits"]

        def minor(key):
            return round(float(rec.get(key) or 0) * 10 ** digits)

        if rtype == "salesOrder":
            ns["sales"] += minor("total")
        elif rtype == "invoice":
            ns["invoiced"] += minor("total")
        elif rtype in ("customerDeposit", "customerPayment"):
            ns["cash"] += minor("payment")
        elif rtype == "customerRefund":
            ns["refunds"] += minor("total")
        elif rtype == "deposit":
            ns["deposited"] += minor("total")

    def by_currency(self, rec):
        """A record outside the routed subsidiaries: by its currency."""
        cur = (rec.get("currency") or {}).get("refName", "")
        for store, st in self.stores.items():
            if st["currency"] == cur:
                return store
        return None

    def rows(self, store, settled):
        """(label, commercetools, NetSuite, matches) for one store."""
        st, ns = self.stores[store], self.ns[store]
        out = [("orders", st["orders"], ns["docs"].get("salesOrder", 0)),
               ("sales (order totals)", st["sales"], ns["sales"]),
               ("invoiced = shipped", st["shipped"], ns["invoiced"]),
               ("captured = deposits + payments", st["captured"],
                ns["cash"]),
               ("refunded = customer refunds", st["refunded"],
                ns["refunds"])]
        payout = self.payouts.get(st["currency"], 0)
        out.append(("PSP payout = bank deposits", payout,
                    ns["deposited"] if settled else None))
        return out

    def table(self, settled):
        ok = True
        for store in sorted(self.stores):
            st, ns = self.stores[store], self.ns[store]
            docs = "  ".join("%s %d" % (DOC_SHORT[t], ns["docs"][t])
                             for t in DOC_TYPES if ns["docs"].get(t))
            say("")
            say("  %s (%s): %d orders, %d cancelled" % (
                store, st["currency"], st["orders"], st["cancelled"]))
            say("    NetSuite documents: %s" % (docs or "none"))
            say("    %-32s %16s %16s  %s" % ("", "commercetools",
                                            "NetSuite", ""))
            for i, (label, ct, nsv) in enumerate(self.rows(store, settled)):
                fmt = (lambda v: str(v)) if i == 0 else \
                    (lambda v: money(v, st["digits"]))
                if nsv is None:
                    mark = "not checked"
                    shown = "-"
                elif ct == nsv:
                    mark = "ok"
                    shown = fmt(nsv)
                else:
                    mark = "MISMATCH (%s)" % fmt(nsv - ct)
                    shown = fmt(nsv)
                    ok = False
                say("    %-32s %16s %16s  %s" % (label, fmt(ct), shown,
                                                 mark))
        return ok


def interrupted(signo, frame):
    raise KeyboardInterrupt


def cmd_stop(args):
    run = Run(args.run_dir)
    n = run.stop_all()
    say("demo stopped (%d process%s)" % (n, "" if n == 1 else "es")
        if n else "nothing of the demo is running")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", nargs="?", default="run",
                    choices=("run", "stop"))
    ap.add_argument("--orders", type=int, default=300)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--send-seconds", type=float, default=30.0,
                    help="spread the day's deliveries over about this long")
    ap.add_argument("--timeout", type=float, default=240.0,
                    help="seconds the day may take to land in NetSuite")
    ap.add_argument("--mapping", help="take the mapping sections of the "
                    "worker configuration from this file")
    ap.add_argument("--run-dir", default=RUN_DIR)
    ap.add_argument("--stop", action="store_true",
                    help="stop every service at the end")
    args = ap.parse_args(argv)
    args.run_dir = os.path.abspath(args.run_dir)
    if args.command == "stop":
        return cmd_stop(args)
    demo = Demo(args)
    # Ctrl-C, a closed terminal and kill all stop what was started (a
    # shell may have started us with SIGINT ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    try:
        return demo.main()
    except KeyboardInterrupt:
        say("\ninterrupted: stopping the demo")
        demo.run.stop_all()
        return 130
    except BaseException:
        demo.run.stop_all(quiet=True)
        raise


if __name__ == "__main__":
    sys.exit(main())
