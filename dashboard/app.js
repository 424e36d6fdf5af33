/*
 * ct-netsuite operations dashboard: plain JavaScript over the module's
 * status API (docs/status.md).  No framework, no build step, no request
 * to any other host.  Every value from the API reaches the page through
 * textContent or a checked attribute, never as HTML.
 */

"use strict";

(function () {

    var config = {
        statusUrl: "/ct/status/",
        netsuiteUrl: "",
        refreshSeconds: 15
    };

    var UUID = new RegExp("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                          + "[0-9a-f]{4}-[0-9a-f]{12}$", "i");
    var ACCEPTED = ["enqueued", "duplicate", "test", "handshake"];
    var VIEWS = ["search", "health", "dlq", "reconcile"];

    var timer = null;
    var watchers = {};

    /* --- DOM helpers ----------------------------------------------------- */

    function $(id) {
        return document.getElementById(id);
    }

    /* el("a", {href: x, class: "y"}, "text", child, ...) */
    function el(tag, attrs) {
        var node = document.createElement(tag);
        var i, k, c;

        for (k in attrs || {}) {
            if (!Object.prototype.hasOwnProperty.call(attrs, k)
                || attrs[k] === null || attrs[k] === undefined)
            {
                continue;
            }
            if (k === "text") {
                node.textContent = attrs[k];
            } else if (k.slice(0, 2) === "on") {
                node.addEventListener(k.slice(2), attrs[k]);
            } else {
                node.setAttribute(k, attrs[k]);
            }
        }

        for (i = 2; i < arguments.length; i++) {
            c = arguments[i];
            if (c === null || c === undefined || c === false) {
                continue;
            }
            node.appendChild(typeof c === "object" ? c
                             : document.createTextNode(String(c)));
        }

        return node;
    }

    function fill(target, node) {
        target.textContent = "";
        if (node) {
            target.appendChild(node);
        }
    }

    function table(caption, heads, rows) {
        var thead = el("tr", null);
        var body = el("tbody", null);

        heads.forEach(function (h) {
            thead.appendChild(el("th", {scope: "col", text: h}));
        });
        rows.forEach(function (r) {
            body.appendChild(r);
        });

        return el("table", null,
                  caption ? el("caption", {text: caption}) : null,
                  el("thead", null, thead), body);
    }

    function row(cells) {
        var tr = el("tr", null);

        cells.forEach(function (c) {
            tr.appendChild(c instanceof Node && c.nodeName === "TD" ? c
                           : el("td", null, c === null ? "\u2013" : c));
        });
        return tr;
    }

    function notice(text) {
        var n = $("notice");

        n.textContent = text || "";
        n.hidden = !text;
    }

    /* --- values ---------------------------------------------------------- */

    function ms(v) {
        if (typeof v === "number") {
            return v;
        }
        if (typeof v === "string" && /^\d+$/.test(v)) {
            return parseInt(v, 10);
        }
        if (typeof v === "string" && v) {
            var t = Date.parse(v);
            return isNaN(t) ? null : t;
        }
        return null;
    }

    function when(v) {
        var t = ms(v);

        if (t === null) {
            return "\u2013";
        }
        return new Date(t).toISOString().replace("T", " ")
               .replace(/\.\d+Z$/, " UTC");
    }

    function safeUrl(u) {
        return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null;
    }

    var TRANSACTIONS = {
        salesOrder: 1, invoice: 1, cashSale: 1, customerPayment: 1,
        customerDeposit: 1, creditMemo: 1, customerRefund: 1,
        journalEntry: 1, deposit: 1, itemFulfillment: 1
    };

    /* The API's link, else one built from the configured account URL. */
    function recordLink(rec) {
        var base = safeUrl(config.netsuiteUrl);

        if (safeUrl(rec.link)) {
            return rec.link;
        }
        if (!base || !rec.id) {
            return null;
        }
        base = base.replace(/\/+$/, "");
        if (rec.type === "customer") {
            return base + "/app/common/entity/custjob.nl?id="
                   + encodeURIComponent(rec.id);
        }
        if (TRANSACTIONS[rec.type]) {
            return base + "/app/accounting/transactions/transaction.nl?id="
                   + encodeURIComponent(rec.id);
        }
        return null;
    }

    var PLAIN = {
        USER_ERROR: "NetSuite refused a value in the document.",
        INVALID_KEY_OR_REF: "The document refers to a NetSuite record that "
            + "does not exist (an item, customer, account or tax code).",
        NONEXISTENT_ID: "The document refers to a NetSuite record that "
            + "does not exist.",
        INVALID_CONTENT: "NetSuite could not read the document.",
        CONCURRENCY_LIMIT_EXCEEDED: "NetSuite was busy (too many requests "
            + "at once). The worker tries again by itself.",
        SSS_REQUEST_LIMIT_EXCEEDED: "NetSuite was busy (request limit). "
            + "The worker tries again by itself.",
        INVALID_LOGIN: "NetSuite did not accept the integration's "
            + "credentials.",
        INSUFFICIENT_PERMISSION: "The integration's NetSuite role lacks a "
            + "permission this document needs."
    };

    /* NetSuite's code and detail in words a finance person can act on. */
    function plainError(e) {
        var http = e.http;

        if (e.code && PLAIN[e.code]) {
            return PLAIN[e.code];
        }
        if (http === 429) {
            return "NetSuite was busy. The worker tries again by itself.";
        }
        if (http >= 500) {
            return "NetSuite had a temporary problem. The worker tries "
                   + "again by itself.";
        }
        if (http === 401 || http === 403) {
            return "NetSuite refused the integration's access.";
        }
        if (http >= 400) {
            return "NetSuite refused the document.";
        }
        if (!http) {
            return "NetSuite could not be reached, or the event could not "
                   + "be turned into a NetSuite document.";
        }
        return "NetSuite answered with status " + http + ".";
    }

    function errorBlock(e, title) {
        var path = e.path ? el("p", null, "Field: ", el("code", {text: e.path}))
                          : null;

        return el("div", {class: "error", role: "group",
                          "aria-label": title},
                  el("h4", {text: title}),
                  el("p", {class: "plain", text: plainError(e)}),
                  e.detail ? el("p", null, "NetSuite said: ",
                                el("q", {text: e.detail})) : null,
                  path,
                  el("p", {class: "muted"},
                     "HTTP " + (e.http || "\u2013") + ", code "
                     + (e.code || "\u2013")
                     + (e.at ? ", " + when(e.at) : "")));
    }

    function badge(state) {
        return el("span", {class: "badge state-" + (state || "unknown"),
                           text: state || "unknown"});
    }

    /* --- API ------------------------------------------------------------- */

    function headers(extra) {
        var h = {"Accept": "application/json"};
        var token = sessionStorage.getItem("ctns-token");
        var k;

        if (token) {
            h["Authorization"] = "Bearer " + token;
        }
        for (k in extra || {}) {
            h[k] = extra[k];
        }
        return h;
    }

    /* {status, body}; a network failure is status 0. */
    function api(path, options) {
        var opts = options || {};

        return fetch(config.statusUrl + path, {
            method: opts.method || "GET",
            headers: headers(opts.headers),
            cache: "no-store",
            credentials: "same-origin"
        }).then(function (r) {
            return r.json().catch(function () {
                return null;
            }).then(function (body) {
                return {status: r.status, body: body};
            });
        }).catch(function () {
            return {status: 0, body: null};
        });
    }

    function explain(res) {
        if (res.status === 401) {
            return "The status API asks for an access token: enter it under "
                   + "\u201cAccess token\u201d.";
        }
        if (res.status === 403) {
            return "Not allowed: " + ((res.body && res.body.error) || "");
        }
        if (res.status === 503) {
            return "Redis is not reachable from nginx right now; try again "
                   + "in a few seconds.";
        }
        if (res.status === 0) {
            return "The status API cannot be reached.";
        }
        return "The status API answered " + res.status
               + (res.body && res.body.error ? ": " + res.body.error : ".");
    }

    /* --- orders ---------------------------------------------------------- */

    /* The order view for an order id, number or PSP reference. */
    function findOrder(q) {
        if (UUID.test(q)) {
            return api("orders/" + encodeURIComponent(q.toLowerCase()));
        }
        return api("orders/by-number/" + encodeURIComponent(q))
            .then(function (res) {
                if (res.status !== 404) {
                    return res;
                }
                return api("psp/" + encodeURIComponent(q))
                    .then(function (psp) {
                        if (psp.status !== 200 || !psp.body.orderId) {
                            return res;
                        }
                        return api("orders/"
                                   + encodeURIComponent(psp.body.orderId));
                    });
            });
    }

    function timeline(audit) {
        var list = el("ol", {class: "timeline"});

        audit.forEach(function (a) {
            var failed = a.http && a.http >= 400;

            list.appendChild(el("li", {class: "action-" + a.action},
                el("time", {text: when(a.at)}),
                el("span", {class: "what"},
                   el("strong", {text: a.type || "event"}), " \u2014 ",
                   a.action, a.result ? " (" + a.result + ")" : ""),
                (a.records || []).length
                    ? el("span", {class: "muted"}, " " + a.records.length
                         + " NetSuite record"
                         + (a.records.length === 1 ? "" : "s")) : null,
                failed || a.detail
                    ? el("div", {class: failed ? "why bad" : "why"},
                         failed ? plainError(a) + " " : "",
                         a.detail ? el("q", {text: a.detail}) : null,
                         a.code ? " (" + a.code + ")" : "")
                    : null,
                el("div", {class: "muted small"}, "event ",
                   el("code", {text: a.event || "\u2013"}))));
        });

        return list;
    }

    function renderOrder(o) {
        var recs = (o.records || []).map(function (r) {
            var href = recordLink(r);

            return row([r.type, href
                        ? el("a", {href: href, target: "_blank",
                                   rel: "noopener noreferrer",
                                   text: r.id,
                                   "aria-label": "Open " + r.type + " "
                                       + r.id + " in NetSuite"})
                        : (r.id || "not created yet"),
                        el("code", {text: r.externalId || "\u2013"})]);
        });

        return el("article", {class: "order", "aria-labelledby": "order-title"},
            el("h3", {id: "order-title"},
               "Order " + (o.order_number || o.id), " ", badge(o.state)),
            el("dl", {class: "facts"},
               el("dt", {text: "Order id"}), el("dd", null,
                                                el("code", {text: o.id})),
               el("dt", {text: "State"}), el("dd", {text: o.state}),
               el("dt", {text: "Attempts"}),
               el("dd", {text: o.attempts === null ? "\u2013"
                                                   : String(o.attempts)}),
               el("dt", {text: "Last change"}),
               el("dd", {text: when(o.updated_at_ms)})),
            o.last_error ? errorBlock(o.last_error, "Last error") : null,
            el("h4", {text: "NetSuite documents"}),
            recs.length
                ? table(null, ["Type", "Internal id", "External id"], recs)
                : el("p", {class: "muted",
                           text: "No NetSuite document yet."}),
            el("h4", {text: "Timeline (newest first)"}),
            (o.audit || []).length ? timeline(o.audit)
                : el("p", {class: "muted", text: "No event processed yet."}));
    }

    /*
     * The order, looked up again on every refresh; the page is redrawn
     * only when the answer changed, so that keyboard focus stays put.
     */
    function showOrder(q, again) {
        var out = $("order");
        var seen;

        if (!again) {
            $("q").value = q;
            out.removeAttribute("data-seen");
            fill(out, el("p", {class: "muted",
                               text: "Looking up " + q + "\u2026"}));
        }

        return findOrder(q).then(function (res) {
            seen = res.status + " " + JSON.stringify(res.body);

            if (again && out.getAttribute("data-seen") === seen) {
                return;
            }
            out.setAttribute("data-seen", seen);

            if (res.status === 200) {
                fill(out, renderOrder(res.body));
            } else if (res.status === 404) {
                fill(out, el("p", {class: "empty"}, "No order, order number "
                             + "or PSP reference \u201c" + q + "\u201d is "
                             + "known yet."));
            } else {
                fill(out, el("p", {class: "empty", text: explain(res)}));
            }
        });
    }

    /* --- pipeline health ------------------------------------------------- */

    function sumResults(by, accepted) {
        var n = 0;
        var k;

        for (k in by) {
            if ((ACCEPTED.indexOf(k) >= 0) === accepted) {
                n += by[k];
            }
        }
        return n;
    }

    function minuteTotals(m) {
        var ok = 0, bad = 0;
        var ch;

        for (ch in m.deliveries) {
            ok += sumResults(m.deliveries[ch], true);
            bad += sumResults(m.deliveries[ch], false);
        }
        return {ok: ok, bad: bad};
    }

    function addUp(totals) {
        return totals.reduce(function (a, t) {
            return {ok: a.ok + t.ok, bad: a.bad + t.bad};
        }, {ok: 0, bad: 0});
    }

    function tile(label, value, hint, warn) {
        return el("div", {class: "tile" + (warn ? " warn" : "")},
                  el("div", {class: "value", text: String(value)}),
                  el("div", {class: "label", text: label}),
                  hint ? el("div", {class: "hint", text: hint}) : null);
    }

    var SVG = "http://www.w3.org/2000/svg";

    function svg(tag, attrs, text) {
        var node = document.createElementNS(SVG, tag);
        var k;

        for (k in attrs) {
            node.setAttribute(k, attrs[k]);
        }
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    }

    /* NetSuite's answers of a minute: all but 429, and 429. */
    function answerTotals(m) {
        var ok = 0;
        var k;

        for (k in m.answers) {
            if (k !== "429") {
                ok += m.answers[k];
            }
        }
        return {ok: ok, bad: m.answers["429"] || 0};
    }

    var DELIVERIES = {what: "Deliveries", ok: "accepted", bad: "refused",
                      okKey: " accepted (queued or duplicate)  ",
                      badKey: " refused (signature, malformed, Redis "
                              + "unavailable\u2026)"};
    var ANSWERS = {what: "NetSuite answers", ok: "other answers",
                   bad: "throttled (429)",
                   okKey: " other answers (success, other errors, "
                          + "timeouts)  ",
                   badKey: " throttled (429: over the account's "
                           + "concurrency limit)"};

    /*
     * Stacked bars, one per minute: totals[i].ok below, .bad above; kind
     * names them (DELIVERIES, ANSWERS).
     */
    function chart(minutes, totals, kind) {
        var w = 720, h = 170, left = 36, bottom = 22, top = 8;
        var bw = (w - left) / minutes.length;
        var max = Math.max.apply(null, totals.map(function (t) {
            return t.ok + t.bad;
        }).concat([1]));
        var sum = totals.reduce(function (a, t) {
            return a + t.ok + t.bad;
        }, 0);
        var root = svg("svg", {viewBox: "0 0 " + w + " " + h,
                               role: "img", class: "bars",
                               "aria-label": kind.what + " per minute over "
                                   + "the last hour: " + sum + " in total, "
                                   + "at most " + (max === 1 && sum === 0 ? 0
                                   : max) + " in one minute"});
        var scale = (h - bottom - top) / max;

        root.appendChild(svg("line", {x1: left, y1: h - bottom, x2: w,
                                      y2: h - bottom, class: "axis"}));
        root.appendChild(svg("text", {x: left - 4, y: top + 10,
                                      "text-anchor": "end"}, String(max)));
        root.appendChild(svg("text", {x: left - 4, y: h - bottom,
                                      "text-anchor": "end"}, "0"));
        root.appendChild(svg("text", {x: left, y: h - 6}, "60 min ago"));
        root.appendChild(svg("text", {x: w, y: h - 6,
                                      "text-anchor": "end"}, "now"));

        totals.forEach(function (t, i) {
            var x = left + i * bw + 1;
            var hOk = t.ok * scale, hBad = t.bad * scale;
            var g = svg("g", {});

            g.appendChild(svg("title", {}, when(minutes[i].at_ms) + ": "
                              + t.ok + " " + kind.ok + ", " + t.bad + " "
                              + kind.bad));
            g.appendChild(svg("rect", {x: x, y: h - bottom - hOk,
                                       width: Math.max(bw - 2, 1),
                                       height: hOk, class: "ok"}));
            g.appendChild(svg("rect", {x: x, y: h - bottom - hOk - hBad,
                                       width: Math.max(bw - 2, 1),
                                       height: hBad, class: "bad"}));
            root.appendChild(g);
        });

        return el("figure", null, root,
                  el("figcaption", null,
                     el("span", {class: "key ok"}), kind.okKey,
                     el("span", {class: "key bad"}), kind.badKey));
    }

    function byChannel(minutes) {
        var totals = {};
        var rows = [];
        var ch, res;

        minutes.forEach(function (m) {
            for (ch in m.deliveries) {
                totals[ch] = totals[ch] || {};
                for (res in m.deliveries[ch]) {
                    totals[ch][res] = (totals[ch][res] || 0)
                                      + m.deliveries[ch][res];
                }
            }
        });

        for (ch in totals) {
            for (res in totals[ch]) {
                rows.push(row([ch, res, String(totals[ch][res])]));
            }
        }

        return rows.length ? table(null, ["Channel", "Result", "Deliveries"],
                                   rows)
            : el("p", {class: "muted", text: "No delivery in the last hour."});
    }

    function renderHealth(summary, dlq, history, retrying, netsuite) {
        var minutes = history.minutes;
        var throttled = retrying.by_http["429"] || 0;
        var answers = netsuite.minutes.map(answerTotals);
        var asked = addUp(answers);
        var rate = asked.ok + asked.bad
                   ? (100 * asked.bad / (asked.ok + asked.bad)).toFixed(1)
                     + " %" : "\u2013";
        var last = minuteTotals(minutes[minutes.length - 2] || minutes[0]);
        var hour = addUp(minutes.map(minuteTotals));
        var tiles = el("div", {class: "tiles"},
            tile("accepted last minute", last.ok),
            tile("accepted last hour", hour.ok),
            tile("refused last hour", hour.bad, null, hour.bad > 0),
            tile("waiting for a worker (lag)", summary.total.lag),
            tile("being worked on (pending)", summary.total.pending),
            tile("retrying", dlq.retrying, "NetSuite busy or failing",
                 dlq.retrying > 0),
            tile("dead letters", summary.dlq.length, "need a person",
                 summary.dlq.length > 0),
            tile("throttled by NetSuite (429)", throttled,
                 "of the retrying events, by NetSuite's last answer"
                 + (retrying.sampled < retrying.length
                    ? " (first " + retrying.sampled + ")" : ""),
                 throttled > 0),
            tile("NetSuite 429 rate last hour", rate,
                 asked.bad + " of " + (asked.ok + asked.bad)
                 + " answers to the workers", asked.bad > 0));

        $("health-time").textContent = when(summary.time);
        fill($("health-tiles"), tiles);
        fill($("chart"), chart(minutes, minutes.map(minuteTotals),
                               DELIVERIES));
        fill($("ns-chart"), chart(netsuite.minutes, answers, ANSWERS));
        fill($("by-channel"), byChannel(minutes));
        fill($("shards"), table(null,
            ["Shard", "Length", "Pending", "Lag", "Consumers",
             "Oldest pending"],
            summary.shards.map(function (s) {
                return row([String(s.shard), String(s.length),
                            String(s.pending),
                            s.lag === null ? null : String(s.lag),
                            s.consumers === null ? null : String(s.consumers),
                            s.oldest_pending_age_ms === null ? null
                            : Math.round(s.oldest_pending_age_ms / 1000)
                              + " s"]);
            })));
        dlqCount(summary.dlq.length);
    }

    function loadHealth() {
        return Promise.all([api(""), api("dlq"), api("history"),
                            api("retrying"), api("netsuite")])
            .then(function (r) {
                var bad = r.filter(function (x) {
                    return x.status !== 200;
                });

                if (bad.length) {
                    notice(explain(bad[0]));
                    return;
                }
                notice("");
                renderHealth(r[0].body, r[1].body, r[2].body, r[3].body,
                             r[4].body);
            });
    }

    /* --- dead letters ---------------------------------------------------- */

    function dlqCount(n) {
        var c = $("dlq-count");

        c.hidden = !n;
        c.textContent = n ? String(n) : "";
    }

    function orderOf(e) {
        var m = /^order\/(.+)$/.exec(e.resource || "");

        return m ? m[1] : null;
    }

    /* After a replay: follow the order until it leaves "dead". */
    function watch(oid, cell) {
        var tries = 0;

        if (!oid || watchers[oid]) {
            return;
        }
        watchers[oid] = setInterval(function () {
            api("orders/" + oid).then(function (res) {
                var state = res.status === 200 ? res.body.state : null;

                tries++;
                if (state && state !== "dead") {
                    fill(cell, el("span", null, "Replayed: ", badge(state)));
                }
                if (state === "synced" || tries > 90) {
                    clearInterval(watchers[oid]);
                    delete watchers[oid];
                    api("dlq").then(function (list) {
                        if (list.status === 200) {
                            dlqCount(list.body.length);
                        }
                    });
                }
            });
        }, 1000);
    }

    function replay(e, button, cell) {
        button.disabled = true;
        fill(cell, el("span", {text: "Asking the worker\u2026"}));

        return api("dlq/" + encodeURIComponent(e.dlq_id) + "/replay", {
            method: "POST",
            headers: {"X-CTNS-Request": "replay"}
        }).then(function (res) {
            if (res.status === 202) {
                button.textContent = "Queued";
                fill(cell, el("span", {text: "Queued for the worker"}));
                watch(orderOf(e), cell);
                return;
            }
            button.disabled = false;
            fill(cell, el("span", {class: "bad", text: res.status === 404
                ? "Already replayed or removed." : explain(res)}));
        });
    }

    function dlqRow(e) {
        var oid = orderOf(e);
        var cell = el("td", {class: "outcome", "aria-live": "polite"});
        var button = el("button", {type: "button", class: "replay",
                                   "data-entry": e.dlq_id,
                                   "aria-label": "Replay " + (e.type || "event")
                                       + " of " + (oid || e.resource)});

        button.textContent = "Replay";
        button.addEventListener("click", function () {
            replay(e, button, cell);
        });

        return row([
            oid ? el("a", {href: "#/order/" + encodeURIComponent(oid),
                           text: oid.slice(0, 8) + "\u2026",
                           title: oid})
                : (e.resource || null),
            e.type || null,
            el("td", {class: "err"},
               el("div", {class: "plain", text: plainError(e)}),
               e.detail ? el("q", {text: e.detail}) : null,
               el("div", {class: "muted small",
                          text: "HTTP " + (e.http || "\u2013") + ", "
                                + (e.code || "no code")
                                + (e.path ? ", field " + e.path : "")})),
            e.attempts === null ? null : String(e.attempts),
            when(e.first_failure), when(e.last_failure),
            el("td", null, button), cell]);
    }

    /*
     * Redrawn on refresh only when the list changed, and not while a
     * replay's outcome is on screen: the person is reading it (the list is
     * fresh again on the next visit of the view).
     */
    function loadDlq(again) {
        return api("dlq").then(function (res) {
            var out = $("dlq");
            var seen = res.status + " " + JSON.stringify(res.body);

            if (again && (out.getAttribute("data-seen") === seen
                          || out.querySelector("td.outcome span")))
            {
                return;
            }
            out.setAttribute("data-seen", seen);

            if (res.status !== 200) {
                fill(out, el("p", {class: "empty", text: explain(res)}));
                return;
            }
            dlqCount(res.body.length);
            if (!res.body.entries.length) {
                fill(out, el("p", {class: "empty",
                                   text: "No dead letter. Nothing to do."}));
                return;
            }
            fill(out, el("div", null,
                el("p", {class: "muted"}, res.body.length + " dead letter"
                   + (res.body.length === 1 ? "" : "s")
                   + (res.body.length > res.body.entries.length
                      ? ", the newest " + res.body.entries.length + " shown"
                      : "") + "; " + res.body.retrying + " event"
                   + (res.body.retrying === 1 ? "" : "s") + " retrying."),
                table(null, ["Order", "Event", "Error", "Attempts",
                             "First failure", "Last failure", "Action",
                             "Outcome"],
                      res.body.entries.map(dlqRow))));
        });
    }

    /* --- reconciliation -------------------------------------------------- */

    function loadReconcile() {
        return api("reconcile").then(function (res) {
            var out = $("reconcile");
            var dl, k, v;

            if (res.status === 404) {
                fill(out, el("p", {class: "empty"},
                             "No run yet. ", el("code",
                             {text: "ctns-worker reconcile --from \u2026 "
                                    + "--to \u2026"}),
                             " compares commercetools with NetSuite."));
                return;
            }
            if (res.status !== 200) {
                fill(out, el("p", {class: "empty", text: explain(res)}));
                return;
            }
            dl = el("dl", {class: "facts"});
            for (k in res.body) {
                v = res.body[k];
                dl.appendChild(el("dt", {text: k.replace(/_/g, " ")}));
                dl.appendChild(el("dd", {text: typeof v === "object"
                                         ? JSON.stringify(v) : String(v)}));
            }
            fill(out, dl);
        });
    }

    /* --- navigation ------------------------------------------------------ */

    function route() {
        var hash = location.hash.replace(/^#\/?/, "");
        var parts = hash.split("/");
        var view = parts[0] === "order" ? "search" : parts[0];
        var load;

        if (VIEWS.indexOf(view) < 0) {
            view = "search";
        }

        VIEWS.forEach(function (v) {
            $("view-" + v).hidden = v !== view;
        });
        Array.prototype.forEach.call(document.querySelectorAll(".tabs a"),
            function (a) {
                if (a.getAttribute("data-view") === view) {
                    a.setAttribute("aria-current", "page");
                } else {
                    a.removeAttribute("aria-current");
                }
            });

        notice("");
        clearInterval(timer);
        timer = null;

        if (parts[0] === "order" && parts[1]) {
            load = function (again) {
                return showOrder(decodeURIComponent(parts.slice(1).join("/")),
                                 again === true);
            };
        } else if (view === "health") {
            load = loadHealth;
        } else if (view === "dlq") {
            load = loadDlq;
        } else if (view === "reconcile") {
            load = loadReconcile;
        }

        document.body.setAttribute("data-view", view);
        document.body.removeAttribute("data-ready");

        if (!load) {
            document.body.setAttribute("data-ready", "1");
            return;
        }
        load().then(function () {
            document.body.setAttribute("data-ready", "1");
        });
        timer = setInterval(function () {
            load(true);
        }, config.refreshSeconds * 1000);
    }

    function start() {
        $("search-form").addEventListener("submit", function (ev) {
            var q = $("q").value.trim();

            ev.preventDefault();
            if (q) {
                location.hash = "#/order/" + encodeURIComponent(q);
            }
        });
        $("token-form").addEventListener("submit", function (ev) {
            ev.preventDefault();
            sessionStorage.setItem("ctns-token", $("token").value.trim());
            $("token").value = "";
            route();
        });
        window.addEventListener("hashchange", route);
        route();
    }

    fetch("config.json", {cache: "no-store"})
        .then(function (r) {
            return r.ok ? r.json() : {};
        })
        .catch(function () {
            return {};
        })
        .then(function (c) {
            var k;

            for (k in c) {
                config[k] = c[k];
            }
            if (!/\/$/.test(config.statusUrl)) {
                config.statusUrl += "/";
            }
            start();
        });
}());
