"""A local stand-in for the hosts ctns-keys fetches from (plain HTTP).

Google's JWKS endpoint, the SNS signing-certificate host and the SNS
SubscribeURL endpoint all become routes of one loopback server; ctns-keys
reaches them through its --jwks-url / --sns-cert-base-url /
--sns-confirm-base-url test options while it still checks the original
URLs against the real host rules.
"""

import hashlib
import http.server
import os
import subprocess
import threading

import pytest

from harness.common import build_path


class KeyServer:
    """Routes: exact request path (with query) -> (status, body bytes)."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with server.lock:
                    server.requests.append(self.path)
                    status, body = server.routes.get(self.path,
                                                     (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def route(self, path, body, status=200):
        if isinstance(body, str):
            body = body.encode()
        with self.lock:
            self.routes[path] = (status, body)

    def hits(self, path):
        with self.lock:
            return self.requests.count(path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def cert_file_name(url):
    """The cache file name ctns-keys and the module use for a cert URL."""
    return "sns-" + hashlib.sha256(url.encode()).hexdigest() + ".pem"


def run_keys(redis_server, *args, timeout=30, env=None):
    """Runs build/ctns-keys once: (exit code, stderr text); env adds to
    the test's environment."""
    cmd = [build_path("ctns-keys"), "--redis", redis_server.address,
           "--timeout", "5"] + list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=dict(os.environ, **(env or {})))
    return p.returncode, p.stderr.decode(errors="replace")


@pytest.fixture
def key_server():
    srv = KeyServer()
    yield srv
    srv.close()
