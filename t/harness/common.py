"""Shared helpers for the integration harness: paths, free ports, waiting."""

import os
import socket
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TDIR = os.path.dirname(HERE)
ROOT = os.path.dirname(TDIR)
BUILD = os.environ.get("CTNS_BUILD") or os.path.join(ROOT, "build")
FIXTURES = os.path.join(TDIR, "fixtures")
SAN = os.environ.get("CTNS_SAN") == "1"


def fixture_path(*parts):
    return os.path.join(FIXTURES, *parts)


def free_port():
    """A loopback TCP port free right now (the caller binds it soon)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0, proc=None):
    """Waits until something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s before listening on %d"
                               % (proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("nothing listens on 127.0.0.1:%d" % port)


def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError("timed out waiting for " + what)


def build_path(name):
    path = os.path.join(BUILD, name)
    if not os.path.exists(path):
        pytest.fail("%s not built: run make first" % path)
    return path


def stop_process(proc, timeout=10.0):
    """SIGTERM, then SIGKILL if proc has not exited within timeout."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
