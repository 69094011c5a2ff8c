#!/usr/bin/env bash
# Fails when a C++ file of the tree differs from what clang-format makes of it (.clang-format at
# the root is the house style). Run by the test suite; `scripts/check-format.sh --fix` rewrites
# the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=$(command -v clang-format || command -v clang-format-14 || true)
[[ -n "$clang_format" ]] || { echo "check-format: clang-format not found (apt-get install clang-format)" >&2; exit 2; }

mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.c' | grep -v '^build')
if [[ "${1:-}" == "--fix" ]]; then
    "$clang_format" -i "${files[@]}"
    exit 0
fi
if "$clang_format" --dry-run --Werror "${files[@]}"; then
    echo "check-format: ${#files[@]} files follow .clang-format"
else
    echo "check-format: run scripts/check-format.sh --fix" >&2
    exit 1
fi
