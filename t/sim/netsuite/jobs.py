"""Asynchronous requests (Prefer: respond-async), batches and idempotency
keys (spec 7.9).  A job holds one task per record operation and replays
each through the normal handler later, outside the concurrency limit."""

import re
import threading

from .util import (ERROR_CT, NsError, error_body, id_str, iso_time,
                   not_found, user_error)

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
JOB = "/services/rest/async/v1/job/"


class SubRequest:
    """One item of a batch, shaped like the Request the handler reads."""

    def __init__(self, parent, method, body):
        self.method = method
        self.json = body
        self.query = parent.query
        self.base = parent.base
        self.path = parent.path
        self.headers = parent.headers
        self.content_type = "application/json"

    def header(self, name, default=None):
        return self.headers.get(name, default)


def is_batch(req):
    return "type=collection" in req.content_type.replace(" ", "").lower()


def _tasks(sim, req, route):
    """(request, route) per task: one for a plain request, n for a batch."""
    from .api import Route
    if route.kind != "collection" or req.method == "POST" and \
            not is_batch(req):
        return [(req, route)]
    if req.method == "DELETE":
        keys = [k for k in req.query.get("ids", "").split(",") if k]
        items = [(k, None) for k in keys]
    else:
        items = (req.json or {}).get("items")
        if not isinstance(items, list):
            raise user_error("A batch request needs an items array.")
        items = [(_batch_key(req.method, it, i), it)
                 for i, it in enumerate(items)]
    if not items or len(items) > sim.config["limits"]["batch_max"]:
        raise user_error("A batch holds 1 to %d items."
                         % sim.config["limits"]["batch_max"])
    kind = "collection" if req.method == "POST" else "record"
    return [(SubRequest(req, req.method, body),
             Route(kind, route.type, key)) for key, body in items]


def _batch_key(method, item, i):
    if not isinstance(item, dict):
        raise user_error("Batch item %d is not an object." % i)
    if method == "POST":
        return None
    low = {k.lower(): k for k in item}
    eid = item.get(low.get("externalid", ""), None)
    if method == "PUT":
        if not isinstance(eid, str):
            raise user_error("Batch item %d needs an externalId." % i)
        return "eid:" + eid
    rid = id_str(item.pop(low["id"])) if "id" in low else None
    if rid is None and not isinstance(eid, str):
        raise user_error("Batch item %d needs an id or externalId." % i)
    return rid or "eid:" + eid


def submit(sim, req, route):
    from .server import Response
    key = req.header("X-NetSuite-Idempotency-Key")
    tasks = _tasks(sim, req, route)
    with sim.lock:
        if key is not None:
            if not UUID_RE.match(key):
                raise NsError(400, "The idempotency key must be a UUID.",
                              "SIM_INVALID_IDEMPOTENCY_KEY")
            seen = sim.idem.get(key)
            retention = sim.config["idempotency"]["retention_s"]
            if seen and sim.now() - seen[1] <= retention:
                return Response(400, error_body(
                    400, 'A request with the same idempotency key is already '
                    'submitted. See the "Location" header for a link to the '
                    'previously submitted job', "IDEMPOTENCY_ERROR",
                    title="Conflict",
                    type_="https://www.w3.org/Protocols/rfc2616/"
                          "rfc2616-sec10.html#sec10.4.10"),
                    {"Preference-Applied": "respond-async",
                     "Location": JOB + seen[0]}, ERROR_CT)
        jid = str(len(sim.jobs) + 1)
        sim.jobs[jid] = {"id": jid, "progress": "pending",
                         "method": req.method, "path": req.path,
                         "tasks": [{"req": r, "route": rt, "result": None,
                                    "start": None, "end": None}
                                   for r, rt in tasks]}
        if key is not None:
            sim.idem[key] = (jid, sim.now())
    delay = sim.config["async"]["complete_after_ms"]
    if delay >= 0:
        t = threading.Timer(delay / 1000.0, run_job, (sim, jid))
        t.daemon = True
        t.start()
    return Response(202, None, {"Preference-Applied": "respond-async",
                                "Location": JOB + jid,
                                "Content-Type": "application/json"})


def run_job(sim, jid):
    from .api import _execute
    from .server import Response
    with sim.lock:
        job = sim.jobs.get(jid)
        if job is None or job["progress"] != "pending":
            return
        job["progress"] = "running"
    failed = False
    for task in job["tasks"]:
        task["start"] = sim.now()
        try:
            resp = _execute(sim, task["req"], task["route"],
                            {"warnings": []})
        except NsError as e:
            resp = Response.error(e)
        task["result"] = resp
        task["end"] = sim.now()
        failed = failed or resp.status >= 400
    with sim.lock:
        job["progress"] = "failed" if failed else "succeeded"


def run_pending(sim):
    with sim.lock:
        ids = [j for j, v in sim.jobs.items() if v["progress"] == "pending"]
    for jid in ids:
        run_job(sim, jid)
    return ids


def _task_progress(task):
    if task["result"] is None:
        return "pending"
    return "succeeded" if task["result"].status < 400 else "failed"


def get(sim, req, parts):
    from .server import Response
    with sim.lock:
        job = sim.jobs.get(parts[0])
        if job is None:
            raise not_found()
        done = job["progress"] in ("succeeded", "failed")
        progress = "pending" if job["progress"] == "running" \
            else job["progress"]
        base = req.base + JOB + job["id"]
        tasks = job["tasks"]
        n = int(parts[2]) if len(parts) >= 3 and parts[2].isdigit() else 0
        task = tasks[n - 1] if 1 <= n <= len(tasks) else None
        if len(parts) == 1:
            body = {"links": [{"rel": "self", "href": base}],
                    "completed": done, "id": job["id"],
                    "progress": progress,
                    "task": {"links": [{"rel": "self",
                                        "href": base + "/task"}]}}
        elif len(parts) == 2 and parts[1] == "task":
            body = {"links": [{"rel": "self", "href": base + "/task"}],
                    "count": len(tasks), "hasMore": False, "offset": 0,
                    "totalResults": len(tasks),
                    "items": [{"links": [{"rel": "self", "href": base +
                                          "/task/%d" % (i + 1)}],
                               "id": str(i + 1)} for i in range(len(tasks))]}
        elif len(parts) == 3 and parts[1] == "task" and task is not None:
            href = base + "/task/%d" % n
            body = {"links": [{"rel": "related", "href": href + "/result"},
                              {"rel": "self", "href": href}],
                    "completed": task["result"] is not None,
                    "progress": _task_progress(task), "id": str(n)}
            if task["start"]:
                body["startTime"] = iso_time(task["start"])
            if task["end"]:
                body["endTime"] = iso_time(task["end"])
        elif len(parts) == 4 and parts[3] == "result" and task is not None \
                and task["result"] is not None:
            r = task["result"]
            return Response(r.status, r.body, r.headers)
        else:
            raise not_found()
    return Response(200, body, None, "application/json")


def listing(sim):
    with sim.lock:
        return [{"id": j["id"], "progress": j["progress"],
                 "method": j["method"], "path": j["path"],
                 "tasks": [{"status": t["result"].status
                            if t["result"] else None,
                            "location": t["result"].headers.get("Location")
                            if t["result"] else None}
                           for t in j["tasks"]]}
                for j in sim.jobs.values()]
