#!/usr/bin/env bash
# The test command from the README, and exactly what CI runs (.ci/run):
# a fresh virtual environment with the package and its `test` extra (every
# test dependency, nothing installed by hand), then ctest and pytest.
# A test that skips fails the run unless it is marked `gpu` (tests/conftest.py);
# -rs prints every skip reason. pytest's "no tests collected" (5) alone is
# not a failure. Extra arguments go to pytest. Under CI (CI=true), or with
# BWL_WHEEL_CHECK=1, the wheel check (tests/wheel_check.sh: every wheel, ~17 min) runs last.
set -euo pipefail
cd "$(dirname "$0")/.."

# The writer compresses with zlib: its headers (zlib1g-dev), where missing.
if [ ! -f /usr/include/zlib.h ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq zlib1g-dev >/dev/null) || echo "warning: could not install zlib1g-dev" >&2
fi

# megadepth (a Debian package): the oracle of average-over-bed's sums (tests/test_tools.py).
if ! command -v megadepth >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq megadepth >/dev/null) || echo "warning: could not install megadepth" >&2
fi

VENV=${BWL_TEST_VENV:-build/test-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
# Warnings are errors here (BWL_WERROR), never in a user's plain `pip install .`.
"$PY" -m pip install -q --disable-pip-version-check ".[test]" -C cmake.define.BWL_WERROR=ON
"$PY" -c "import bwl; print(bwl.build_summary())"

# C++ tests (ctest) against the same core.
cmake -S . -B build/ctest -DBWL_TESTS=ON -DBWL_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/ctest -j "$(nproc)" >/dev/null
(cd build/ctest && ctest --output-on-failure)

set +e
"$PY" -m pytest -q -rs "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests"
  rc=0
fi
if [ "$rc" -eq 0 ] && { [ "${CI:-}" = true ] || [ "${BWL_WHEEL_CHECK:-}" = 1 ]; }; then
  bash tests/wheel_check.sh
fi
exit "$rc"
