"""REST routes: record service, transforms, collections, SuiteQL, async
jobs and governance (simulator spec section 7)."""

from . import jobs, listq, suiteql
from .normalize import Modes
from .render import Renderer
from .schema import (REFERENCE_TYPES, SCHEMAS, WRITABLE_TYPES, LINES,
                     canonical_type)
from .transforms import transform
from .util import (COLLECTION_CT, SINGULAR_CT, NsError, invalid_content,
                   loads_body, not_found, user_error)

RECORD = "/services/rest/record/v1/"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Route:
    def __init__(self, kind, rtype=None, key=None, extra=None):
        self.kind = kind
        self.type = rtype
        self.key = key
        self.extra = extra or []


def _unknown_type(name):
    return NsError(404, "Record type '%s' does not exist." % name,
                   "SIM_UNKNOWN_RECORD_TYPE")


def _not_allowed():
    return NsError(405, "The HTTP method is not allowed for this resource.",
                   "SIM_METHOD_NOT_ALLOWED")


def classify(req):
    """Record type of the request, for fault and hold matching."""
    req.record_type = None
    if req.path.startswith(RECORD):
        segs = req.path[len(RECORD):].split("/")
        if len(segs) >= 4 and segs[2] == "!transform":
            req.record_type = canonical_type(segs[3])
        elif segs and segs[0]:
            req.record_type = canonical_type(segs[0])


def route(sim, req):
    p = req.path
    m = req.method
    if p.startswith(RECORD):
        segs = p[len(RECORD):].split("/")
        if segs[0] == "metadata-catalog":
            if m != "GET":
                raise _not_allowed()
            t = canonical_type(segs[1]) if len(segs) > 1 and segs[1] \
                else None
            if len(segs) > 1 and t is None:
                raise _unknown_type(segs[1])
            return Route("metadata", t)
        t = canonical_type(segs[0])
        if t is None:
            raise _unknown_type(segs[0])
        if len(segs) == 1:
            allowed = ("GET",) if t in REFERENCE_TYPES else \
                ("GET", "POST", "PUT", "PATCH", "DELETE")
            if m not in allowed:
                raise _not_allowed()
            return Route("collection", t)
        key = segs[1]
        if len(segs) == 2:
            allowed = ("GET",) if t in REFERENCE_TYPES else \
                ("GET", "PATCH", "PUT", "DELETE")
            if m not in allowed:
                raise _not_allowed()
            return Route("record", t, key)
        if len(segs) == 4 and segs[2] == "!transform":
            to = canonical_type(segs[3])
            if to is None:
                raise _unknown_type(segs[3])
            if m != "POST":
                raise _not_allowed()
            return Route("transform", t, key, [to])
        if len(segs) in (3, 4) and m == "GET" and segs[2] in LINES:
            return Route("sublist", t, key, segs[2:])
        raise NsError(404, "The requested resource does not exist.",
                      "SIM_NOT_FOUND")
    if p == "/services/rest/query/v1/suiteql":
        if m != "POST":
            raise _not_allowed()
        return Route("suiteql")
    if p.startswith("/services/rest/async/v1/job/"):
        if m != "GET":
            raise _not_allowed()
        return Route("job", None, None,
                     p[len("/services/rest/async/v1/job/"):].split("/"))
    if p == "/services/rest/system/v1/governanceLimits":
        return Route("governance")
    raise NsError(404, "The requested resource does not exist.",
                  "SIM_NOT_FOUND")


def body_checks(sim, req, r):
    """Size, content type and JSON syntax of write bodies (spec 4.1)."""
    req.json = None
    if req.method not in ("POST", "PUT", "PATCH"):
        return
    if req.too_large:
        raise NsError(413, "The request body is too large.",
                      "SIM_REQUEST_TOO_LARGE")
    if r.kind == "transform" and not req.body.strip():
        req.json = {}
        return
    ct = req.content_type.lower()
    if not (ct.startswith("application/json") or
            ct.startswith("application/vnd.oracle.resource+json")):
        raise invalid_content()
    req.json = loads_body(req.body)


def modes(req):
    return Modes(req.header("X-NetSuite-PropertyNameValidation", "Warning"),
                 req.header("X-NetSuite-PropertyValueValidation", "Error"))


def _location(req, rec):
    return req.base + RECORD + "%s/%s" % (rec.type, rec.id)


def _created(req, rec, with_location=True):
    from .server import Response
    headers = {"Content-Type": "application/json"}
    if with_location:
        headers["Location"] = _location(req, rec)
    r = Response(204, None, headers)
    r.committed = True
    r.record = {"type": rec.type, "id": rec.id, "externalId": rec.eid}
    return r


def _flag(req, name):
    return req.query.get(name, "").lower() == "true"


def execute(sim, req, r, entry):
    """Runs a routed request; errors become NetSuite error responses."""
    from .server import Response
    try:
        if req.method in WRITE_METHODS and r.kind in ("record", "collection",
                                                       "transform") and \
                "respond-async" in (req.header("Prefer") or "").lower():
            return jobs.submit(sim, req, r)
        return _execute(sim, req, r, entry)
    except NsError as e:
        return Response.error(e)


def _execute(sim, req, r, entry):
    from .server import Response
    store = sim.store
    if r.kind == "suiteql":
        return Response(200, suiteql.run(sim, req), None, COLLECTION_CT)
    if r.kind == "job":
        return jobs.get(sim, req, r.extra)
    if r.kind == "governance":
        lim = sim.config["concurrency"]["limit"]
        return Response(200, {"accountConcurrencyLimit": lim,
                              "unallocatedConcurrencyLimit": lim,
                              "limitType": "accountLimit"}, None,
                        "application/json")
    if r.kind == "metadata":
        return Response(200, metadata(r.type), None, "application/json")
    rend = Renderer(store, req.base, _flag(req, "expandSubResources"),
                    _flag(req, "simpleEnumFormat"),
                    [f for f in req.query["fields"].split(",") if f]
                    if req.query.get("fields") else None)
    if r.kind == "collection":
        if req.method == "GET":
            return Response(200, listq.run(sim, req, r.type), None,
                            COLLECTION_CT)
        if req.method != "POST" or jobs.is_batch(req):
            raise user_error("Batch requests require Prefer: respond-async.")
        m = modes(req)
        rec = _direct_create(sim, r.type, req.json, m)
        entry["warnings"] = m.warnings
        return _created(req, rec)
    if r.type in REFERENCE_TYPES:
        row = store.ref_record(r.type, r.key[4:] if r.key.startswith("eid:")
                               else r.key)
        if r.key.startswith("eid:"):
            rid = store.ref_eid.get((r.type, r.key[4:]))
            row = store.ref_record(r.type, rid) if rid else None
        if row is None:
            raise not_found()
        return Response(200, rend.reference(r.type, row), None, SINGULAR_CT)
    if r.kind == "transform":
        m = modes(req)
        with store.lock:
            src = store.find(r.type, r.key)
            rec = transform(store, src, r.extra[0], req.json, m)
        entry["warnings"] = m.warnings
        return _created(req, rec)
    if r.kind == "sublist":
        with store.lock:
            rec = store.find(r.type, r.key)
            rend.expand = True
            sub = rend.record(rec).get(r.extra[0])
        if sub is None:
            raise not_found()
        if len(r.extra) == 2:
            hit = [x for x in sub.get("items", [])
                   if str(x.get("line")) == r.extra[1]]
            if not hit:
                raise not_found()
            sub = hit[0]
        return Response(200, sub, None, SINGULAR_CT)
    if req.method == "GET":
        with store.lock:
            rec = store.find(r.type, r.key)
            return Response(200, rend.record(rec), None, SINGULAR_CT)
    if req.method == "DELETE":
        with store.lock:
            rec = store.find(r.type, r.key)
            store.delete(rec)
        resp = Response(204, None)
        resp.committed = True
        resp.record = {"type": rec.type, "id": rec.id,
                       "externalId": rec.eid}
        return resp
    replace = {x for x in req.query.get("replace", "").split(",") if x}
    rsel = _flag(req, "replaceSelectedFields")
    m = modes(req)
    entry["warnings"] = m.warnings
    if req.method == "PATCH":
        with store.lock:
            rec = store.find(r.type, r.key)
            store.update(rec, req.json, m, replace, rsel)
        return _created(req, rec, with_location=False)
    return _upsert(sim, req, r, m, replace, rsel)


def _direct_create(sim, rtype, body, m):
    if rtype == "cashRefund":
        raise user_error("Create cash refunds by transforming a cash sale.")
    if rtype == "itemFulfillment":
        raise user_error("Create item fulfillments by transforming a sales "
                         "order.")
    return sim.store.create(rtype, body, m)


def _upsert(sim, req, r, m, replace, rsel):
    store = sim.store
    if not r.key.startswith("eid:"):
        raise user_error("Upsert requires an external ID in the URL (eid:).")
    eid = r.key[4:]
    body = req.json
    lower = {k.lower(): k for k in body}
    if "id" in lower:
        raise user_error("Internal ID must not be passed to the upsert "
                         "operation.")
    if "externalid" in lower:
        if body[lower["externalid"]] != eid:
            raise user_error("External ID in the body does not match the "
                             "URL.")
        body = {k: v for k, v in body.items() if k.lower() != "externalid"}
    with store.lock:
        rid = store.by_eid.get((r.type, eid))
        if rid is None:
            rec = _direct_create(sim, r.type, dict(body, externalId=eid), m)
        else:
            rec = store.update(store.recs[rid], body, m, replace, rsel)
    return _created(req, rec)


def metadata(rtype):
    """SIM-DEFINED schema description for smoke tests."""
    if rtype is None:
        return {"items": [{"name": t, "links": []}
                          for t in WRITABLE_TYPES + REFERENCE_TYPES]}
    props = {}
    for name, kind in SCHEMAS.get(rtype, {}).items():
        p = {"type": kind[0]}
        if kind[0] == "ref":
            p["targets"] = list(kind[1])
        if kind[0] == "sub":
            p["line"] = {k: v[0] for k, v in LINES[kind[1]].items()}
        props[name] = p
    from .rules import MANDATORY
    for field, _ in MANDATORY.get(rtype, ()):
        if field in props:
            props[field]["mandatory"] = True
    return {"name": rtype, "properties": props}

