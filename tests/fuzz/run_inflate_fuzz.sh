#!/usr/bin/env bash
# Coverage-guided fuzzing of bwl's CPU inflate against zlib (libFuzzer, with
# ASan + UBSan). Needs clang (apt-get install clang).
#   bash tests/fuzz/run_inflate_fuzz.sh [seconds=600]
# Corpus: build/fuzz-inflate/corpus (grown), seeded from tests/corpus/inflate.
# Findings (crash-*, timeout-*, oom-*) land in build/fuzz-inflate/; keep each
# as a regression input by copying it into tests/corpus/inflate/, which
# ctest replays in every run (inflate_fuzz_replay).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-600}
OUT=build/fuzz-inflate
mkdir -p "$OUT/corpus"
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Icsrc/include -Icsrc -Itests/cpp tests/fuzz/inflate_fuzz.cpp csrc/core/inflate_cpu.cpp csrc/core/block_inflater.cpp csrc/core/adler32.cpp \
  -lz -o "$OUT/inflate_fuzz"
cd "$OUT"
./inflate_fuzz -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  corpus ../../tests/corpus/inflate 2>&1 | tail -25
