"""The operations dashboard in a real browser.

Headless Debian Chromium (t/harness/browser.py) loads dashboard/ from the
real nginx that runs the module, with the shipped examples/nginx snippet,
over Redis filled by a real ctns-worker posting to the NetSuite simulator:
an order is found by its number and shows its NetSuite documents; a dead
event (an unknown SKU) is replayed with the button after the item was
created in NetSuite, and becomes synced.  Each view is saved as a
screenshot in build/screenshots/ for review; the page must raise no
JavaScript error and request nothing from another host.
"""

import json
import os
import re
import shutil
import uuid

from harness.common import BUILD, ROOT, wait_until
from harness.status import get, seed_status, status_conf
from harness.webhook import deliver, order_created
from harness.worker import dlq, status

SHOTS = os.path.join(BUILD, "screenshots")
NUMBER = "DASH-10045"
SKU = "SKU-DASH-NEW"


def dashboard_nginx(nginx_factory, redis_server, status_extra=""):
    """nginx with the webhook, the status location and the shipped
    dashboard snippet, its paths pointed into the nginx prefix."""
    http, server = status_conf(redis_server, status_extra=status_extra)
    n = nginx_factory(http=http, server=server + "\n        include "
                      "dashboard.conf;\n")
    shutil.copytree(os.path.join(ROOT, "dashboard"), n.path("dashboard"))
    n.write("conf/dashboard.json", json.dumps({
        "statusUrl": "/ct/status/",
        "netsuiteUrl": "https://1234567.app.netsuite.com",
        "refreshSeconds": 2}))
    with open(os.path.join(ROOT, "examples", "nginx",
                           "dashboard.conf")) as fh:
        snippet = fh.read()
    snippet = snippet.replace("/usr/share/ct-netsuite/dashboard/",
                              n.path("dashboard") + "/")
    snippet = snippet.replace("/etc/ct-netsuite/dashboard.json",
                              n.path("conf", "dashboard.json"))
    n.write("conf/dashboard.conf", snippet)
    n.write("conf/keys/status.token", "s3cret-file\n", mode=0o600)
    n.write("conf/htpasswd", "support:{PLAIN}letmein\n")
    n.start()
    # the token is ignored where none is configured
    wait_until(lambda: get(n.port, "/ct/status/dlq", {
        "Authorization": "Bearer s3cret-file"})[0] == 200,
        timeout=10, what="redis ready")
    return n


def order(number=None, sku=None):
    msg = order_created()
    if number:
        msg["order"]["orderNumber"] = number
        msg["resourceUserProvidedIdentifiers"] = {"orderNumber": number}
    if sku:
        msg["order"]["lineItems"][0]["variant"]["sku"] = sku
    return msg


def ready(page):
    page.wait("document.body && document.body.dataset.ready === '1'",
              timeout=20,
              what="the view to load")


def fits(page):
    """Readable on a laptop: no horizontal scrolling at 1366 pixels."""
    assert page.eval("document.documentElement.scrollWidth"
                     " <= window.innerWidth")


def text(page, selector):
    return page.eval("(document.querySelector(%s) || {}).innerText || ''"
                     % json.dumps(selector))


def test_dashboard_end_to_end(nginx_factory, redis_server, redis, netsuite,
                              workers, browser):
    n = dashboard_nginx(nginx_factory, redis_server)
    good, dead = order(NUMBER), order("DASH-10046", SKU)
    good_id, dead_id = good["resource"]["id"], dead["resource"]["id"]
    wait_until(lambda: deliver(n.port, good)[0] == 202, timeout=10,
               what="redis ready")
    assert deliver(n.port, dead)[0] == 202
    w = workers.start()
    wait_until(lambda: status(redis, "order", good_id).get("state")
               == "synced" and status(redis, "order", dead_id).get("state")
               == "dead", timeout=60, interval=0.1, what="worker run")
    so = netsuite.records(type="salesOrder",
                          externalId="ct-order-" + good_id)[0]

    page = browser.page()
    base = "http://127.0.0.1:%d/ops/" % n.port
    page.goto(base)
    ready(page)

    # --- search by order number, with the keyboard only -----------------
    for _ in range(12):
        page.key("Tab")
        if page.focused().startswith("input#q"):
            break
    assert page.focused().startswith("input#q"), page.focused()
    page.type(NUMBER)
    page.key("Enter")
    page.wait("document.querySelector('#order-title')", what="order view")
    ready(page)
    title = text(page, "#order-title")
    assert NUMBER in title and "synced" in title
    docs = text(page, "#order table")
    assert "salesOrder" in docs and "ct-order-" + good_id in docs
    link = page.eval("Array.from(document.querySelectorAll('#order tr'))"
                     ".find(function (tr) { return tr.cells[0].innerText"
                     " === 'salesOrder'; }).querySelector('a').href")
    assert link.startswith("https://1234567.app.netsuite.com/")
    assert link.endswith("?id=" + so["id"])
    assert "OrderCreated" in text(page, ".timeline")
    assert "posted" in text(page, ".timeline")
    fits(page)
    page.screenshot(os.path.join(SHOTS, "dashboard-order.png"))

    # the dead order, found by its number, shows NetSuite's error in
    # plain words
    page.goto(base + "#/order/DASH-10046")
    page.wait("document.querySelector('#order .error')", what="dead order")
    assert "dead" in text(page, "#order-title")
    assert "DASH-10046" in text(page, "#order-title")
    err = text(page, ".error")
    assert "NetSuite refused a value in the document." in err
    assert "USER_ERROR" in err and "HTTP 400" in err
    assert "Field:" in err

    # --- pipeline health -------------------------------------------------
    page.goto(base + "#/health")
    page.wait("document.querySelector('#chart svg')", what="chart")
    ready(page)
    tiles = text(page, "#health-tiles")
    assert "1\ndead letters" in tiles and "0\nretrying" in tiles
    assert "0\nthrottled by NetSuite (429)" in tiles
    assert "2\naccepted last hour" in tiles
    bars = page.eval("document.querySelectorAll('#chart svg g').length")
    assert bars == 60
    bars = page.eval("document.querySelectorAll('#ns-chart svg g').length")
    assert bars == 60
    # the workers add up NetSuite's answers once a second
    page.wait("document.getElementById('health-tiles').innerText"
              ".indexOf('0.0 %\\nNetSuite 429 rate last hour') >= 0",
              what="NetSuite's answers, none throttled")
    assert "enqueued" in text(page, "#by-channel")
    fits(page)
    page.screenshot(os.path.join(SHOTS, "dashboard-health.png"))

    # --- reconciliation: no run yet ---------------------------------------
    page.goto(base + "#/reconcile")
    page.wait("document.querySelector('#reconcile').innerText", what="recon")
    assert "No run yet" in text(page, "#reconcile")
    fits(page)
    page.screenshot(os.path.join(SHOTS, "dashboard-reconcile.png"))

    # --- dead letters: fix the cause, press Replay ---------------------
    page.goto(base + "#/dlq")
    page.wait("document.querySelector('button.replay')", what="dlq table")
    (dlq_id, _), = dlq(redis)
    table = text(page, "#dlq table")
    assert "OrderCreated" in table and "USER_ERROR" in table
    assert text(page, "#dlq-count") == "1"
    fits(page)
    page.screenshot(os.path.join(SHOTS, "dashboard-dlq.png"))

    netsuite.insert("nonInventorySaleItem", {
        "name": SKU, "externalId": "ct-sku-" + SKU, "subsidiaries": [1, 3]})
    page.click("button.replay[data-entry='%s']" % dlq_id)
    page.wait("document.querySelector('td.outcome').innerText"
              ".indexOf('synced') >= 0", timeout=60, what="replayed: synced")
    assert page.eval("document.querySelector('button.replay').disabled")
    page.wait("document.getElementById('dlq-count').hidden",
              what="the tab's dead-letter count gone")
    fits(page)
    page.screenshot(os.path.join(SHOTS, "dashboard-dlq-replayed.png"))

    assert status(redis, "order", dead_id)["state"] == "synced"
    assert not dlq(redis)
    assert len(netsuite.records(type="salesOrder",
                                externalId="ct-order-" + dead_id)) == 1

    # the order's timeline now tells the whole story
    page.goto(base + "#/order/DASH-10046")
    page.wait("document.querySelector('#order-title') && document"
              ".querySelector('#order-title').innerText.indexOf('synced')"
              " >= 0", what="synced order")
    trail = text(page, ".timeline")
    assert trail.index("posted") < trail.index("replayed") \
        < trail.index("dead")
    page.screenshot(os.path.join(SHOTS, "dashboard-order-replayed.png"))

    # the DLQ view empties itself on refresh
    page.goto(base + "#/dlq")
    page.wait("document.querySelector('#dlq').innerText"
              ".indexOf('No dead letter') >= 0", what="empty dlq")

    # only the nginx under test was asked, and no script error at all
    others = [u for u in page.requests()
              if not u.startswith("http://127.0.0.1:%d/" % n.port)
              and not u.startswith("data:")]
    assert others == []
    # the by-number lookup of a PSP reference and "no run yet" are 404s
    # the page handles; nothing else may fail
    assert page.errors(allow_status=(404,)) == []
    w.stop()


def test_dashboard_asks_for_a_token(nginx_factory, redis_server, redis,
                                    browser):
    """With ct_netsuite_status_token the page says what is missing, and
    works once the token is entered; a cross-site form cannot replay."""
    n = dashboard_nginx(nginx_factory, redis_server,
                        status_extra="ct_netsuite_status_token "
                                     "file=keys/status.token;")
    redis.xadd("ctns:dlq", {"id": "m1", "type": "OrderCreated",
                            "resource": "order/" + "0" * 8 + "-0000-4000-"
                            "8000-" + "0" * 12, "http": "400",
                            "code": "USER_ERROR", "detail": "bad",
                            "attempts": "1", "first_failure": "1",
                            "last_failure": "2"})
    page = browser.page()
    base = "http://127.0.0.1:%d/ops/" % n.port
    page.goto(base + "#/dlq")
    ready(page)
    assert "access token" in text(page, "#dlq")

    page.eval("document.querySelector('details.access').open = true")
    page.eval("document.getElementById('token').focus()")
    page.type("s3cret-file")
    page.key("Enter")
    page.wait("document.querySelector('button.replay')", what="dlq table")
    assert "USER_ERROR" in text(page, "#dlq table")

    assert page.errors(allow_status=(401,)) == []


def test_cross_site_form_cannot_replay(nginx_factory, redis_server, redis,
                                       browser):
    """A form on another site posting to the replay endpoint, in a real
    browser, with no auth in front of the location (the worst case)."""
    n = dashboard_nginx(nginx_factory, redis_server)
    dlq_id = redis.xadd("ctns:dlq", {"id": "m1", "resource": "order/x"})
    evil = ("<form method=post action='http://127.0.0.1:%d/ct/status/dlq/"
            "%s/replay'><input name=x value=1></form>" % (n.port, dlq_id))
    page = browser.page()
    page.goto("data:text/html," + evil)
    page.wait("document.forms.length === 1", what="the other site's form")
    page.eval("document.forms[0].submit()")
    page.wait("location.href.indexOf('/replay') >= 0 &&"
              " document.readyState === 'complete'", what="form posted")
    body = json.loads(page.eval("document.body.innerText"))
    assert body["result"] == "forbidden"
    assert "X-CTNS-Request" in body["error"]
    assert not redis.exists("ctns:control")
    assert len(dlq(redis)) == 1


def test_health_shows_netsuite_throttling(nginx_factory, redis_server, redis,
                                          netsuite, workers, browser):
    """NetSuite answers 429 for one order: it retries, and the health view
    counts it as throttled; once NetSuite lets it through it is synced."""
    n = dashboard_nginx(nginx_factory, redis_server)
    msg = order("DASH-THROTTLED")
    oid = msg["resource"]["id"]
    netsuite.add_faults([{
        "id": "throttle", "phase": "on_receive",
        "match": {"method": "PUT", "external_id": "ct-order-" + oid},
        "action": {"type": "status", "status": 429}, "times": 0}])
    assert deliver(n.port, msg)[0] == 202
    w = workers.start(workers.config(retry={"base_ms": 200, "cap_ms": 500,
                                            "max_attempts": 1000}))
    wait_until(lambda: status(redis, "order", oid).get("state")
               == "retrying", timeout=30, interval=0.1, what="retrying")

    page = browser.page()
    page.goto("http://127.0.0.1:%d/ops/#/health" % n.port)
    page.wait("document.getElementById('health-tiles').innerText"
              ".indexOf('1\\nthrottled by NetSuite') >= 0",
              what="one throttled event")
    assert "1\nretrying" in text(page, "#health-tiles")
    # the workers' counts of NetSuite's answers: the 429s over time
    page.wait("document.querySelector('#ns-chart svg')"
              ".getAttribute('aria-label').indexOf(': 0 in total') < 0",
              what="answers counted")
    rate = re.search(r"([0-9.]+) %\nNetSuite 429 rate last hour",
                     text(page, "#health-tiles"))
    assert rate and float(rate.group(1)) > 0
    throttled = page.eval("[].slice.call(document.querySelectorAll("
                          "'#ns-chart rect.bad')).filter(function (r) {"
                          "return +r.getAttribute('height') > 0; }).length")
    assert throttled >= 1
    fits(page)
    page.screenshot(os.path.join(SHOTS, "dashboard-health-throttled.png"))

    # the order's page says what is going on, in plain words
    page.goto("http://127.0.0.1:%d/ops/#/order/%s" % (n.port, oid))
    page.wait("document.querySelector('#order .error')", what="last error")
    assert "NetSuite was busy" in text(page, "#order .error")

    netsuite.clear_faults()
    wait_until(lambda: status(redis, "order", oid).get("state") == "synced",
               timeout=30, interval=0.1, what="synced after the storm")
    page.goto("http://127.0.0.1:%d/ops/#/health" % n.port)
    page.wait("document.getElementById('health-tiles').innerText"
              ".indexOf('0\\nthrottled by NetSuite') >= 0",
              what="nothing throttled")
    assert page.errors(allow_status=(404,)) == []
    w.stop()


def test_search_by_psp_reference_and_order_id(nginx_factory, redis_server,
                                              redis, browser):
    """The other two ways to find an order: a PSP reference (the worker's
    idx:psp index of captures) and the order id, in any case."""
    n = dashboard_nginx(nginx_factory, redis_server)
    oid = str(uuid.uuid4())
    seed_status(redis, "order", oid, "synced", number="PSP-ORDER-1",
                records=[{"type": "customerPayment", "id": "7001",
                          "externalId": "ct-pay-t1"}])
    redis.set("ctns:idx:psp:8815830153220001", json.dumps({
        "type": "customerPayment", "externalId": "ct-pay-t1",
        "orderId": oid, "paymentId": str(uuid.uuid4()),
        "transactionId": "t1", "amount": 8453, "currency": "USD",
        "fractionDigits": 2}))

    page = browser.page()
    base = "http://127.0.0.1:%d/ops/" % n.port
    for query in ("8815830153220001", oid.upper()):
        page.goto(base + "#/search")
        ready(page)
        # the previous answer goes, so that the wait sees the new one
        page.eval("document.getElementById('order').textContent = ''")
        page.eval("document.getElementById('q').value = ''")
        page.eval("document.getElementById('q').focus()")
        page.type(query)
        page.key("Enter")
        page.wait("document.querySelector('#order-title') && document"
                  ".querySelector('#order-title').innerText"
                  ".indexOf('PSP-ORDER-1') >= 0", what="order of " + query)
        assert "ct-pay-t1" in text(page, "#order table")
        assert "7001" in text(page, "#order table")

    page.goto(base + "#/order/NO-SUCH-THING")
    page.wait("document.getElementById('order').innerText"
              ".indexOf('is known yet') >= 0", what="not found")
    assert page.errors(allow_status=(404,)) == []
