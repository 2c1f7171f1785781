"""Fixtures only; the helpers they use are in tests/support/ (see its
__init__). pytest imports this file with tests/ on sys.path, which is what
makes ``import support`` work in every test module.

``bw_files``: small bigWig files generated once per session (pyBigWig,
pybigtools and ``bwl.write``; every section type, both byte orders, zlib and
raw) with the intervals they were written from: support/tracks.py.
"""
from __future__ import annotations

import pytest

# Only `gpu` tests may skip (support/skip_policy.py): its hooks, registered here.
from support.skip_policy import pytest_collectreport, pytest_runtest_logreport, pytest_sessionfinish, pytest_terminal_summary  # noqa: F401
from support.tracks import ALL_FILES, BW, write_fixture_files


@pytest.fixture(scope="session")
def bw_files(tmp_path_factory) -> dict[str, BW]:
    """All generated files by name (support/tracks.py's docstring)."""
    return write_fixture_files(tmp_path_factory.mktemp("bw"))


@pytest.fixture(params=ALL_FILES)
def any_bw(request, bw_files) -> BW:
    return bw_files[request.param]
