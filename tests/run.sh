#!/usr/bin/env bash
# The test command from the README: installs what the tests need, builds the
# package and the C++ tests, runs ctest and pytest. Exit code: non-zero on any
# failure; pytest's "no tests collected" (5) alone is not a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# libdeflate is the fast CPU inflate; without it the build falls back to zlib.
if ! pkg-config --exists libdeflate 2>/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq libdeflate-dev zlib1g-dev pkg-config >/dev/null) \
    || echo "warning: could not install libdeflate-dev; building with zlib" >&2
fi

python -m pip install -q --disable-pip-version-check ".[test]"

# C++ tests (ctest) against the same core.
cmake -S . -B build/ctest -DBWL_TESTS=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/ctest -j "$(nproc)" >/dev/null
(cd build/ctest && ctest --output-on-failure)

set +e
python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests"
  rc=0
fi
exit "$rc"
