#!/usr/bin/env bash
# Installs what datamig needs from Debian 12 packages. Skips apt entirely when everything is
# already there, so repeated runs (and offline machines that have the packages) are fast.
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   plus PostgreSQL and clients for the test suite
#   scripts/install-deps.sh --demo   plus the sqlite3 client the demo uses
#   scripts/install-deps.sh --fuzz   plus clang and its libFuzzer/sanitizer runtimes
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config libcli11-dev libpqxx-dev libpq-dev libsqlitecpp-dev
          libsqlite3-dev libspdlog-dev libfmt-dev catch2 libssl-dev nlohmann-json3-dev
          libtomlplusplus-dev)
for option in "$@"; do
  case "$option" in
    --test) packages+=(postgresql postgresql-client iproute2 procps clang-format) ;;
    --demo) packages+=(sqlite3) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "usage: $0 [--test] [--demo] [--fuzz]" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
