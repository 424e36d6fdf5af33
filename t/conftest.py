"""pytest entry point: every module in t/harness/ is a fixture plugin."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

pytest.register_assert_rewrite("harness")

pytest_plugins = sorted(
    "harness." + f[:-3]
    for f in os.listdir(os.path.join(HERE, "harness"))
    if f.endswith(".py") and not f.startswith("_")
)
