"""Asynchronous requests (Prefer: respond-async) and idempotency keys
(spec 7.9).  A job replays the routed request through the normal
handler later, outside the concurrency limit."""

import re
import threading

from .util import ERROR_CT, NsError, error_body, iso_time, not_found

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
JOB = "/services/rest/async/v1/job/"


def submit(sim, req, route):
    from .server import Response
    key = req.header("X-NetSuite-Idempotency-Key")
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
        sim.jobs[jid] = {"id": jid, "progress": "pending", "req": req,
                         "route": route, "result": None,
                         "submitted": sim.now(), "start": None, "end": None}
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
    with sim.lock:
        job = sim.jobs.get(jid)
        if job is None or job["progress"] != "pending":
            return
        job["progress"] = "running"
        job["start"] = sim.now()
    entry = {"warnings": []}
    try:
        resp = _execute(sim, job["req"], job["route"], entry)
    except NsError as e:
        from .server import Response
        resp = Response.error(e)
    with sim.lock:
        job["result"] = resp
        job["end"] = sim.now()
        job["progress"] = "succeeded" if resp.status < 400 else "failed"


def run_pending(sim):
    with sim.lock:
        ids = [j for j, v in sim.jobs.items() if v["progress"] == "pending"]
    for jid in ids:
        run_job(sim, jid)
    return ids


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
        if len(parts) == 1:
            body = {"links": [{"rel": "self", "href": base}],
                    "completed": done, "id": job["id"],
                    "progress": progress,
                    "task": {"links": [{"rel": "self",
                                        "href": base + "/task"}]}}
        elif len(parts) == 2 and parts[1] == "task":
            body = {"links": [{"rel": "self", "href": base + "/task"}],
                    "count": 1, "hasMore": False, "offset": 0,
                    "totalResults": 1,
                    "items": [{"links": [{"rel": "self",
                                          "href": base + "/task/1"}],
                               "id": "1"}]}
        elif len(parts) == 3 and parts[1] == "task" and parts[2] == "1":
            body = {"links": [{"rel": "related",
                               "href": base + "/task/1/result"},
                              {"rel": "self", "href": base + "/task/1"}],
                    "completed": done, "progress": progress, "id": "1"}
            if job["start"]:
                body["startTime"] = iso_time(job["start"])
            if job["end"]:
                body["endTime"] = iso_time(job["end"])
        elif len(parts) == 4 and parts[3] == "result" and done:
            r = job["result"]
            return Response(r.status, r.body, r.headers)
        else:
            raise not_found()
    return Response(200, body, None, "application/json")


def listing(sim):
    with sim.lock:
        return [{"id": j["id"], "progress": j["progress"],
                 "method": j["req"].method, "path": j["req"].path,
                 "status": j["result"].status if j["result"] else None,
                 "location": j["result"].headers.get("Location")
                 if j["result"] else None}
                for j in sim.jobs.values()]
