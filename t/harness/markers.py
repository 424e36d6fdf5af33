"""Markers of the integration suite.

    @pytest.mark.slow    long fault-injection scenarios (t/test_faults.py);
                         `make test-asan` and quick runs deselect them with
                         -m 'not slow', `make test` runs them.
"""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: a long fault-injection scenario (deselect with "
                   "-m 'not slow')")
