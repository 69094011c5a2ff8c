#!/usr/bin/env bash
# Builds datamig and runs the example project on the embedded SQLite default: the schema
# (as your schema migrations would leave it), then `datamig migrate` applies a pre_sync SQL
# migration and a post_sync exec migration, and `datamig status` shows the result.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh --demo
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDATAMIG_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target datamig
datamig=$root/build/datamig

demo=$root/build/demo
rm -rf "$demo"
cp -r examples/shop "$demo"
cd "$demo"
sqlite3 db/datamig.sqlite3 < db/schema.sql

set -x
"$datamig" check
"$datamig" migrate
"$datamig" status
sqlite3 -header -column db/datamig.sqlite3 "SELECT email, role FROM users; SELECT kind, user_id FROM jobs;"
