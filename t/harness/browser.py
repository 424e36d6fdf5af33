"""Headless Debian Chromium driven over the DevTools protocol.

    def test_x(browser):
        page = browser.page()
        page.goto("http://127.0.0.1:8080/ops/")
        page.wait("document.body.dataset.ready === '1'")
        page.screenshot("build/screenshots/x.png")
        assert page.errors() == []

One Chromium per test with a fresh profile in a temporary directory, no
network beyond what the page asks for (background, component and sync
traffic off), DevTools on a free loopback port.  The protocol is spoken
over python3-websocket: Runtime for evaluation, exceptions and console
calls, Log for browser-side errors, Network for every request the page
makes (so a test can prove none leaves the machine), Page for screenshots,
Input for real key presses and clicks.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

from harness.common import free_port, stop_process, wait_port

CHROMIUM = os.environ.get("CTNS_CHROMIUM", "/usr/bin/chromium")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions",
         "--hide-scrollbars", "--mute-audio"]

# Key codes of the keys tests press (Input.dispatchKeyEvent).
KEYS = {"Tab": 9, "Enter": 13, "Escape": 27, "ArrowDown": 40}


class Page:
    """One tab: commands, and the events collected while waiting."""

    def __init__(self, ws_url):
        # Debian's python3-websocket; imported here so that a machine
        # without it still loads the other harness plugins
        import websocket

        self.timeout_error = websocket.WebSocketTimeoutException
        self.ws = websocket.create_connection(ws_url, timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")

    def call(self, method, **params):
        """Sends a command and returns its result (events are kept)."""
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method,
                                 "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def eval(self, expression):
        """The value of a JavaScript expression (promises awaited)."""
        r = self.call("Runtime.evaluate", expression=expression,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluation failed: %s"
                               % r["exceptionDetails"])
        return r["result"].get("value")

    def wait(self, expression, timeout=15, what=None):
        """Polls until the expression is truthy in JavaScript (an element
        found, a non-empty text).  An expression that throws (the page is
        still loading) counts as not yet."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                if self.eval("!!(%s)" % expression):
                    return
            except RuntimeError as e:
                last = e
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for %s (%s)"
                                     % (what or expression, last))
            time.sleep(0.1)

    def goto(self, url):
        self.call("Page.navigate", url=url)

    def key(self, name):
        """A real key press on the focused element."""
        code = KEYS[name]
        base = {"key": name, "code": name, "windowsVirtualKeyCode": code,
                "nativeVirtualKeyCode": code}
        if name == "Enter":
            base["text"] = "\r"
        self.call("Input.dispatchKeyEvent", type="keyDown", **base)
        self.call("Input.dispatchKeyEvent", type="keyUp", **base)

    def type(self, text):
        self.call("Input.insertText", text=text)

    def click(self, selector):
        """A real mouse click in the middle of the element."""
        box = self.eval(
            "(function () { var e = document.querySelector(%s);"
            " e.scrollIntoView({block: 'center'});"
            " var r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
            % json.dumps(selector))
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0],
                      y=box[1], button="left", clickCount=1)

    def focused(self):
        """A short description of document.activeElement."""
        return self.eval(
            "(function (e) { return e.tagName.toLowerCase() +"
            " (e.id ? '#' + e.id : '') + ' ' +"
            " (e.getAttribute('aria-label') || e.textContent || '')"
            ".trim().slice(0, 60); })(document.activeElement)")

    def screenshot(self, path):
        """The whole page as PNG; returns the path."""
        shot = self.call("Page.captureScreenshot", format="png",
                         captureBeyondViewport=True)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(shot["data"]))
        return path

    def drain(self):
        """Reads the events that arrived meanwhile."""
        self.ws.settimeout(0.2)
        try:
            while True:
                msg = json.loads(self.ws.recv())
                if "method" in msg:
                    self.events.append(msg)
        except self.timeout_error:
            pass
        finally:
            self.ws.settimeout(30)

    def errors(self, allow_status=()):
        """JavaScript exceptions, console.error/warn calls and browser
        errors.  Failed HTTP answers the page handles on purpose (a 404 of
        a lookup) are left out when their status is in allow_status."""
        self.drain()
        status = {}
        for e in self.events:
            if e["method"] == "Network.responseReceived":
                status[e["params"]["requestId"]] = \
                    e["params"]["response"]["status"]
        out = []
        for e in self.events:
            m, p = e["method"], e["params"]
            if m == "Runtime.exceptionThrown":
                out.append("exception: %s" % json.dumps(
                    p["exceptionDetails"])[:500])
            elif m == "Runtime.consoleAPICalled" and p["type"] in (
                    "error", "warning", "assert"):
                out.append("console.%s: %s" % (p["type"], json.dumps(
                    p["args"])[:500]))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                entry = p["entry"]
                if entry.get("source") == "network" and status.get(
                        entry.get("networkRequestId")) in allow_status:
                    continue
                out.append("log: %s %s" % (entry.get("url", ""),
                                           entry["text"]))
        return out

    def requests(self):
        """Every URL the page requested."""
        self.drain()
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def close(self):
        self.ws.close()


class Browser:
    def __init__(self, width=1366, height=900):
        self.profile = tempfile.mkdtemp(prefix="ctns-chromium-")
        self.port = free_port()
        self.log_path = os.path.join(self.profile, "chromium.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [CHROMIUM] + FLAGS +
            ["--user-data-dir=" + self.profile,
             "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=%d" % self.port,
             "--window-size=%d,%d" % (width, height), "about:blank"],
            stdout=self.log, stderr=self.log)
        try:
            wait_port(self.port, timeout=30, proc=self.proc)
        except Exception:
            self.stop()
            with open(self.log_path, errors="replace") as fh:
                raise RuntimeError("chromium did not start:\n" + fh.read())
        self.pages = []

    def page(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list"
                                    % self.port, timeout=10) as r:
            targets = json.load(r)
        tab = [t for t in targets if t["type"] == "page"][0]
        p = Page(tab["webSocketDebuggerUrl"])
        self.pages.append(p)
        return p

    def stop(self):
        for p in getattr(self, "pages", []):
            try:
                p.close()
            except Exception:
                pass
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def browser():
    """A headless Chromium, stopped after the test."""
    b = Browser()
    yield b
    b.stop()
