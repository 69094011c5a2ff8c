#!/usr/bin/env bash
# Installs dependencies, builds with warnings as errors, and runs every test: unit tests and
# the end-to-end suites on SQLite and on a throwaway PostgreSQL cluster that ctest starts
# and stops itself (scripts/pg-test-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDATAMIG_DEV=ON "$@" >/dev/null
cmake --build build-test -j "$(nproc)"
cd build-test
ctest --output-on-failure -j "$(nproc)" --timeout 900
