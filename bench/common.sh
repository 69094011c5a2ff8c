# Shared by the bench scripts: messages, and the datamig binary under test.
# Sourced; expects ROOT (the repository) and DATAMIG (a binary, or empty) to be set.

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

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
