"""Test support: what the tests, the benches and tests/corpus/make_corpus.py
share, one job per module. Nothing here is a test or a fixture (fixtures
are in tests/conftest.py).

- ``tracks``: synthetic bigWig tracks and their ground truth (pyBigWig,
  pybigtools, ``bwl.write``): the session fixture files, the pipeline
  tests' genome, the benches' large tracks.
- ``oracles``: expected results from the truth (numpy) or from pyBigWig.
- ``fasta``: FASTA / BGZF / .fai / .gzi written by hand, one-hot oracles.
- ``bbi``: the BBI layout in pure Python: a raw file builder and walkers
  (header, zoom headers, chromosome B+ tree, R-tree). Not pybbi's ``bbi``
  module (which tests import as ``bbi``): import names from ``support.bbi``.
- ``hostile``: hand-made hostile files (test_hostile, make_corpus).
- ``fuzz``: the fuzz target, mutator and loop (test_hostile, bench/fuzz.py).
- ``fuzz_remote``: the remote layer's fuzzer: a server answering by a script
  decoded from the input, its target and oracle (test_fuzz_remote,
  bench/fuzz.py --format remote).
- ``soak``: the soak run and its inputs (test_soak, bench/soak.py).
- ``http_server``: a loopback HTTP server with faults on demand (test_remote,
  test_pybigwig, bench/remote.py runs it as a script).
- ``skip_policy``: pytest hooks (registered by tests/conftest.py): only
  ``gpu`` tests may skip.

Importing it: pytest puts tests/ on sys.path (tests/ has no __init__.py:
rootdir-relative "prepend" import of tests/conftest.py), so tests write
``from support.tracks import ...``. Bench scripts get tests/ on sys.path
from bench/common.py (they are run as files: ``python bench/x.py``).
"""
