#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy at the root) over every source file of src/, on all cores.
#   scripts/tidy.sh [BUILD_DIR]    BUILD_DIR holds compile_commands.json (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[[ -f "$build/compile_commands.json" ]] || { echo "tidy: no $build/compile_commands.json (configure with cmake first)" >&2; exit 2; }
clang_tidy=$(command -v clang-tidy || command -v clang-tidy-14 || true)
[[ -n "$clang_tidy" ]] || { echo "tidy: clang-tidy not found (apt-get install clang-tidy)" >&2; exit 2; }
git ls-files 'src/*.cpp' | xargs -P "$(nproc)" -n 1 "$clang_tidy" -p "$build" --quiet
echo "tidy: src/ passes .clang-tidy"
