"""`make demo`, shortened: 20 orders through the whole pipeline.

One run of tools/demo.py (real Redis, nginx with the module, ctns-worker,
both simulators) in a temporary run directory, stopped at the end.  The
run must go through every step, print a table per store, dead-letter the
order with the unmapped SKU, leave no process behind, and its exit status
must say whether the books match.  test_books_match is the demo's promise:
the table matches and the exit status is 0.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
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
                        "90", "--run-dir", run_dir, "--stop"],
                       capture_output=True, text=True, timeout=200)
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
                     r"synced +\d+ +skipped +\d+ +retrying +\d+ +"
                     r"dead +\d+", out)
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


# --- the demo's configuration against the simulated account ----------------

def demo_config():
    """examples/ctns.json with examples/demo/ctns-overlay.json merged."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import demo
    with open(os.path.join(ROOT, "examples", "ctns.json")) as fh:
        conf = json.load(fh)
    with open(os.path.join(ROOT, "examples", "demo",
                           "ctns-overlay.json")) as fh:
        return demo.merge_patch(conf, json.load(fh))


def seed_records():
    with open(os.path.join(ROOT, "t", "sim", "netsuite_seed.json")) as fh:
        recs = json.load(fh)["records"]
    return {t: {str(r["id"]): r for r in rows} for t, rows in recs.items()}


def test_demo_config_ids_exist_in_the_simulated_account():
    """Every NetSuite id the demo's worker uses is a record of the right
    type, in the right subsidiary, in the NetSuite simulator's seed."""
    conf, seed = demo_config(), seed_records()
    bad = []

    def need(rtype, rid, where, sub=None):
        rec = seed.get(rtype, {}).get(str(rid))
        if rec is None:
            bad.append("%s: %s is no %s" % (where, rid, rtype))
        elif sub is not None and "subsidiaries" in rec and \
                int(sub) not in rec["subsidiaries"]:
            bad.append("%s: %s %s not in subsidiary %s"
                       % (where, rtype, rid, sub))

    def bank(rid, where, sub, cur):
        acct = seed["account"].get(str(rid))
        if acct is None or acct["type"] != "Bank" or \
                int(sub) not in acct["subsidiaries"] or \
                str(acct["currency"]) != str(cur):
            bad.append("%s: account %s is no bank of subsidiary %s in "
                       "currency %s" % (where, rid, sub, cur))

    for i, r in enumerate(conf["routing"]):
        w = "routing[%d]" % i
        need("subsidiary", r["subsidiary"], w + ".subsidiary")
        need("currency", r["currency"], w + ".currency")
        sub = seed["subsidiary"].get(str(r["subsidiary"]))
        if sub and str(sub["currency"]) != str(r["currency"]):
            bad.append("%s.currency: %s is not the base currency %s of "
                       "subsidiary %s" % (w, r["currency"], sub["currency"],
                                          r["subsidiary"]))
        need("location", r["location"], w + ".location", r["subsidiary"])
        need("department", r["department"], w + ".department")
        need("classification", r["class"], w + ".class")
        if "giftcard_account" in r:
            bank(r["giftcard_account"], w + ".giftcard_account",
                 r["subsidiary"], r["currency"])
    for i, c in enumerate(conf["tax"]["codes"]):
        need("salesTaxItem", c["code"], "tax.codes[%d]" % i)
        code = seed["salesTaxItem"].get(str(c["code"]))
        if code is None:
            continue
        if code["country"] != c["country"] or \
                ("rate" in c and abs(code["rate"] - c["rate"] * 100) > 1e-9) \
                or ("name" in c and c["name"] not in code["name"]):
            bad.append("tax.codes[%d]: %s is %s (%s %%)" % (
                i, c["code"], code["name"], code["rate"]))
    need("salesTaxItem", conf["tax"]["refund_code"], "tax.refund_code")
    for name, sid in conf["shipping"]["methods"].items():
        need("shipItem", sid, "shipping.methods." + name)
        if seed["shipItem"].get(str(sid), {}).get("name") != name:
            bad.append("shipping.methods.%s: ship item %s is %r" % (
                name, sid, seed["shipItem"].get(str(sid), {}).get("name")))
    need("shipItem", conf["shipping"]["default_method"],
         "shipping.default_method")
    need("discountItem", conf["discounts"]["item"], "discounts.item")
    need("discountItem", conf["giftcards"]["redemption_item"],
         "giftcards.redemption_item")
    need("otherChargeSaleItem", conf["giftcards"]["purchase_item"],
         "giftcards.purchase_item")
    if "account" in conf["giftcards"]:
        acct = seed["account"].get(str(conf["giftcards"]["account"]))
        if acct is None or acct["type"] != "Bank":
            bad.append("giftcards.account: %s is no bank account"
                       % conf["giftcards"]["account"])
    for psp, p in conf["settlements"]["psp"].items():
        for cur, b in p["banks"].items():
            bank(b["account"], "settlements.psp.%s.banks.%s" % (psp, cur),
                 b["subsidiary"], b["currency"])
    assert not bad, "\n".join(bad)


def test_every_scenario_sku_has_an_item():
    """The scenario's SKUs map by external id (items.sku_external_id_prefix)
    to items available in the store's subsidiary."""
    sys.path.insert(0, os.path.join(ROOT, "t", "sim"))
    import ct_catalog
    conf, seed = demo_config(), seed_records()
    prefix = conf["items"]["sku_external_id_prefix"]
    by_eid = {r.get("externalId"): r
              for r in seed["nonInventorySaleItem"].values()}
    subs = {r["match"]["store"]: int(r["subsidiary"])
            for r in conf["routing"]}
    bad = []
    for store, sub in subs.items():
        for prod in ct_catalog.STORES[store]["products"]:
            sku = prod[0]
            if sku in conf["items"].get("skus", {}):
                continue
            item = by_eid.get(prefix + sku)
            if item is None or sub not in item["subsidiaries"]:
                bad.append("%s: SKU %s" % (store, sku))
    assert not bad, bad
