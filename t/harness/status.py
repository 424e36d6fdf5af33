"""The status location of the module: configuration and seeding helpers.

seed_status() and audit_entry() write Redis the way ctns-worker does
(architecture "Redis key schema"): the status hash of a resource, its
audit stream and the order-number index.
"""

import json
import time
import uuid

LINK = ("https://1234567.app.netsuite.com/app/accounting/transactions/"
        "$type.nl?id=$id")
CUSTOMER_LINK = ("https://1234567.app.netsuite.com/app/common/entity/"
                 "custjob.nl?id=$id")


def status_conf(redis_server, status_extra="", http_extra=""):
    """(http, server) blocks; status_extra goes into the status location."""
    http = """
    ct_netsuite_redis {addr} timeout=1s;
    ct_netsuite_status_link {link};
    ct_netsuite_status_link customer {customer};
    {extra}
""".format(addr=redis_server.address, link=LINK, customer=CUSTOMER_LINK,
           extra=http_extra)
    server = """
        location = /ct {{
            ct_netsuite_webhook;
            ct_netsuite_auth none;
        }}
        location /ct/status/ {{
            ct_netsuite_status;
            {extra}
        }}
""".format(extra=status_extra)
    return http, server


def get(port, path, headers=None, method="GET"):
    """(status, headers, json|text) of a GET (or HEAD) without a body."""
    # imported here: at plugin load time harness.webhook comes after us
    from harness.webhook import post
    return post(port, path, None, headers or {}, method=method)


def start_status(nginx_factory, redis_server, **kw):
    """nginx with a webhook at /ct (auth none) and status at /ct/status/;
    a token file and an htpasswd in its prefix."""
    http, server = status_conf(redis_server, **kw)
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/status.token", "# status readers\ns3cret-file\n",
            mode=0o600)
    n.write("conf/htpasswd", "support:{PLAIN}letmein\n")
    n.start()
    return n


def now_ms():
    """Now in ms since the epoch, the unit of updated_at."""
    return int(time.time() * 1000)


def seed_status(redis, rtype, rid, state, records=(), attempts=1,
                last_error=None, updated_at=None, number=None, audit=()):
    """The status hash of <rtype>/<rid>, its audit entries (oldest first)
    and, with number, the order-number index; returns the hash fields."""
    fields = {
        "state": state,
        "records": json.dumps(list(records)),
        "attempts": str(attempts),
        "last_error": json.dumps(last_error) if last_error else "",
        "rv": "3",
        "seq": "5",
        "last_event": str(uuid.uuid4()),
        "updated_at": str(updated_at or now_ms()),
    }
    if number:
        fields["order_number"] = number
        redis.set("ctns:idx:order-number:" + number, rid)
    redis.hset("ctns:status:%s:%s" % (rtype, rid), mapping=fields)
    for a in audit:
        redis.xadd("ctns:audit:%s:%s" % (rtype, rid), a)
    return fields


def audit_entry(action, result, http_status="", code="", detail="",
                records=()):
    """One audit stream entry of the worker."""
    return {"event": str(uuid.uuid4()), "type": "OrderCreated",
            "action": action, "result": result,
            "records": json.dumps(list(records)), "http": str(http_status),
            "code": code, "detail": detail,
            "at": "2026-11-27T10:00:00.000Z"}
