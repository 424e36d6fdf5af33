"""The real Debian nginx with the built module, in a temporary prefix.

Each Nginx instance writes its own nginx.conf (load_module of the built
ngx_ct_netsuite_module.so, free loopback port, every path inside the
prefix), starts `nginx -p PREFIX -c conf/nginx.conf`, and on stop scans
error.log: any [alert], [emerg], [crit], crash, worker exit on a signal,
leaked socket or sanitizer report fails the test.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness.common import BUILD, SAN, free_port, wait_port, wait_until

NGINX = os.environ.get("CTNS_NGINX", "/usr/sbin/nginx")

BAD_LOG = re.compile(r"\[(alert|emerg|crit)\]|exited on signal|"
                     r"open socket #|Sanitizer|LeakSanitizer|"
                     r"runtime error:")

CONF = """\
load_module {module};
daemon off;
working_directory {prefix}/logs;
worker_rlimit_core 500m;
master_process {master};
worker_processes {workers};
pid {prefix}/logs/nginx.pid;
error_log {prefix}/logs/error.log {log_level};
worker_shutdown_timeout 10s;
{env}
events {{
    worker_connections 2048;
}}

http {{
    log_format ctns '$request_method $uri $status $request_length '
                    'id=$ct_netsuite_event_id type=$ct_netsuite_event_type '
                    'result=$ct_netsuite_result';
    access_log {prefix}/logs/access.log ctns;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    client_body_buffer_size 16k;
    client_max_body_size 2m;
    default_type application/octet-stream;

{http}

    server {{
        listen 127.0.0.1:{port};
        server_name localhost;

{server}
    }}
}}
"""


OURS = re.compile(r"ngx_ct_netsuite|ctns_|redis|json_")


def ours(report):
    """Sanitizer findings attributable to the module.

    Memory errors always count.  Leak reports count only when a frame of
    the module, lib/, hiredis or jansson allocated the block: nginx itself
    does not free its configuration pools on some exit paths (nginx -t
    failures), which is no bug of ours.
    """
    if "LeakSanitizer" not in report:
        return [report] if report.strip() else []
    blocks = re.split(r"\n(?=(?:Direct|Indirect) leak)", report)
    mine = [b for b in blocks[1:] if OURS.search(b)]
    head = blocks[0].split("LeakSanitizer")[0]
    if "ERROR: AddressSanitizer" in head:
        mine.insert(0, head)
    return mine


class Nginx:
    def __init__(self, http="", server="", workers=1, log_level="info",
                 allow=(), module=None):
        self.module = module or os.path.join(BUILD,
                                             "ngx_ct_netsuite_module.so")
        self.prefix = tempfile.mkdtemp(prefix="ctns-nginx-")
        self.port = free_port()
        self.http = http
        self.server = server
        self.workers = workers
        self.log_level = log_level
        self.allow = [re.compile(a) for a in allow]
        self.proc = None
        self.valgrind = os.environ.get("CTNS_VALGRIND") == "1"
        for d in ("conf", "logs", "tmp", "tmp/body", "keys"):
            os.makedirs(os.path.join(self.prefix, d), exist_ok=True)
        # workers run as nobody when started by root: the prefix must be
        # readable and the temp paths writable by them
        for d, mode in (("", 0o755), ("conf", 0o755), ("logs", 0o777),
                        ("tmp", 0o777), ("tmp/body", 0o777),
                        ("keys", 0o755)):
            os.chmod(os.path.join(self.prefix, d), mode)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def error_log(self):
        return os.path.join(self.prefix, "logs", "error.log")

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def write(self, relpath, content, mode=0o644):
        """Writes a file inside the prefix (secrets, keys) and returns it."""
        p = self.path(relpath)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w" if isinstance(content, str) else "wb") as f:
            f.write(content)
        os.chmod(p, mode)
        return p

    def conf_text(self):
        module = self.module
        env = "env ASAN_OPTIONS;\nenv UBSAN_OPTIONS;" if SAN else ""
        # valgrind follows one process: nginx runs single-process
        master = "off" if self.valgrind else "on"
        return CONF.format(module=module, workers=self.workers,
                           master=master,
                           prefix=self.prefix, log_level=self.log_level,
                           port=self.port, http=self.http,
                           server=self.server, env=env)

    def write_conf(self):
        with open(self.path("conf", "nginx.conf"), "w") as f:
            f.write(self.conf_text())

    def _env(self):
        env = dict(os.environ)
        if SAN:
            lib = subprocess.check_output(
                ["gcc", "-print-file-name=libasan.so"], text=True).strip()
            env["LD_PRELOAD"] = lib
            env["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:"
                                   "fast_unwind_on_malloc=0:"
                                   "halt_on_error=0:log_path=" +
                                   self.path("logs", "asan"))
            env["UBSAN_OPTIONS"] = ("print_stacktrace=1:log_path=" +
                                    self.path("logs", "ubsan"))
        return env

    def test_config(self):
        """nginx -t: (exit code, output)."""
        self.write_conf()
        p = subprocess.run([NGINX, "-t", "-p", self.prefix + "/",
                            "-c", self.path("conf", "nginx.conf"),
                            "-e", self.error_log],
                           capture_output=True, text=True, env=self._env())
        return p.returncode, p.stdout + p.stderr

    def start(self):
        self.write_conf()
        cmd = [NGINX, "-p", self.prefix + "/",
               "-c", self.path("conf", "nginx.conf"), "-e", self.error_log]
        if self.valgrind:
            cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite",
                   "--errors-for-leak-kinds=definite", "--trace-children=yes",
                   "--log-file=" + self.path("logs", "valgrind.%p")] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(self.path("logs", "stderr"),
                                                 "w"),
                                     env=self._env())
        try:
            wait_port(self.port, timeout=60 if self.valgrind else 10,
                      proc=self.proc)
        except Exception:
            with open(self.path("logs", "stderr")) as f:
                err = f.read()
            raise RuntimeError("nginx did not start (prefix %s):\n%s\n%s"
                               % (self.prefix, err, self.log_tail()))
        return self

    def master_pid(self):
        return self.proc.pid

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def reload(self):
        """nginx -s reload, waiting until new workers replaced the old."""
        old = set(self.worker_pids())
        self.write_conf()
        self.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: old.isdisjoint(self.worker_pids())
                   and len(self.worker_pids()) >= self.workers,
                   timeout=30, what="nginx reload")

    def log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    def wait_log(self, pattern, timeout=10):
        rx = re.compile(pattern)
        return wait_until(lambda: rx.search(self.log()), timeout=timeout,
                          what="error.log line /%s/" % pattern)

    def stop(self, timeout=30):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.proc = None
                raise AssertionError("nginx did not exit on SIGQUIT within "
                                     "%ds (a non-cancelable timer?)\n%s"
                                     % (timeout, self.log_tail()))
        self.proc = None

    def problems(self):
        """error.log and sanitizer lines that fail a test."""
        bad = []
        for line in self.log().splitlines():
            if BAD_LOG.search(line) and not any(a.search(line)
                                                for a in self.allow):
                bad.append(line)
        for f in glob.glob(self.path("logs", "asan*")) + \
                glob.glob(self.path("logs", "ubsan*")):
            with open(f, errors="replace") as fh:
                bad.extend(ours(fh.read()))
        for f in glob.glob(self.path("logs", "valgrind.*")):
            with open(f, errors="replace") as fh:
                text = fh.read()
            if re.search(r"ERROR SUMMARY: [1-9]|definitely lost: [1-9]", text):
                bad.append(text)
        return bad

    def cleanup(self, keep=False):
        try:
            self.stop()
        finally:
            problems = self.problems()
            if not keep and not problems:
                shutil.rmtree(self.prefix, ignore_errors=True)
        if problems:
            raise AssertionError("nginx logged problems (prefix %s):\n%s"
                                 % (self.prefix, "\n".join(problems)))


@pytest.fixture
def nginx_factory():
    """Builds and starts Nginx instances; stops and checks them afterwards."""
    made = []

    def make(**kw):
        n = Nginx(**kw)
        made.append(n)
        return n

    yield make

    errors = []
    for n in made:
        try:
            n.cleanup()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors))
