#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suites: a primary and a streaming standby.
#
#   scripts/pg-test-cluster.sh start DIR   # new cluster in DIR, admin URL written to DIR/url,
#                                          # the standby's (read-only) URL to DIR/standby_url
#   scripts/pg-test-cluster.sh stop DIR    # stop both and remove DIR
#
# The standby (pg_basebackup -R of the primary, hot_standby) is what --max-replica-lag measures;
# tests pause its replay (SELECT pg_wal_replay_pause()) to make it lag. PG_TEST_STANDBY=0 starts
# the primary alone (benchmarks: the standby's replay would share their CPU).
#
# Installs nothing: the postgresql package must be present (scripts/install-deps.sh).
# Tuned for speed, not durability (fsync off): never point it at data you want to keep.
# PG_TEST_DURABLE=1 makes it a production-like server instead (benchmarks): data on disk, fsync,
# full_page_writes and synchronous_commit on, so a commit waits for its WAL flush as in production.
# initdb refuses to run as root, so under root the servers run as the system user datamig-pg.
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

# Stops the server whose data folder is DIR/NAME, if it runs.
stop_server() {
    local dir=$1 name=$2 bin
    [[ -f "$dir/$name/postmaster.pid" ]] || return 0
    bin=$(find_pg_bin)
    (cd "$dir" && as_cluster_user "$bin/pg_ctl" stop -D "$dir/$name" -m fast -w >/dev/null 2>&1) || true
}

# The standby first: a primary shutting down waits for its standbys to receive the last WAL.
stop_servers() {
    stop_server "$1" standby
    stop_server "$1" data
}

# Refuses to delete a folder this script did not create.
remove_cluster_dir() {
    local dir=$1 name data
    [[ -e "$dir" ]] || return 0
    if [[ ! -e "$dir/$MARKER" && -n "$(ls -A "$dir")" ]]; then
        die "$dir is not empty and is no test cluster; refusing to delete it"
    fi
    for name in data standby; do
        [[ -L "$dir/$name" ]] || continue
        data=$(readlink -- "$dir/$name")
        if [[ "$data" == "$MEMORY_ROOT"/datamig-pg.* ]]; then rm -rf -- "$data"; fi
    done
    rm -rf -- "$dir"
}

# A data folder (DIR/NAME) lives in memory when it can: CREATE DATABASE (one per test) and the
# shutdown checkpoint are disk-bound and several times faster there. DIR/NAME links to it.
make_data_dir() {
    local dir=$1 name=$2 data
    if ! durable && [[ -d "$MEMORY_ROOT" && -w "$MEMORY_ROOT" ]] && data=$(mktemp -d "$MEMORY_ROOT/datamig-pg.XXXXXX"); then
        ln -s "$data" "$dir/$name"
    else
        data="$dir/$name"
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

durable() {
    [[ "${PG_TEST_DURABLE:-0}" == 1 ]]
}

conf_quote() {
    printf "'%s'" "${1//\'/\'\'}"
}

# Settings of the server in DIR/NAME; the standby's copy of the primary's file is rewritten.
write_settings() {
    local dir=$1 name=$2 port=$3
    as_cluster_user tee "$dir/$name/datamig.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = $(conf_quote "$dir/run")
fsync = $(durable && echo on || echo off)
full_page_writes = $(durable && echo on || echo off)
synchronous_commit = $(durable && echo on || echo off)
max_connections = 200
hot_standby = on
# The primary's pg_stat_replication.replay_lag only moves when the standby reports, by default
# every 10 s; tests of --max-replica-lag would wait that long.
wal_receiver_status_interval = 1s
EOF
}

# Starts the server in DIR/NAME on a free port and prints the port. A port can be taken between
# the check and the bind, so a failed start tries the next one.
start_server() {
    local dir=$1 name=$2 bin=$3 port log
    log="$dir/run/$name.log"
    if [[ "$name" == data ]]; then log="$dir/run/server.log"; fi  # the primary's (bench/ reads it)
    for port in $(candidate_ports); do
        port_in_use "$port" && continue
        write_settings "$dir" "$name" "$port"
        if as_cluster_user "$bin/pg_ctl" start -D "$dir/$name" -l "$log" -w -t 60 >/dev/null 2>&1; then
            echo "$port"
            return 0
        fi
        grep -qi 'could not bind\|address already in use' "$log" 2>/dev/null \
            || { cat "$log" >&2 2>/dev/null; die "the $name server did not start"; }
    done
    die "no free TCP port found for the $name server"
}

# How many standbys the primary streams to, asked over its socket (local connections are trusted).
streaming_standbys() {
    local dir=$1 bin=$2 port=$3
    "$bin/psql" -X -A -t -h "$dir/run" -p "$port" -U postgres -d postgres \
        -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || echo 0
}

# A copy of the primary that streams its WAL (pg_basebackup -R writes standby.signal and the
# primary_conninfo), started and waited for until the primary lists it as streaming. Prints its port.
start_standby() {
    local dir=$1 bin=$2 primary_port=$3 password=$4 port i
    make_data_dir "$dir" standby
    as_cluster_user "$bin/pg_basebackup" -h "$dir/run" -p "$primary_port" -U postgres -D "$dir/standby" \
        -R -X stream -c fast >"$dir/run/basebackup.log" 2>&1 \
        || { cat "$dir/run/basebackup.log" >&2; die "pg_basebackup failed"; }
    port=$(start_server "$dir" standby "$bin")
    for ((i = 0; i < 300; i++)); do
        if (($(streaming_standbys "$dir" "$bin" "$primary_port") > 0)); then
            (umask 022 && echo "postgres://postgres:$password@127.0.0.1:$port/postgres" >"$dir/standby_url")
            chmod 0644 "$dir/standby_url"
            echo "$port"
            return 0
        fi
        sleep 0.1
    done
    cat "$dir/run/standby.log" >&2 2>/dev/null
    die "the standby did not start streaming within 30 s"
}

start() {
    local dir=$1 bin password port standby_port
    bin=$(find_pg_bin)
    stop_servers "$dir"
    remove_cluster_dir "$dir"
    ensure_cluster_user

    mkdir -p "$dir"
    chmod 0755 "$dir"
    touch "$dir/$MARKER"
    make_reachable "$dir"
    make_data_dir "$dir" data
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

    port=$(start_server "$dir" data "$bin")
    (umask 022 && echo "postgres://postgres:$password@127.0.0.1:$port/postgres" >"$dir/url")
    chmod 0644 "$dir/url"
    echo "pg-test-cluster: PostgreSQL $("$bin/postgres" -V | awk '{print $3}') listening on 127.0.0.1:$port, data in $(readlink -f "$dir/data"), URL in $dir/url"
    [[ "${PG_TEST_STANDBY:-1}" != 0 ]] || return 0
    standby_port=$(start_standby "$dir" "$bin" "$port" "$password")
    echo "pg-test-cluster: standby streaming on 127.0.0.1:$standby_port, data in $(readlink -f "$dir/standby"), URL in $dir/standby_url"
}

stop() {
    local dir=$1
    stop_servers "$dir"
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
