"""Helpers for the batch command tests (sync, reconcile): a commercetools
simulator serving a generated scenario, and the worker's commercetools
configuration pointing at a simulator.

    sim, resources = start_scenario(tmp_dir, orders=1000, seed=11)
    conf = ct_config(workers, sim, sync={"page_size": 200})
"""

import json
import os
import subprocess
import sys

from harness.common import TDIR
from harness.ctsim import CtSim

SCENARIO = os.path.join(TDIR, "sim", "scenario.py")


def start_scenario(out, orders, seed):
    """Generates a scenario into out; returns (started CtSim, resources)."""
    subprocess.run([sys.executable, SCENARIO, "--orders", str(orders),
                    "--seed", str(seed), "--out", str(out)], check=True,
                   capture_output=True)
    path = os.path.join(str(out), "resources.json")
    with open(path) as fh:
        res = json.load(fh)
    return CtSim(data=[path]).start(), res


def ct_config(workers, sim, **over):
    """workers.config() with a commercetools section for sim."""
    path = os.path.join(workers.secrets, "ct-secret")
    with open(path, "w") as fh:
        fh.write(sim.client_secret)
    return workers.config(commercetools={
        "api_url": sim.url, "auth_url": sim.url, "project_key": sim.project,
        "client_id": sim.client_id, "client_secret": "file:" + path,
        "scopes": "view_orders:%s view_payments:%s" % (sim.project,
                                                       sim.project)},
        **over)
