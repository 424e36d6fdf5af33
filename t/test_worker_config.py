"""ctns-worker check-config and run refusing a bad configuration.

Every kind of configuration error produces a message that names the JSON
path of the field, and "run" does not start on it.
"""

import json
import os

import subprocess

import pytest

from harness.common import build_path


def _set(conf, path, value):
    keys = path.split(".")
    node = conf
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    if value is _DELETE:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value


_DELETE = object()

# (mutation path, value, the JSON path the error names, part of the message)
CASES = [
    ("netsuite", _DELETE, "netsuite", "required section"),
    ("netsuite.account_id", _DELETE, "netsuite.account_id", "required"),
    ("netsuite.account_id", "12 34/5", "netsuite.account_id", "must look"),
    ("netsuite.concurrency", 0, "netsuite.concurrency", "between"),
    ("netsuite.concurrency", "5", "netsuite.concurrency", "integer"),
    ("netsuite.base_url", "ftp://x", "netsuite.base_url", "http"),
    ("netsuite.auth.type", "basic", "netsuite.auth.type", "oauth2"),
    ("netsuite.auth.token_secret", "inline-secret-value",
     "netsuite.auth.token_secret", "not an inline secret"),
    ("netsuite.auth.token_secret", "env:CTNS_TEST_SURELY_UNSET",
     "netsuite.auth.token_secret", "not set"),
    ("netsuite.auth.token_secret", "file:/nonexistent/secret",
     "netsuite.auth.token_secret", "cannot read"),
    ("netsuite.auth.colour", "blue", "netsuite.auth.colour", "unknown"),
    ("redis.address", "localhost", "redis.address", "host:port"),
    ("stream.shards", 0, "stream.shards", "between"),
    ("stream.prefix", "a{b}", "stream.prefix", "must not contain"),
    ("retry.cap_ms", 1, "retry.cap_ms", "smaller"),
    ("retry.max_attempts", -1, "retry.max_attempts", "between"),
    ("worker.prefetch", "many", "worker.prefetch", "integer"),
    ("log.level", "loud", "log.level", "debug"),
    ("surprise", {}, "surprise", "unknown section"),
    ("commercetools", {"api_url": "https://api.example"},
     "commercetools.auth_url", "required"),
    ("routing", _DELETE, "routing", ""),
]


@pytest.mark.parametrize("path,value,field,words", CASES,
                         ids=[c[0] + ":" + str(i) for i, c in
                              enumerate(CASES)])
def test_error_names_field_and_run_refuses(workers, path, value, field,
                                           words):
    conf = workers.config()
    _set(conf, path, value)

    r = workers.command("check-config", conf=conf)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [l for l in r.stderr.splitlines()
             if l.startswith("config error: %s: " % field)]
    assert lines, r.stderr
    assert words in lines[0]

    run = workers.command("run", conf=conf, timeout=20)
    assert run.returncode == 1
    assert "config error: %s: " % field in run.stderr
    assert "worker started" not in run.stderr


def test_every_error_is_reported(workers):
    conf = workers.config()
    conf["netsuite"]["concurrency"] = 0
    conf["retry"]["base_ms"] = "fast"
    conf["log"]["level"] = "loud"
    del conf["routing"]

    r = workers.command("check-config", conf=conf)
    assert r.returncode == 1
    for field in ("netsuite.concurrency", "retry.base_ms", "log.level",
                  "routing"):
        assert "config error: %s:" % field in r.stderr
    assert "configuration errors" in r.stderr


def test_invalid_json_names_line(workers):
    path = os.path.join(workers.dir, "broken.json")
    with open(path, "w") as fh:
        fh.write('{"redis": {"address": "127.0.0.1:1",}\n')
    r = subprocess.run([build_path("ctns-worker"), "check-config", "-c",
                        path], capture_output=True, text=True)
    assert r.returncode == 1
    assert "line 1" in r.stderr


@pytest.mark.parametrize("auth", ["tba", "oauth2-es256", "oauth2-ps256"])
def test_valid_config_ok(workers, auth):
    r = workers.command("check-config", conf=workers.config(auth=auth))
    assert r.returncode == 0, r.stderr
    assert "configuration ok" in r.stdout


def test_key_not_fitting_algorithm(workers):
    conf = workers.config(auth="oauth2-es256")
    conf["netsuite"]["auth"]["algorithm"] = "PS256"
    r = workers.command("check-config", conf=conf)
    assert r.returncode == 1
    assert "config error: netsuite.auth.private_key: PS256 needs an RSA" \
        in r.stderr


def test_secrets_never_printed(workers, redis):
    """Neither errors nor debug logs show a secret's value."""
    conf = workers.config(log={"level": "debug"})
    secret = open(conf["netsuite"]["auth"]["token_secret"][5:]).read()
    secret = secret.strip()

    bad = json.loads(json.dumps(conf))
    bad["netsuite"]["auth"]["consumer_secret"] = "not-a-reference-" + secret
    r = workers.command("check-config", conf=bad)
    assert r.returncode == 1
    assert secret not in r.stderr + r.stdout

    w = workers.start(conf)
    w.stop()
    assert secret not in w.text()
    assert all(line.get("msg") for line in w.logs())


# redis section given whole, so that the harness's own (one server or a
# cluster, CTNS_REDIS_MODE) does not matter: (redis, {path: words})
REDIS_CLUSTER_CASES = [
    ({"cluster": ["127.0.0.1:7000"], "address": "127.0.0.1:6379"},
     {"redis.cluster": "cannot be used with redis.address"}),
    ({"cluster": ["127.0.0.1:7000"], "db": 0},
     {"redis.db": "Redis Cluster has database 0 only"}),
    ({"cluster": []}, {"redis.cluster": "array of 1 to 16"}),
    ({"cluster": "127.0.0.1:7000"}, {"redis.cluster": "array of 1 to 16"}),
    ({"cluster": ["127.0.0.1:%d" % p for p in range(7000, 7017)]},
     {"redis.cluster": "array of 1 to 16"}),
    ({"cluster": ["127.0.0.1:7000", "localhost:7001", 7002, "[::1]:70000",
                  "10.0.0.1"]},
     {"redis.cluster[1]": "numeric address", "redis.cluster[2]": "numeric",
      "redis.cluster[3]": "numeric", "redis.cluster[4]": "numeric"}),
]


@pytest.mark.parametrize("redis_conf,errors", REDIS_CLUSTER_CASES,
                         ids=[str(i) for i in
                              range(len(REDIS_CLUSTER_CASES))])
def test_redis_cluster_errors(workers, redis_conf, errors):
    conf = workers.config()
    conf["redis"] = redis_conf

    r = workers.command("check-config", conf=conf)
    assert r.returncode == 1, r.stdout + r.stderr
    for field, words in errors.items():
        lines = [l for l in r.stderr.splitlines()
                 if l.startswith("config error: %s: " % field)]
        assert len(lines) == 1 and words in lines[0], (field, r.stderr)
    assert "config error: redis.cluster[0]" not in r.stderr

    run = workers.command("run", conf=conf, timeout=20)
    assert run.returncode == 1
    assert "worker started" not in run.stderr


def test_redis_cluster_seeds_ok(workers):
    """Seeds in IPv4 and IPv6 form pass; check-config connects nowhere."""
    conf = workers.config()
    conf["redis"] = {"cluster": ["127.0.0.1:7000", "[::1]:7001"],
                     "timeout_ms": 500}
    r = workers.command("check-config", conf=conf)
    assert r.returncode == 0, r.stderr
    assert "configuration ok" in r.stdout


def test_unknown_command_and_usage(workers):
    r = workers.command("launch")
    assert r.returncode == 2
    assert "unknown command" in r.stderr


def test_log_level_option_rejects_garbage(workers):
    r = workers.command("run", "--log-level", "chatty")
    assert r.returncode == 2
    assert "--log-level" in r.stderr



def test_example_configuration_is_valid(workers, tmp_path):
    """examples/ctns.json passes check-config once its secrets exist."""
    from harness.common import ROOT, fixture_path
    with open(os.path.join(ROOT, "examples", "ctns.json")) as fh:
        text = fh.read()
    key = fixture_path("netsuite", "TEST-ONLY-m2m-ec-p256-private-key.pem")
    path = tmp_path / "ctns.json"
    path.write_text(text.replace("/etc/ctns/netsuite-m2m-key.pem", key))
    env = dict(os.environ, CTNS_REDIS_PASSWORD="x", CTNS_CT_CLIENT_SECRET="y")
    r = subprocess.run([build_path("ctns-worker"), "check-config", "-c",
                        str(path)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    del env["CTNS_CT_CLIENT_SECRET"]
    r = subprocess.run([build_path("ctns-worker"), "check-config", "-c",
                        str(path)], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert "config error: commercetools.client_secret: environment " \
        "variable \"CTNS_CT_CLIENT_SECRET\" is not set" in r.stderr
