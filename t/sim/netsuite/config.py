"""Simulator configuration: defaults of spec section 1, file + merge-patch."""

import copy
import json
import os

from .util import merge_patch

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SEED = os.path.join(os.path.dirname(HERE), "netsuite_seed.json")

DEFAULTS = {
    "listen": "127.0.0.1:8089",
    "account_id": "1234567_SB1",
    "canonical_host": "1234567-sb1.suitetalk.api.netsuite.com",
    "base_url_mode": "request",
    "oneworld": True,
    "tba": {"tokens": None, "timestamp_skew_s": 300, "nonce_ttl_s": 900,
            "nonce_len": [6, 64]},
    "oauth2": {"clients": None, "accept_rs256": False, "token_ttl_s": 3600,
               "expires_in_as_string": True},
    "concurrency": {"limit": 5, "count_token_endpoint": False},
    "latency": {"default_ms": 0, "jitter_ms": 0, "routes": []},
    "faults": [],
    "limits": {"max_body_bytes": 109051904, "max_lines": 1000,
               "page_max": 1000, "suiteql_max_rows": 100000,
               "batch_max": 100},
    "deposits": {"auto_apply_on_billing": True},
    "refs": {"accept_external_id": True},
    "tax": {"allow_client_refs_on_create": False},
    "dup_message": "Error while accessing a resource. This entity already "
                   "exists.",
    "suiteql": {"date_format": "M/D/YYYY", "numbers_as_strings": False,
                "omit_nulls": True, "require_prefer_transient": True,
                "offset_multiple_of_limit": True},
    "idempotency": {"retention_s": 86400},
    "async": {"complete_after_ms": 0},
    "clock": "system",
    "seed": "default",
    "rng_seed": 42,
    "log_max": 100000,
}


def load(path=None, overrides=None):
    cfg = copy.deepcopy(DEFAULTS)
    if path:
        with open(path) as fh:
            merge_patch(cfg, json.load(fh))
    if overrides:
        merge_patch(cfg, overrides)
    check(cfg)
    return cfg


def check(cfg):
    host = cfg["listen"].rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        raise ValueError("listen: loopback addresses only, not %s" % host)
    if cfg["base_url_mode"] not in ("request", "canonical"):
        raise ValueError("base_url_mode: request or canonical")
    if cfg["tba"]["nonce_ttl_s"] < 2 * cfg["tba"]["timestamp_skew_s"]:
        raise ValueError("tba.nonce_ttl_s must be >= 2 x timestamp_skew_s")


def load_seed(name):
    path = DEFAULT_SEED if name in (None, "default") else name
    with open(path) as fh:
        return json.load(fh)
