#!/usr/bin/env bash
# Fuzzes the parsers that read untrusted text (migration files, datamig.toml) with libFuzzer,
# ASan and UBSan, for a bounded time per target:  scripts/fuzz.sh [seconds-per-target]
# A crash leaves its input as build-fuzz/crash-* and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

scripts/install-deps.sh --fuzz
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDATAMIG_FUZZ=ON -DDATAMIG_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_migration_parser fuzz_config_reader

for target in migration_parser config_reader; do
  seeds=(../tests/fuzz/corpus/${target%%_*})
  # The migration parser also starts from the false-alarm corpus: realistic files of every shape.
  [[ $target == migration_parser ]] && seeds+=(../tests/corpus)
  corpus=build-fuzz/corpus-$target
  mkdir -p "$corpus"
  echo "fuzzing $target for ${seconds}s"
  (cd build-fuzz && ./tests/fuzz/fuzz_$target -max_total_time="$seconds" -max_len=65536 -timeout=10 \
     -print_final_stats=1 "../$corpus" "${seeds[@]}")
done
