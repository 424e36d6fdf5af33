"""`make demo`, shortened: 20 orders through the whole pipeline.

One run of tools/demo.py (real Redis, nginx with the module, ctns-worker,
both simulators) in a temporary run directory, stopped at the end.  The
run must go through every step, print a table per store, dead-letter the
order with the unmapped SKU, leave no process behind, and its exit status
must say whether the books match.  test_books_match is the demo's promise:
the table matches and the exit status is 0.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness.common import ROOT, build_path

DEMO = os.path.join(ROOT, "tools", "demo.py")
STORES = ("de-web", "jp-web", "us-web")


def leftovers(run_dir):
    """Processes whose working directory is inside run_dir."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % pid)
        except OSError:
            continue
        if cwd.startswith(run_dir):
            out.append(int(pid))
    return out


@pytest.fixture(scope="module")
def demo_run():
    build_path("ngx_ct_netsuite_module.so")
    build_path("ctns-worker")
    # nginx's workers (nobody) must reach the run directory: not under
    # pytest's private tmp_path
    base = tempfile.mkdtemp(prefix="ctns-demo-")
    os.chmod(base, 0o755)
    run_dir = os.path.join(base, "run")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/python3", DEMO, "--orders", "20",
                        "--seed", "7", "--send-seconds", "4", "--timeout",
                        "45", "--run-dir", run_dir, "--stop"],
                       capture_output=True, text=True, timeout=150)
    yield {"rc": p.returncode, "out": p.stdout, "err": p.stderr,
           "run_dir": run_dir, "elapsed": time.monotonic() - t0}
    if not leftovers(run_dir):
        shutil.rmtree(base, ignore_errors=True)


def test_demo_runs_every_step(demo_run):
    out = demo_run["out"]
    assert demo_run["rc"] in (0, 1), demo_run["err"][-3000:] + out[-3000:]
    for step in ("Starting the pipeline", "Replaying a day",
                 "Dead-letter stream", "Settlements", "Reconciliation",
                 "The books, per store", "Status of order"):
        assert "==> " + step in out, (step, demo_run["err"][-3000:])
    # progress lines while the day is replayed
    assert re.search(r"delivered +\d+ +enqueued +\d+ +duplicates +\d+ +"
                     r"synced +\d+ +retrying +\d+ +dead +\d+", out)
    for store in STORES:
        assert re.search(r"^  %s \((USD|EUR|JPY)\): \d+ orders" % store, out,
                         re.M), store
    assert "curl -s -H \"Authorization: Bearer $(cat " in out
    assert demo_run["elapsed"] < 120


def test_exit_status_follows_the_table(demo_run):
    out = demo_run["out"]
    mismatch = "MISMATCH" in out or not re.search(
        r"dead letters left: 0$", out, re.M)
    if mismatch:
        assert demo_run["rc"] == 1 and "The books do NOT match" in out
    else:
        assert "The books match." in out


def test_unmapped_sku_reaches_the_dead_letter_stream(demo_run):
    out = demo_run["out"]
    m = re.search(r"order (ORD-\S+) has the unmapped SKU DEMO-NEW-SKU", out)
    assert m, out[:2000]
    assert "ct-sku-DEMO-NEW-SKU" in out
    assert 'Fixing the mapping: items.skus["DEMO-NEW-SKU"]' in out
    assert re.search(r"\d+ dead letters? replayed", out)


def test_nothing_left_running(demo_run):
    run_dir = demo_run["run_dir"]
    assert leftovers(run_dir) == []
    assert os.listdir(os.path.join(run_dir, "pids")) == []


@pytest.mark.xfail(strict=True, reason="the pipeline does not balance the "
                   "books yet (worker, mapping and seed pieces in progress; "
                   "remove this mark when it does)")
def test_books_match(demo_run):
    out = demo_run["out"]
    assert demo_run["rc"] == 0, out[-4000:]
    assert "The books match." in out
    assert "MISMATCH" not in out


def test_ctrl_c_stops_everything():
    """SIGINT in the middle of the day: every service stops, exit 130."""
    base = tempfile.mkdtemp(prefix="ctns-demo-int-")
    os.chmod(base, 0o755)
    run_dir = os.path.join(base, "run")
    p = subprocess.Popen(["/usr/bin/python3", DEMO, "--orders", "10",
                          "--run-dir", run_dir], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            if "==> Replaying a day" in line:
                break
        assert len(os.listdir(os.path.join(run_dir, "pids"))) >= 5
        p.send_signal(signal.SIGINT)
        out = p.communicate(timeout=60)[0]
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, out
    assert "interrupted: stopping the demo" in out
    assert leftovers(run_dir) == []
    assert os.listdir(os.path.join(run_dir, "pids")) == []
    shutil.rmtree(base, ignore_errors=True)
