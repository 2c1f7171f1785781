"""pytest hooks: a skipped test fails the run unless it is marked `gpu`.

Every test dependency is in the `test` extra, so a skip means a hole in CI:
only tests marked `gpu` may skip (no GPU here). BWL_ALLOW_SKIPS=1 lifts
this for partial runs (tests/sanitize.sh skips the timing checks).
tests/conftest.py registers these hooks; test_cli_tools.py runs pytest on
a skipping file to show the run fails.
"""
from __future__ import annotations

import os

_bad_skips: list = []  # (node id, reason)


def _skip_reason(report) -> str:
    lr = report.longrepr
    return lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)


def pytest_collectreport(report):
    if report.skipped:  # a whole module skipped at import
        _bad_skips.append((report.nodeid, _skip_reason(report)))


def pytest_runtest_logreport(report):
    if report.skipped and "gpu" not in report.keywords and not hasattr(report, "wasxfail"):
        _bad_skips.append((report.nodeid, _skip_reason(report)))


def pytest_sessionfinish(session, exitstatus):
    if _bad_skips and not os.environ.get("BWL_ALLOW_SKIPS") and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _bad_skips and not os.environ.get("BWL_ALLOW_SKIPS"):
        terminalreporter.section("skips that fail the run (only `gpu` tests may skip)", red=True)
        for nodeid, reason in _bad_skips:
            terminalreporter.line(f"{nodeid}: {reason}")
