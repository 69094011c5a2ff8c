#!/usr/bin/env bash
# Renders the deploy kit (deploy/) offline with kubectl and checks it against the contract:
# Argo CD hook annotations, retries and deadlines, the termination message, the Secret, the
# exit codes of podFailurePolicy against SPEC §7, every --flag against the binary's --help, and the
# fleet Job's shards, targets file and passwords (many databases, SPEC §4).
# The checks are in check_manifests.py beside this script.
#   tests/deploy/render_test.sh path/to/datamig
# Exit 77 (skipped) when kubectl or python3 is missing: kubectl is not a Debian 12 package.
set -euo pipefail

binary=${1:?usage: $0 path/to/datamig}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
spec=${DATAMIG_SPEC:-$repo/../shared/SPEC.md}

for tool in kubectl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not found; the deploy kit was not rendered"
    exit 77
  fi
done
[ -x "$binary" ] || { echo "FAIL: no datamig binary at $binary" >&2; exit 1; }
[ -f "$spec" ] || { echo "FAIL: no SPEC.md at $spec (set DATAMIG_SPEC)" >&2; exit 1; }

exec python3 "$here/check_manifests.py" --repo "$repo" --spec "$spec" --binary "$binary"
