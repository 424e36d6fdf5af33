"""The module builds against an upstream nginx tree and loads into the
stock Debian binary (NGX_SRC=), besides the default build against Debian's
nginx-dev tree that every other suite uses."""

import os
import subprocess

from harness.common import BUILD, ROOT, wait_until
from harness.webhook import SECRET, deliver, order_created, stream_entries


def test_upstream_tree_build_loads_into_stock_nginx(nginx_factory,
                                                     redis_server, redis,
                                                     tmp_path):
    src = subprocess.run(
        ["sh", os.path.join(ROOT, "tools", "fetch-nginx-src.sh"),
         os.path.join(BUILD, "nginx-src")],
        check=True, capture_output=True, text=True).stdout.strip()
    assert os.path.exists(os.path.join(src, "src", "core", "nginx.h"))

    out = tmp_path / "upstream"
    subprocess.run(["make", "-s", "-C", ROOT, "module", "NGX_SRC=" + src,
                    "BUILD=%s" % out], check=True, capture_output=True)
    module = str(out / "ngx_ct_netsuite_module.so")

    n = nginx_factory(http="ct_netsuite_redis %s;" % redis_server.address,
                      server="location = /ct { ct_netsuite_webhook; "
                             "ct_netsuite_auth hmac "
                             "secret_file=keys/hmac.secret; }",
                      module=module)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()

    msg = order_created()
    wait_until(lambda: deliver(n.port, msg)[0] == 202, timeout=10,
               what="upstream-built module enqueues")
    assert [e["id"] for e in stream_entries(redis)] == [msg["id"]]
