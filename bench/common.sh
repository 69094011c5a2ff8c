# Shared by the bench scripts: messages, and the datamig binary under test.
# Sourced; expects ROOT (the repository), BENCH_DIR (bench/) and DATAMIG (a binary, or empty).

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# dbmate, the tool the benches compare with: its Linux binary from the npm registry into
# bench/.tools (nothing global); npm itself from Debian when it is missing. Expects BENCH_DIR.
DBMATE_RANGE="~2.36.0"  # npm range: the latest 2.36.x
DBMATE=$BENCH_DIR/.tools/node_modules/@dbmate/linux-x64/bin/dbmate

install_dbmate() {
    if [[ -x "$DBMATE" ]] && "$DBMATE" --version | grep -q ' 2\.36\.'; then return; fi
    if ! command -v npm >/dev/null; then
        log "installing: nodejs npm"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    log "installing dbmate $DBMATE_RANGE into $BENCH_DIR/.tools"
    npm install --silent --no-save --prefix "$BENCH_DIR/.tools" "@dbmate/linux-x64@$DBMATE_RANGE" >/dev/null
    [[ -x "$DBMATE" ]] || die "npm did not install $DBMATE"
}

# awk functions for the reports, put before a report's own program: sorted(list, v) sorts a
# space-separated list of numbers into v and returns how many; median(list); extreme(list,
# "min"|"max").
# shellcheck disable=SC2034  # used by the scripts that source this file
AWK_STATS='
    function sorted(list, v,   n, i, j, t) {
        n = split(list, v, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n
    }
    function median(list,   v, n) { n = sorted(list, v); return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
    function extreme(list, which,   v, n) { n = sorted(list, v); return which == "min" ? v[1] : v[n] }
'

# For the reports: other work on the machine skews the figures; the load average says how much
# there was.
load_average() { cut -d ' ' -f 1-3 /proc/loadavg; }

machine() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    echo "$(nproc) cores (${cpu:-unknown CPU}), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr)"
}

# datamig as users get it: a Release build of its own in $1 (under ROOT), unless a binary is
# given. DATAMIG_SOURCE says what was measured, for the reports.
build_datamig() {
    local build_dir=$ROOT/$1
    if [[ -n "$DATAMIG" ]]; then
        DATAMIG=$(realpath "$DATAMIG")
        [[ -x "$DATAMIG" ]] || die "not an executable: $DATAMIG"
        DATAMIG_SOURCE="given binary"
        return
    fi
    log "building datamig (Release) in $1"
    cmake -S "$ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$build_dir" datamig >/dev/null
    DATAMIG=$build_dir/datamig
    DATAMIG_SOURCE="built from $(git -C "$ROOT" rev-parse --short HEAD)"
    git -C "$ROOT" diff --quiet HEAD -- src include CMakeLists.txt || DATAMIG_SOURCE+=" with uncommitted changes"
}
