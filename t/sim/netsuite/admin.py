"""/__admin API (spec section 11): no auth, no limits, JSON in and out."""

import json

from . import config as config_mod, jobs
from .render import Renderer
from .schema import REFERENCE_TYPES, canonical_type
from .util import merge_patch


def handle(sim, req):
    from .server import Response
    try:
        body = json.loads(req.body or b"{}") if req.body.strip() else {}
        status, out = route(sim, req, body)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        status, out = 400, {"error": "%s: %s" % (type(e).__name__, e)}
    return Response(status, out, None, "application/json")


def route(sim, req, body):
    p = req.path[len("/__admin/"):].rstrip("/")
    m = req.method
    key = (m, p)
    if key == ("GET", "health"):
        return 200, {"ok": True, "seq": sim.seq}
    if key == ("POST", "reset"):
        sim.reset(body.get("seed"), bool(body.get("restore_config")))
        return 200, {"ok": True}
    if p == "config":
        if m == "PUT":
            with sim.lock:
                cfg = json.loads(json.dumps(sim.config))
                merge_patch(cfg, body)
                config_mod.check(cfg)
                rules = body.get("faults")
                sim.config.clear()
                sim.config.update(cfg)
                if rules is not None:
                    sim.faults = []
                    sim.add_faults(rules)
        return 200, sim.config
    if key == ("POST", "clock"):
        return 200, clock(sim, body)
    if key == ("GET", "records"):
        return 200, records(sim, req)
    if m == "POST" and p.startswith("records/"):
        t = canonical_type(p[len("records/"):])
        if t is None:
            return 404, {"error": "unknown record type"}
        rows = body if isinstance(body, list) else [body]
        ids = [sim.store.insert_raw(t, row) for row in rows]
        return 200, {"ids": ids}
    if key == ("GET", "requests"):
        since = int(req.query.get("since", 0))
        limit = int(req.query.get("limit", 1000))
        with sim.lock:
            rows = [e for e in sim.log if e["seq"] > since][:limit]
        return 200, {"items": rows}
    if key == ("GET", "audit"):
        with sim.lock:
            return 200, {"items": list(sim.audit)}
    if p == "faults":
        return faults(sim, m, body)
    if key == ("POST", "hold"):
        with sim.cond:
            hid = "hold-%d" % (len(sim.holds) + 1)
            sim.holds.append({"id": hid, "match": body.get("match", {})})
        return 200, {"id": hid}
    if key == ("POST", "release"):
        with sim.cond:
            hid = body.get("id")
            sim.holds = [h for h in sim.holds if hid and h["id"] != hid]
            sim.cond.notify_all()
        return 200, {"ok": True}
    if key == ("GET", "stats"):
        return 200, sim.stats()
    if key == ("POST", "tokens/revoke"):
        sim.auth.revoke(body.get("token_id"), body.get("access_token"))
        return 200, {"ok": True}
    if key == ("GET", "jobs"):
        return 200, {"items": jobs.listing(sim)}
    if key == ("POST", "jobs/run"):
        return 200, {"ran": jobs.run_pending(sim)}
    return 404, {"error": "no admin route %s %s" % (m, p)}


def clock(sim, body):
    with sim.lock:
        if "now" in body:
            sim.config["clock"] = float(body["now"])
        elif "advance_s" in body:
            if sim.config["clock"] == "system":
                sim.clock_offset += float(body["advance_s"])
            else:
                sim.config["clock"] = float(sim.config["clock"]) + \
                    float(body["advance_s"])
        elif body.get("mode") == "system":
            sim.config["clock"] = "system"
            sim.clock_offset = 0.0
        return {"now": sim.now(), "mode": "system" if
                sim.config["clock"] == "system" else "frozen"}


def records(sim, req):
    store = sim.store
    want_type = canonical_type(req.query["type"]) if req.query.get("type") \
        else None
    eid = req.query.get("externalId")
    rid = req.query.get("id")
    rend = Renderer(store, req.base, expand=True)
    out = []
    with store.lock:
        if want_type in REFERENCE_TYPES:
            for row in store.ref[want_type].values():
                if (eid is None or row.get("externalId") == eid) and \
                        (rid is None or row["id"] == rid):
                    out.append(dict(rend.reference(want_type, row),
                                    id=row["id"], type=want_type))
            return {"items": out}
        for rec in sorted(store.recs.values(), key=lambda r: int(r.id)):
            if want_type and rec.type != want_type:
                continue
            if eid is not None and rec.eid != eid:
                continue
            if rid is not None and rec.id != rid:
                continue
            body = rend.record(rec)
            body["type"] = rec.type
            body["_sim"] = {"deposited": rec.id in store.deposited_in,
                            "depositId": store.deposited_in.get(rec.id),
                            "consumedBy": {k: v for k, v in
                                           store.consumed.get(rec.id,
                                                              {}).items()}}
            out.append(body)
    return {"items": out}


def faults(sim, m, body):
    with sim.lock:
        if m == "POST":
            rules = body if isinstance(body, list) else [body]
            return 200, {"ids": sim.add_faults(rules)}
        if m == "DELETE":
            sim.faults = []
            return 200, {"ok": True}
        return 200, {"items": [{k: v for k, v in r.items()
                                if not k.startswith("_")} |
                               {"applied": r["_applied"],
                                "matched": r["_count"]}
                               for r in sim.faults]}
