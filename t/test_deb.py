"""The Debian packages, installed into this machine as an operator would.

`make deb` builds libnginx-mod-http-ct-netsuite and ctns-worker with
dpkg-buildpackage and lintian; the tests install them with
`apt-get install ./*.deb`, run the stock nginx with the module enabled
only through the package's modules-enabled snippet, run the worker with
the shipped /etc/ctns/ctns.json and the key fetcher the way their systemd
units do (this sandbox has no systemd: the units' User, drop-ins,
EnvironmentFile, StateDirectory, ExecStartPre and ExecStart are carried
out here), see an order go from a signed delivery through Redis to the
NetSuite simulator, and finally `apt-get purge` both, leaving the
system's nginx configuration valid.  The source package is rebuilt
elsewhere and must give the same bytes.

It changes the machine, so it runs only where that is possible and safe:
as root, with apt and Debian's packaging tools, not under the sanitizer
build, and never when the packages are already installed (that install
is not ours to purge).  The tests run in file order and share one
installation; the last one purges it.
"""

import glob
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess

import pytest

from harness.common import ROOT, SAN, fixture_path, wait_until
from harness.netsuite import default_credentials
from harness.nginx import Nginx
from harness.redis_server import RedisServer
from harness.status import get
from harness.webhook import SECRET, deliver, order_created, stream_entries

MODULE_PKG = "libnginx-mod-http-ct-netsuite"
WORKER_PKG = "ctns-worker"
PACKAGES = (MODULE_PKG, WORKER_PKG, MODULE_PKG + "-dbgsym",
            WORKER_PKG + "-dbgsym")
OUT = os.path.join(ROOT, "build", "deb")
ENABLED = "/etc/nginx/modules-enabled/50-mod-http-ct-netsuite.conf"
AVAILABLE = "/usr/share/nginx/modules-available/mod-http-ct-netsuite.conf"
SO = "/usr/lib/nginx/modules/ngx_ct_netsuite_module.so"
EXAMPLES = "/usr/share/doc/%s/examples/" % MODULE_PKG
DASHBOARD = "/usr/share/ct-netsuite/dashboard/"
HOOK = "/hooks/commercetools"
REDIS_PASSWORD = "test-only-redis-password"
UNIT_DIR = "/lib/systemd/system"
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=600"]


def installed(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg],
                       capture_output=True, text=True)
    return p.returncode == 0 and p.stdout not in ("", "not-installed")


def why_not():
    if os.geteuid() != 0:
        return "installs packages: needs root"
    if SAN:
        return "packages are built without sanitizers (plain run covers it)"
    mine = [p for p in PACKAGES if installed(p)]
    if mine:
        return ("%s already installed on this machine: not ours to purge"
                % ", ".join(mine))
    return None


SKIP = why_not()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert p.returncode == 0, "%s: exit %d\n%s%s" % (
        " ".join(cmd), p.returncode, p.stdout, p.stderr)
    return p.stdout


def version():
    with open(os.path.join(ROOT, "VERSION")) as fh:
        return fh.read().strip()


def control(deb):
    return run(["dpkg-deb", "-f", deb])


@pytest.fixture(scope="module")
def debs():
    """Builds the packages, installs them, purges them at the end."""
    run(["make", "--no-print-directory", "deb"], cwd=ROOT)
    files = sorted(glob.glob(os.path.join(OUT, "*.deb")))
    run(APT + ["install", "--no-install-recommends"] + files,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    yield files
    left = [p for p in PACKAGES if installed(p)]
    if left:
        subprocess.run(APT + ["purge"] + left, capture_output=True)


# --- systemd units, carried out without systemd --------------------------

def unit(name):
    """The unit's [Service] settings as systemd merges them: the unit file,
    then its drop-ins in file name order, those of the name's dash prefixes
    (ctns-.service.d) included; {key: [values]}, later values appended."""
    stem, suffix = name.rsplit(".", 1)
    parts = stem.split("-")
    dirs = ["-".join(parts[:i]) + "-." + suffix + ".d"
            for i in range(1, len(parts))] + [name + ".d"]
    dropins = sorted((f for d in dirs for f in
                      glob.glob(os.path.join(UNIT_DIR, d, "*.conf"))),
                     key=os.path.basename)
    out = {}
    for path in [os.path.join(UNIT_DIR, name)] + dropins:
        with open(path) as fh:
            text = re.sub(r"\\\n\s*", " ", fh.read())
        section = None
        for line in text.splitlines():
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
            elif section == "[Service]":
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def environment_file(path):
    env = {}
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line and line[0] not in "#;":
                k, v = line.split("=", 1)
                env[k] = v.strip('"')
    return env


def service_env(svc):
    """The environment systemd gives the service."""
    user = pwd.getpwnam(svc["User"][-1])
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
           "USER": user.pw_name, "LOGNAME": user.pw_name,
           "HOME": user.pw_dir, "SHELL": user.pw_shell,
           "STATE_DIRECTORY": ":".join("/var/lib/" + d
                                       for d in state_dirs(svc)),
           "CONFIGURATION_DIRECTORY": "/etc/" + svc["ConfigurationDirectory"]
           [-1]}
    for assignment in svc.get("Environment", []):
        for word in shlex.split(assignment):
            k, v = word.split("=", 1)
            env[k] = v
    for path in svc.get("EnvironmentFile", []):
        optional = path.startswith("-")
        path = path.lstrip("-")
        if os.path.exists(path) or not optional:
            env.update(environment_file(path))
    return env


def command(line, env):
    """systemd's ExecStart= expansion: ${X} one word, $X split on spaces."""
    words = []
    for w in shlex.split(line):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", w)
        if m:
            words.extend(env.get(m.group(1), "").split())
        else:
            words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                                lambda m: env.get(m.group(1), ""), w))
    return words


def as_service(svc, argv):
    """argv under the unit's user and group, without privileges, as
    User=, Group=, NoNewPrivileges= and an empty CapabilityBoundingSet=
    make it."""
    assert svc["NoNewPrivileges"] == ["yes"]
    assert svc["CapabilityBoundingSet"] == [""]
    return ["setpriv", "--reuid=" + svc["User"][-1],
            "--regid=" + svc["Group"][-1], "--init-groups",
            "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
            "--"] + argv


def state_dirs(svc):
    return [d for v in svc["StateDirectory"] for d in v.split()]


def state_directories(svc):
    """StateDirectory=: created and owned by the user, as systemd does."""
    user = pwd.getpwnam(svc["User"][-1])
    mode = int(svc.get("StateDirectoryMode", ["0755"])[-1], 8)
    for d in state_dirs(svc):
        path = "/var/lib/" + d
        os.makedirs(path, exist_ok=True)
        os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(path, mode)


# --- nginx with the module enabled by the package ------------------------

class PackagedNginx(Nginx):
    """The harness nginx, loading the module the way Debian's nginx.conf
    does (modules-enabled/*.conf, paths relative to the prefix, where
    Debian keeps a modules -> /usr/lib/nginx/modules link)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        os.symlink("/usr/lib/nginx/modules", self.path("modules"))

    def conf_text(self):
        text = super().conf_text()
        first, rest = text.split("\n", 1)
        assert first.startswith("load_module ")
        return "include /etc/nginx/modules-enabled/*.conf;\n" + rest


class PasswordRedis(RedisServer):
    """Redis with a password, as a production one has: the module gets it
    from nginx's configuration, the worker through the unit's
    EnvironmentFile."""

    def __init__(self):
        super().__init__(extra=["--requirepass", REDIS_PASSWORD])

    def client(self, **kw):
        return super().client(password=REDIS_PASSWORD, **kw)


@pytest.fixture(scope="module")
def redis_auth():
    srv = PasswordRedis().start()
    yield srv
    srv.cleanup()


@pytest.fixture
def redis(redis_auth):
    """A flushed client of redis_auth (replaces the harness fixture)."""
    client = redis_auth.client()
    client.flushall()
    return client


@pytest.fixture
def edge(debs, redis_auth, redis):
    """nginx with the packaged module, enabled by its snippet."""
    http = "ct_netsuite_redis %s password=%s timeout=1s;" % (
        redis_auth.address, REDIS_PASSWORD)
    server = """
        location = /hooks/commercetools {
            ct_netsuite_webhook;
            ct_netsuite_auth hmac secret_file=keys/hmac.secret;
        }
"""
    n = PackagedNginx(http=http, server=server)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    wait_until(lambda: deliver(n.port, {"x": 1}, path=HOOK)[0] == 400,
               timeout=10, what="redis ready")
    yield n
    n.cleanup()


# --- the tests, in order ----------------------------------------------------

def test_packages_are_lint_clean_and_versioned(debs):
    with open(os.path.join(OUT, "lintian.txt")) as fh:
        report = fh.read()
    assert not re.search(r"^E: ", report, re.M), report

    ver = version()
    names = {os.path.basename(f) for f in debs}
    assert "%s_%s_amd64.deb" % (MODULE_PKG, ver) in names
    assert "%s_%s_amd64.deb" % (WORKER_PKG, ver) in names

    with open("/usr/share/nginx/src/debian/libnginx-mod.abisubstvars") as fh:
        abi = re.search(r"^nginx:abi=(\S+)", fh.read(), re.M).group(1)
    mod = control(os.path.join(OUT, "%s_%s_amd64.deb" % (MODULE_PKG, ver)))
    deps = re.search(r"^Depends: (.*)$", mod, re.M).group(1)
    assert abi in deps.split(", ")
    assert "libjansson4" in deps and "libssl3" in deps
    # hiredis is inside the module, hidden: no libhiredis dependency
    assert "hiredis" not in deps

    wrk = control(os.path.join(OUT, "%s_%s_amd64.deb" % (WORKER_PKG, ver)))
    deps = re.search(r"^Depends: (.*)$", wrk, re.M).group(1)
    for lib in ("libhiredis0.14", "libjansson4", "libcurl4", "libssl3",
                "adduser"):
        assert lib in deps, deps


def test_source_package_rebuilds_byte_for_byte(debs, tmp_path):
    """The source package alone rebuilds, elsewhere, into the same debs."""
    dsc = glob.glob(os.path.join(OUT, "*.dsc"))
    assert len(dsc) == 1
    tree = str(tmp_path / "src")
    run(["dpkg-source", "-x", dsc[0], tree])
    run(["dpkg-buildpackage", "-b", "-uc", "-us", "-j2"], cwd=tree)
    for deb in debs:
        again = os.path.join(str(tmp_path), os.path.basename(deb))
        with open(deb, "rb") as a, open(again, "rb") as b:
            assert a.read() == b.read(), os.path.basename(deb)


def test_installed_layout(debs):
    assert os.readlink(ENABLED) == AVAILABLE
    with open(AVAILABLE) as fh:
        assert fh.read() == "load_module modules/ngx_ct_netsuite_module.so;\n"
    assert os.path.isfile(SO)
    # the module's hiredis does not leak into nginx's global symbol table
    dyn = run(["nm", "-D", "--defined-only", SO])
    assert "redisAsyncConnect" not in dyn

    out = subprocess.run(["nginx", "-t"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr

    user = pwd.getpwnam("ctns")
    assert user.pw_uid < 1000 and user.pw_shell.endswith("nologin")
    st = os.stat("/etc/ctns/ctns.json")
    assert (st.st_uid, grp.getgrgid(st.st_gid).gr_name) == (0, "ctns")
    assert stat.S_IMODE(st.st_mode) == 0o640
    for secrets in ("/etc/default/ctns-worker", "/etc/default/ctns-keys"):
        assert stat.S_IMODE(os.stat(secrets).st_mode) == 0o600, secrets

    assert run(["ctns-worker", "version"]).strip() == \
        "ctns-worker " + version()
    assert "usage: ctns-keys" in run(["ctns-keys", "--help"])
    for page in ("ctns-worker", "ctns-keys"):
        assert os.path.exists("/usr/share/man/man1/%s.1.gz" % page)

    units = [os.path.join(UNIT_DIR, u) for u in ("ctns-worker.service",
                                                  "ctns-keys.service",
                                                  "ctns-payouts.service")]
    p = subprocess.run(["systemd-analyze", "verify"] + units,
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    for u in units:
        svc = unit(os.path.basename(u))
        assert svc["User"] == ["ctns"] and svc["ProtectSystem"] == ["strict"]
        # exposure at most 2.5 of 10 (systemd-analyze counts tenths)
        p = subprocess.run(["systemd-analyze", "security", "--offline=true",
                            "--threshold=25", u],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stdout[-600:]
    payouts = unit("ctns-payouts.service")
    assert command(payouts["ExecStart"][-1], {}) == [
        "/usr/bin/ctns-worker", "payouts", "-c", "/etc/ctns/ctns.json"]
    assert payouts["EnvironmentFile"] == ["-/etc/default/ctns-worker"]


def test_module_enabled_by_snippet_ingests(edge, redis):
    msg = order_created()
    st, _, body = deliver(edge.port, msg, path=HOOK)
    assert st == 202, body
    entries = stream_entries(redis)
    assert [e["id"] for e in entries] == [msg["id"]]
    assert entries[0]["resource"] == "order/" + msg["resource"]["id"]
    # the module came from the package, not from the build tree
    assert "/usr/lib/nginx/modules" in os.readlink(edge.path("modules"))
    assert os.path.isfile(EXAMPLES + "ct-netsuite.conf")


def test_dashboard_served_by_shipped_snippet(debs, redis_auth):
    """The page's files as docs/dashboard.md expects them, served by the
    stock nginx through the example snippet included as it is."""
    for name in sorted(os.listdir(os.path.join(ROOT, "dashboard"))):
        with open(os.path.join(ROOT, "dashboard", name), "rb") as a, \
                open(DASHBOARD + name, "rb") as b:
            assert a.read() == b.read(), name
    http = "ct_netsuite_redis %s password=%s timeout=1s;" % (
        redis_auth.address, REDIS_PASSWORD)
    server = """
        location /ct/status/ {
            ct_netsuite_status;
        }
        include %sdashboard.conf;
""" % EXAMPLES
    n = PackagedNginx(http=http, server=server)
    n.start()
    try:
        st, hdrs, body = get(n.port, "/ops/index.html")
        assert st == 200, body
        assert "<html" in body.lower()
        assert hdrs["content-type"].startswith("text/html")
        assert "default-src 'self'" in hdrs["content-security-policy"]
        assert hdrs["x-content-type-options"] == "nosniff"
        st, hdrs, _ = get(n.port, "/ops/app.js")
        assert st == 200
        assert hdrs["content-type"].startswith("application/javascript")
        # the page's data comes from the status location next to it
        st, _, body = get(n.port, "/ct/status/")
        assert st == 200, body
    finally:
        n.cleanup()


def operator_configures(redis_auth, netsuite):
    """What docs/install.md asks of an operator: in the shipped
    /etc/ctns/ctns.json the Redis and NetSuite endpoints, the NetSuite key
    as a file the user ctns can read, the Redis password in the unit's
    environment file.  Returns the files added."""
    creds = default_credentials()
    with open("/etc/ctns/ctns.json") as fh:
        conf = json.load(fh)
    conf["redis"]["address"] = redis_auth.address
    assert conf["redis"]["password"] == "env:CTNS_REDIS_PASSWORD"
    ns = conf["netsuite"]
    ns.update(account_id=creds["account_id"], base_url=netsuite.url)
    assert ns["auth"]["type"] == "oauth2"
    ns["auth"].update(client_id=creds["client_id"], algorithm="ES256",
                      certificate_id=creds["ec_kid"])
    key = ns["auth"]["private_key"]
    assert key.startswith("file:/etc/ctns/")
    key = key[len("file:"):]
    # no commercetools API here: the deliveries carry the whole order
    del conf["commercetools"]
    conf["retry"] = {"base_ms": 50, "cap_ms": 400, "max_attempts": 8}
    with open("/etc/ctns/ctns.json", "w") as fh:     # keeps root:ctns 0640
        json.dump(conf, fh, indent=2)

    shutil.copyfile(creds["ec_private_key"], key)
    os.chown(key, 0, grp.getgrnam("ctns").gr_gid)
    os.chmod(key, 0o640)
    with open("/etc/default/ctns-worker", "a") as fh:
        fh.write("CTNS_REDIS_PASSWORD=%s\n" % REDIS_PASSWORD)
    return [key]


def test_worker_unit_posts_to_netsuite(edge, redis, redis_auth, netsuite):
    svc = unit("ctns-worker.service")
    added = operator_configures(redis_auth, netsuite)
    env = service_env(svc)
    state_directories(svc)
    log = open(os.path.join(edge.prefix, "logs", "worker.log"), "w+")
    proc = None
    try:
        for pre in svc.get("ExecStartPre", []):
            run(as_service(svc, command(pre, env)), env=env, cwd="/")
        (start,) = svc["ExecStart"]
        proc = subprocess.Popen(as_service(svc, command(start, env)),
                                env=env, cwd="/", stdout=log, stderr=log)

        msg = order_created()
        oid = msg["resource"]["id"]
        st, _, body = deliver(edge.port, msg, path=HOOK)
        assert st == 202, body

        def synced():
            assert proc.poll() is None, open(log.name).read()
            return redis.hget("ctns:status:order:" + oid,
                              "state") == "synced"

        wait_until(synced, timeout=30, what="order synced")
        recs = netsuite.records(externalId="ct-order-" + oid)
        assert len(recs) == 1, recs
    finally:
        rc = None
        if proc is not None:
            # KillSignal= (default SIGTERM): the worker drains, exits 0
            proc.send_signal(signal.SIGTERM)
            stop = int(svc.get("TimeoutStopSec", ["90"])[-1].rstrip("s"))
            try:
                rc = proc.wait(stop)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
        log.close()
        for f in added:          # the operator's files are not dpkg's
            os.unlink(f)
    assert rc == 0, open(log.name).read()


def test_keys_unit_fetches_for_nginx(debs, redis_auth, key_server):
    """ctns-keys as its unit runs it, with the Redis password in its
    environment file, writes the JWKS where nginx's unprivileged workers
    can read it."""
    svc = unit("ctns-keys.service")
    with open(fixture_path("signatures", "jwks.json"), "rb") as fh:
        jwks = fh.read()
    key_server.route("/oauth2/v3/certs", jwks)
    with open("/etc/default/ctns-keys", "a") as fh:
        fh.write("CTNS_REDIS=%s\n" % redis_auth.address)
        fh.write("CTNS_REDIS_PASSWORD=%s\n" % REDIS_PASSWORD)
        fh.write('CTNS_KEYS_OPTS="--jwks-url %s/oauth2/v3/certs '
                 '--timeout 5"\n' % key_server.base)

    env = service_env(svc)
    state_directories(svc)
    (start,) = svc["ExecStart"]
    argv = command(start, env)
    target = argv[argv.index("--jwks-file") + 1]
    proc = subprocess.Popen(as_service(svc, argv), env=env, cwd="/",
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: os.path.exists(target) or proc.poll() is not None,
                   timeout=15, what=target)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert proc.returncode == 0, out
    assert "with AUTH" in out and " error: " not in out, out
    assert REDIS_PASSWORD not in out

    with open(target, "rb") as fh:
        assert fh.read() == jwks
    # nginx's workers run as www-data
    www = pwd.getpwnam("www-data")
    p = subprocess.run(["setpriv", "--reuid=%d" % www.pw_uid,
                        "--regid=%d" % www.pw_gid, "--clear-groups", "--",
                        "cat", target], capture_output=True)
    assert p.returncode == 0 and p.stdout == jwks, p.stderr


def test_purge_leaves_nginx_working(debs):
    run(APT + ["purge"] + [p for p in PACKAGES if installed(p)],
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert not any(installed(p) for p in PACKAGES)
    for path in (ENABLED, ENABLED + ".removed", AVAILABLE, SO, "/etc/ctns",
                 "/var/lib/ctns", "/etc/default/ctns-worker",
                 "/etc/default/ctns-keys", UNIT_DIR + "/ctns-.service.d",
                 UNIT_DIR + "/ctns-payouts.service",
                 "/usr/bin/ctns-worker", "/usr/bin/ctns-keys"):
        assert not os.path.lexists(path), path
    assert "/etc/ctns/ctns.json" not in run(["dpkg-statoverride", "--list"])
    p = subprocess.run(["nginx", "-t"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
