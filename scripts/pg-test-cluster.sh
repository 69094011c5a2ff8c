#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suites.
#
#   scripts/pg-test-cluster.sh start DIR   # new cluster in DIR, admin URL written to DIR/url
#   scripts/pg-test-cluster.sh stop DIR    # stop it and remove DIR
#
# Installs nothing: the postgresql package must be present (scripts/install-deps.sh).
# Tuned for speed, not durability (fsync off): never point it at data you want to keep.
# initdb refuses to run as root, so under root the server runs as the system user datamig-pg.
set -euo pipefail

readonly PG_USER=datamig-pg
readonly MARKER=.datamig-pg-test-cluster
readonly MEMORY_ROOT=/dev/shm

die() {
    echo "pg-test-cluster: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

find_pg_bin() {
    local dir
    dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] \
        || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (run scripts/install-deps.sh)"
    echo "$dir"
}

running_as_root() {
    [[ $(id -u) -eq 0 ]]
}

# Runs a command as the user that owns the cluster files.
as_cluster_user() {
    if running_as_root; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_cluster_user() {
    running_as_root || return 0
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    fi
}

# The server user must reach DIR through every parent folder; a private parent (a 0700
# mktemp folder, /root) gets the search bit only, never read or write.
make_reachable() {
    local dir=$1
    running_as_root || return 0
    while [[ "$dir" != / ]]; do
        dir=$(dirname "$dir")
        if ! runuser -u "$PG_USER" -- test -x "$dir"; then
            chmod o+x "$dir"
        fi
    done
}

stop_server() {
    local dir=$1 bin
    [[ -f "$dir/data/postmaster.pid" ]] || return 0
    bin=$(find_pg_bin)
    (cd "$dir" && as_cluster_user "$bin/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null 2>&1) || true
}

# Refuses to delete a folder this script did not create.
remove_cluster_dir() {
    local dir=$1 data
    [[ -e "$dir" ]] || return 0
    if [[ ! -e "$dir/$MARKER" && -n "$(ls -A "$dir")" ]]; then
        die "$dir is not empty and is no test cluster; refusing to delete it"
    fi
    if [[ -L "$dir/data" ]]; then
        data=$(readlink -- "$dir/data")
        [[ "$data" == "$MEMORY_ROOT"/datamig-pg.* ]] && rm -rf -- "$data"
    fi
    rm -rf -- "$dir"
}

# The data folder lives in memory when it can: CREATE DATABASE (one per test) and the
# shutdown checkpoint are disk-bound and several times faster there. DIR/data links to it.
make_data_dir() {
    local dir=$1 data
    if [[ -d "$MEMORY_ROOT" && -w "$MEMORY_ROOT" ]] && data=$(mktemp -d "$MEMORY_ROOT/datamig-pg.XXXXXX"); then
        ln -s "$data" "$dir/data"
    else
        data="$dir/data"
        mkdir "$data"
    fi
    chmod 0700 "$data"
    if running_as_root; then
        chown "$PG_USER:" "$data"
    fi
}

random_password() {
    head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

port_in_use() {
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# Candidate ports start at a random point so parallel clusters rarely try the same one.
candidate_ports() {
    local base=$((20000 + RANDOM % 20000)) i
    for ((i = 0; i < 50; i++)); do
        echo $((base + i * 7))
    done
}

conf_quote() {
    printf "'%s'" "${1//\'/\'\'}"
}

write_settings() {
    local dir=$1 port=$2
    as_cluster_user tee "$dir/data/datamig.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = $(conf_quote "$dir/run")
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 200
EOF
}

start() {
    local dir=$1 bin password port
    bin=$(find_pg_bin)
    stop_server "$dir"
    remove_cluster_dir "$dir"
    ensure_cluster_user

    mkdir -p "$dir"
    chmod 0755 "$dir"
    touch "$dir/$MARKER"
    make_reachable "$dir"
    make_data_dir "$dir"
    mkdir -m 0700 "$dir/run"
    if running_as_root; then
        chown "$PG_USER:" "$dir/run"
    fi
    cd "$dir"  # the server user may not be allowed into the caller's working directory

    password=$(random_password)
    (umask 077 && printf '%s\n' "$password" | as_cluster_user tee "$dir/run/pwfile" >/dev/null)
    local locale=C.UTF-8
    locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' || locale=C
    as_cluster_user "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/run/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale="$locale" \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$dir/run/pwfile"
    echo "include = 'datamig.conf'" | as_cluster_user tee -a "$dir/data/postgresql.conf" >/dev/null

    # A port can be taken between the check and the bind, so a failed start tries the next one.
    for port in $(candidate_ports); do
        port_in_use "$port" && continue
        write_settings "$dir" "$port"
        if as_cluster_user "$bin/pg_ctl" start -D "$dir/data" -l "$dir/run/server.log" -w -t 60 >/dev/null 2>&1; then
            (umask 022 && echo "postgres://postgres:$password@127.0.0.1:$port/postgres" >"$dir/url")
            chmod 0644 "$dir/url"
            echo "pg-test-cluster: PostgreSQL $("$bin/postgres" -V | awk '{print $3}') listening on 127.0.0.1:$port, data in $(readlink -f "$dir/data"), URL in $dir/url"
            return 0
        fi
        grep -qi 'could not bind\|address already in use' "$dir/run/server.log" 2>/dev/null \
            || { cat "$dir/run/server.log" >&2 2>/dev/null; die "the server did not start"; }
    done
    die "no free TCP port found for the server"
}

stop() {
    local dir=$1
    stop_server "$dir"
    remove_cluster_dir "$dir"
    echo "pg-test-cluster: stopped, $dir removed"
}

[[ $# -eq 2 && -n "$2" ]] || usage
command=$1
dir=$(realpath -m -- "$2")
[[ "$dir" != / ]] || die "refusing to use / as cluster folder"

case "$command" in
    start) start "$dir" ;;
    stop) stop "$dir" ;;
    *) usage ;;
esac
