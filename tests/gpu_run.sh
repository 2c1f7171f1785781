#!/usr/bin/env bash
# The GPU run (issue 18), one prepared script for a lent CUDA machine:
# versions, build (sm_90 unless CUDAARCHS says otherwise), pytest -m gpu,
# the hostile files with Collection(device="cuda"), bench/gpu.py, and
# compute-sanitizer on a subset. Each step is time-boxed; everything is
# logged under $OUT (default build/gpu-run). Python packages the machine
# lacks travel as wheels in .whl/ (see docs/gpu.md).
set -u
OUT=${OUT:-build/gpu-run}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 CUDAARCHS=${CUDAARCHS:-90} CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)
PY=python3
step() { echo; echo "=== $* [$(date +%T)]"; }
BUDGET_TESTS=${BUDGET_TESTS:-150} BUDGET_HOSTILE=${BUDGET_HOSTILE:-60} BUDGET_BENCH=${BUDGET_BENCH:-300} BUDGET_SAN=${BUDGET_SAN:-60}
BENCH_ARGS=${BENCH_ARGS:---T 32 --B 1024,4096 --cache none,device}

{
step versions
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
nvcc --version | tail -1
$PY -c "import torch, sys; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"

if [ -d .whl ]; then
  step wheels
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
  if ls .whl/bigwig_loader-*.tar.gz >/dev/null 2>&1; then  # its Cython parts built in place
    (mkdir -p /tmp/bwloader && tar xzf .whl/bigwig_loader-*.tar.gz -C /tmp/bwloader --strip-components=1 \
      && cd /tmp/bwloader && cythonize -q -i bigwig_loader/*.pyx >/tmp/bwloader.log 2>&1 && echo "bigwig-loader built") &
  fi
fi

step build
if [ -n "${BWL_WHEEL:-}" ]; then  # a wheel from an earlier run, when only Python changed
  $PY -m pip install -q --no-deps --force-reinstall "$BWL_WHEEL"
else
  $PY -m pip wheel -q --no-build-isolation --no-deps -w "$OUT" . && $PY -m pip install -q --no-deps --force-reinstall "$OUT"/bwl-*.whl
fi || { echo "BUILD FAILED"; exit 1; }
wait
export PYTHONPATH=${PYTHONPATH:-}:/tmp/bwloader
$PY -c "import bwl, json; print(bwl.build_summary()); from bwl import _core; print('cuda devices', _core.cuda_device_count(), _core.cuda_unavailable_reason())"

step "pytest -m gpu"
timeout "$BUDGET_TESTS" $PY -m pytest tests/test_gpu.py -m gpu -q -rs -p no:cacheprovider --timeout=30 --maxfail=20 \
  --junitxml="$OUT/pytest-gpu.xml" 2>&1 | tail -120
echo "rc ${PIPESTATUS[0]}"

step "hostile files, device=cuda"
BWL_TEST_DEVICE=cuda timeout "$BUDGET_HOSTILE" $PY -m pytest tests/test_hostile.py -q -p no:cacheprovider \
  -k "collection or overlapping or corpus_replay or zero_length or ten_thousand" 2>&1 | tail -40
echo "rc ${PIPESTATUS[0]}"

step "bench/gpu.py $BENCH_ARGS"
timeout "$BUDGET_BENCH" $PY bench/gpu.py $BENCH_ARGS 2>&1 | tail -80
echo "rc ${PIPESTATUS[0]}"
cp bench/results/gpu.json "$OUT"/ 2>/dev/null

if [ -n "${SKIP_SAN:-}" ]; then step done; exit 0; fi
step "compute-sanitizer memcheck (subset)"
timeout "$BUDGET_SAN" compute-sanitizer --tool memcheck --error-exitcode 9 $PY -m pytest tests/test_gpu.py -q -p no:cacheprovider \
  -k "inflate_kernel or corrupt or many_chunks" 2>&1 | tail -30
echo "rc ${PIPESTATUS[0]}"
step "compute-sanitizer ${SAN_TOOLS:-synccheck} (subset)"  # racecheck: SAN_TOOLS="racecheck synccheck" (slow)
for tool in ${SAN_TOOLS:-synccheck}; do
  timeout "$BUDGET_SAN" compute-sanitizer --tool $tool --error-exitcode 9 $PY -m pytest tests/test_gpu.py -q -p no:cacheprovider \
    -k "test_long_windows and BTL" 2>&1 | tail -8
  echo "$tool rc ${PIPESTATUS[0]}"
done
step done
} 2>&1 | tee "$OUT/log.txt"
