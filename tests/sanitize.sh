#!/usr/bin/env bash
# One command for a sanitizer run: the core and the C++ tests built with
# AddressSanitizer + UBSan, then the Python module built the same way and
# the corrupt-input tests (and reader tests) run against it.
#   bash tests/sanitize.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build/asan -DBWL_TESTS=ON -DBWL_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/asan -j "$(nproc)" >/dev/null
(cd build/asan && ctest --output-on-failure)

# The Python module: same flags, installed to a private folder that is put
# first on sys.path; libasan must be loaded before the interpreter.
rm -rf build/asan-py
python -m pip install -q --no-deps --no-build-isolation --target build/asan-py . \
  -C cmake.define.BWL_SANITIZE=ON -C cmake.build-type=RelWithDebInfo -C build-dir=build/asan-pybuild
# libstdc++ too: otherwise ASan's __cxa_throw interceptor aborts on every C++ throw.
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PYTHONPATH="$PWD/build/asan-py"
python -c "import bwl, sys; assert bwl.__file__.startswith('$PWD/build/asan-py'), bwl.__file__"
if [ $# -eq 0 ]; then set -- tests/test_corrupt.py tests/test_reader.py; fi
BWL_ALLOW_SKIPS=1 python -m pytest -q -p no:cacheprovider "$@"
