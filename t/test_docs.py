"""Every configuration the documentation shows is a tested configuration.

* each ```nginx block of README.md and docs/*.md, and the nginx files of
  examples/, passes `nginx -t` with the built module.  A snippet is wrapped
  into the smallest complete nginx.conf around the context of its first
  directive (main, http, server or location); `load_module` lines point at
  the built module; files a block names (secrets, JWKS, certificate
  directories, TLS certificates, logs) are created in a sandbox, absolute
  paths rewritten into it.
* each ```json block that is a worker configuration (every top-level key a
  section of ctns.json) passes `ctns-worker check-config`: a complete one
  (with "redis", "netsuite" and "routing") as written, a partial one
  merged (RFC 7386) over examples/ctns.json.  `env:` secrets get dummy
  values, `file:` secrets dummy files.

There are no exemptions: an excerpt is written so that it can be wrapped
and checked (docs/configuration.md says how).
"""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

from harness.common import BUILD, FIXTURES, ROOT, build_path

sys.path.insert(0, os.path.join(ROOT, "tools"))
from demo import merge_patch  # noqa: E402

NGINX = os.environ.get("CTNS_NGINX", "/usr/sbin/nginx")
DOCS = [os.path.join(ROOT, "README.md")] + \
    sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
NGINX_FILES = sorted(glob.glob(os.path.join(ROOT, "examples", "nginx",
                                            "*.conf")))
DEMO_CONF = os.path.join(ROOT, "examples", "demo", "nginx.conf")
EXAMPLE_CONF = os.path.join(ROOT, "examples", "ctns.json")

FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)

WORKER_SECTIONS = {"redis", "stream", "netsuite", "commercetools", "retry",
                   "worker", "log", "routing", "items", "tax", "discounts",
                   "shipping", "giftcards", "accounts", "flows", "customers",
                   "custom_fields", "psp", "settlements", "sync"}

MAIN = {"load_module", "events", "http", "worker_processes", "pid", "user",
        "error_log", "env", "worker_rlimit_nofile", "daemon",
        "master_process", "stream"}
HTTP = {"server", "upstream", "map", "log_format", "ct_netsuite_redis",
        "ct_netsuite_stream", "ct_netsuite_status_link", "geo",
        "limit_req_zone", "limit_conn_zone", "proxy_cache_path"}
SERVER = {"location", "listen", "server_name", "ssl_certificate",
          "ssl_certificate_key"}


DUMMY_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def blocks(lang):
    """(doc, line, text) of every ```lang block."""
    out = []
    for path in DOCS:
        with open(path) as fh:
            text = fh.read()
        for m in FENCE.finditer(text):
            if m.group(1) != lang:
                continue
            line = text.count("\n", 0, m.start()) + 1
            out.append((os.path.relpath(path, ROOT), line, m.group(2)))
    return out


def block_id(b):
    return "%s:%d" % (b[0], b[1])


# --- nginx -------------------------------------------------------------------

def strip_comments(text):
    return "\n".join(ln.split("#", 1)[0] for ln in text.splitlines())


def first_directive(text):
    """The first directive name, `include` aside (it fits any context)."""
    for m in re.finditer(r"^\s*([A-Za-z_]\w*)", strip_comments(text),
                         re.M):
        if m.group(1) != "include":
            return m.group(1)
    return ""


class Sandbox:
    """A prefix for `nginx -t`, with the files a configuration names."""

    FILE_PARAMS = re.compile(
        r"\b(secret_file|jwks_file|cert_dir|file)=([^\s;]+)")
    FILE_DIRECTIVES = re.compile(
        r"^(\s*)(ssl_certificate_key|ssl_certificate|access_log|error_log|"
        r"include)(\s+)([^\s;]+)", re.M)

    def __init__(self, root):
        self.root = str(root)
        for d in ("conf", "logs", "tmp"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)

    def place(self, path):
        """Absolute paths move into the sandbox, relative ones are relative
        to the configuration directory, as nginx resolves them."""
        if path.startswith("/"):
            return os.path.join(self.root, "fs", path.lstrip("/"))
        return os.path.join(self.root, "conf", path)

    def create(self, kind, path):
        real = self.place(path)
        if kind == "cert_dir":
            os.makedirs(real, exist_ok=True)
            return real
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if kind in ("access_log", "error_log"):
            return real
        if kind == "include":
            # a snippet installed elsewhere (the shipped ones are checked
            # as examples/nginx/*.conf): an empty stand-in
            open(real, "a").close()
            return real
        if kind == "jwks_file":
            src = os.path.join(FIXTURES, "signatures", "jwks.json")
        elif kind == "ssl_certificate":
            src = os.path.join(FIXTURES, "signatures",
                               "TEST-ONLY-self-signed-cert.pem")
        elif kind == "ssl_certificate_key":
            src = os.path.join(FIXTURES, "signatures",
                               "TEST-ONLY-rsa2048-private-key.pem")
        else:
            src = None
        with open(real, "w") as fh:
            if src:
                with open(src) as s:
                    fh.write(s.read())
            else:
                fh.write(DUMMY_SECRET + "\n")
        os.chmod(real, 0o600 if src is None else 0o644)
        return real

    def rewrite(self, text):
        def param(m):
            real = self.create(m.group(1), m.group(2))
            return "%s=%s" % (m.group(1), real if m.group(2).startswith("/")
                              else m.group(2))

        def directive(m):
            if m.group(4) == "off" or m.group(4).startswith("syslog:"):
                return m.group(0)
            real = self.create(m.group(2), m.group(4))
            return m.group(1) + m.group(2) + m.group(3) + real

        text = self.FILE_PARAMS.sub(param, text)
        return self.FILE_DIRECTIVES.sub(directive, text)

    def wrap(self, text):
        """A complete nginx.conf around a block of any context."""
        module = os.path.join(BUILD, "ngx_ct_netsuite_module.so")
        text = re.sub(r"^\s*load_module\s+[^;]+;\s*$", "", text, flags=re.M)
        text = self.rewrite(text)
        first = first_directive(text)
        redis = "" if "ct_netsuite_redis" in text else \
            "ct_netsuite_redis 127.0.0.1:6379;\n"
        if first in MAIN:
            body = text
            if not re.search(r"^\s*events\s*\{", strip_comments(text), re.M):
                body = "events { }\n" + body
        elif first in HTTP:
            body = "events { }\nhttp {\n%s%s\n}\n" % (redis, text)
        elif first in SERVER:
            body = ("events { }\nhttp {\n%sserver {\nlisten 127.0.0.1:8080;"
                    "\n%s\n}\n}\n" % (redis, text))
        else:
            body = ("events { }\nhttp {\n%sserver {\nlisten 127.0.0.1:8080;"
                    "\nlocation /docs-test/ {\n%s\n}\n}\n}\n" % (redis, text))
        return "load_module %s;\npid %s/nginx.pid;\n%s" % (module, self.root,
                                                          body)

    def nginx_t(self, text):
        conf = os.path.join(self.root, "conf", "nginx.conf")
        with open(conf, "w") as fh:
            fh.write(self.wrap(text))
        os.chmod(self.root, 0o755)
        p = subprocess.run([NGINX, "-t", "-q", "-p", self.root + "/",
                            "-c", conf, "-e",
                            os.path.join(self.root, "logs", "error.log")],
                           capture_output=True, text=True)
        with open(conf) as fh:
            return p.returncode, p.stdout + p.stderr, fh.read()


def check_nginx(tmp_path, text):
    build_path("ngx_ct_netsuite_module.so")
    rc, out, conf = Sandbox(tmp_path).nginx_t(text)
    assert rc == 0, "nginx -t failed:\n%s\n--- configuration ---\n%s" % (
        out, conf)


@pytest.mark.parametrize("block", blocks("nginx"), ids=block_id)
def test_nginx_block(block, tmp_path):
    doc, line, text = block
    check_nginx(tmp_path, text)


@pytest.mark.parametrize("path", NGINX_FILES,
                         ids=lambda p: os.path.relpath(p, ROOT))
def test_nginx_example_file(path, tmp_path):
    with open(path) as fh:
        check_nginx(tmp_path, fh.read())


def test_demo_nginx_template(tmp_path):
    """examples/demo/nginx.conf as tools/demo.py fills it in."""
    with open(DEMO_CONF) as fh:
        text = fh.read()
    prefix = str(tmp_path / "prefix")
    for d in ("logs", "tmp/body", "conf/ct-netsuite/sns-certs"):
        os.makedirs(os.path.join(prefix, d), exist_ok=True)
    for k, v in (("MODULE", os.path.join(BUILD, "ngx_ct_netsuite_module.so")),
                 ("PREFIX", prefix), ("REDIS", "127.0.0.1:6379"),
                 ("PORT", "8080")):
        text = text.replace("@%s@" % k, v)
    assert not re.search(r"^[^#]*@[A-Z]+@", text, re.M), \
        "unfilled template field"
    keys = os.path.join(prefix, "conf", "ct-netsuite")
    for name in ("hmac.secret", "eventbridge.secret", "eventgrid.secret",
                 "status.token"):
        with open(os.path.join(keys, name), "w") as fh:
            fh.write(DUMMY_SECRET + "\n")
    with open(os.path.join(FIXTURES, "signatures", "jwks.json")) as s, \
            open(os.path.join(keys, "google.jwks"), "w") as d:
        d.write(s.read())
    conf = os.path.join(prefix, "conf", "nginx.conf")
    with open(conf, "w") as fh:
        fh.write(text)
    build_path("ngx_ct_netsuite_module.so")
    p = subprocess.run([NGINX, "-t", "-q", "-p", prefix + "/", "-c", conf,
                        "-e", os.path.join(prefix, "logs", "error.log")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_no_block_is_exempted():
    """The old skip mark is gone: a block it would hide is checked, so a
    stray mark is a mistake to remove, not a reason."""
    for path in DOCS:
        with open(path) as fh:
            for i, ln in enumerate(fh):
                assert "docs-test:" not in ln, "%s:%d" % (path, i + 1)


# --- worker configurations ---------------------------------------------------

def worker_blocks():
    out = []
    for b in blocks("json"):
        try:
            data = json.loads(b[2])
        except ValueError:
            data = None
        if data is None:
            # a section shown as a member: "sync": { ... }
            try:
                data = json.loads("{" + b[2] + "}")
                b = b[:2] + (json.dumps(data),)
            except ValueError:
                pass
        if data is None:
            # an unparseable block that looks like a worker configuration
            # is a broken example, anything else (API bodies, fault rules)
            # is not ours to check
            if re.search(r'^\s*[{,]?\s*"(redis|netsuite|routing)"\s*:', b[2],
                         re.M):
                out.append(b)
            continue
        if isinstance(data, dict) and data and \
                set(data) <= WORKER_SECTIONS:
            out.append(b)
    return out


def secrets_in(node, tmp_path, env):
    """Gives every env:/file: secret of a configuration a dummy value."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str) and v.startswith("env:"):
                env[v[4:]] = DUMMY_SECRET
            elif isinstance(v, str) and v.startswith("file:"):
                real = os.path.join(str(tmp_path), "secrets",
                                    v[5:].lstrip("/"))
                os.makedirs(os.path.dirname(real), exist_ok=True)
                with open(real, "w") as fh:
                    if k == "private_key":
                        with open(os.path.join(
                                FIXTURES, "netsuite",
                                "TEST-ONLY-m2m-ec-p256-private-key.pem")) \
                                as s:
                            fh.write(s.read())
                    else:
                        fh.write(DUMMY_SECRET + "\n")
                os.chmod(real, 0o600)
                node[k] = "file:" + real
            else:
                secrets_in(v, tmp_path, env)
    elif isinstance(node, list):
        for v in node:
            secrets_in(v, tmp_path, env)


def check_config(tmp_path, conf):
    env = dict(os.environ)
    secrets_in(conf, tmp_path, env)
    path = os.path.join(str(tmp_path), "ctns.json")
    with open(path, "w") as fh:
        json.dump(conf, fh, indent=2)
    p = subprocess.run([build_path("ctns-worker"), "check-config", "-c",
                        path], capture_output=True, text=True, env=env,
                       timeout=30)
    return p.returncode, p.stdout + p.stderr


def example_config():
    with open(EXAMPLE_CONF) as fh:
        return json.load(fh)


@pytest.mark.parametrize("block", worker_blocks(), ids=block_id)
def test_worker_config_block(block, tmp_path):
    doc, line, text = block
    data = json.loads(text)
    base = example_config()
    if "redis" in data:
        # a documented redis section stands whole: one server or a cluster
        base.pop("redis")
    conf = data if {"redis", "netsuite", "routing"} <= set(data) else \
        merge_patch(base, data)
    rc, out = check_config(tmp_path, conf)
    assert rc == 0, "check-config failed for %s:%d:\n%s" % (doc, line, out)


def test_demo_worker_config(tmp_path):
    """examples/ctns.json with the demo's overlay is a valid config."""
    with open(os.path.join(ROOT, "examples", "demo",
                           "ctns-overlay.json")) as fh:
        conf = merge_patch(example_config(), json.load(fh))
    rc, out = check_config(tmp_path, conf)
    assert rc == 0, out


def test_checker_rejects_bad_examples(tmp_path):
    """The checks can fail: a wrong directive and a wrong config key."""
    rc, out, _ = Sandbox(tmp_path / "n").nginx_t(
        "location = /x {\n    ct_netsuite_webhook;\n"
        "    ct_netsuite_auth hmac secret_file=s.secret tolerance=5x;\n}\n")
    assert rc != 0 and "tolerance" in out, out
    rc, out, _ = Sandbox(tmp_path / "m").nginx_t("ct_netsuite_no_such;")
    assert rc != 0 and "unknown directive" in out, out
    rc, out = check_config(tmp_path, merge_patch(
        example_config(), {"retry": {"max_attempts": "many"}}))
    assert rc != 0 and "retry.max_attempts" in out, out


# --- links -------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def anchors(path):
    """GitHub's anchors of a Markdown file's headings."""
    with open(path) as fh:
        text = FENCED.sub("", fh.read())
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#{1,6}\s+(.*)$", text, re.M)}


def broken_links(path):
    with open(path) as fh:
        text = FENCED.sub("", fh.read())
    bad = []
    for t in LINK.findall(text):
        if re.match(r"[a-z]+:", t):
            continue
        rel, _, anchor = t.partition("#")
        target = os.path.normpath(os.path.join(os.path.dirname(path), rel)) \
            if rel else path
        if not os.path.exists(target):
            bad.append("%s: no such file" % t)
        elif anchor and target.endswith(".md") and \
                anchor not in anchors(target):
            bad.append("%s: no such heading" % t)
    return bad


@pytest.mark.parametrize("path", DOCS, ids=lambda p: os.path.relpath(p, ROOT))
def test_relative_links_resolve(path):
    """Links between the docs point at files and headings that exist."""
    assert broken_links(path) == []


def test_link_checker_finds_broken_links(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Top `x`: y\n[a](#top-x-y) [b](#nope) [c](missing.md)"
                    " [d](https://example.com/x)\n")
    assert broken_links(str(page)) == ["#nope: no such heading",
                                       "missing.md: no such file"]
