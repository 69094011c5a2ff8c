#!/usr/bin/env bash
# A backfill under live OLTP traffic (SPEC §2, "Batches under live traffic"), on a durable
# PostgreSQL. Run on demand, never in CI's timed path. See docs/benchmarks.md, "Backfill under
# live traffic".
#
#   bench/backfill_under_load.sh                         2,000,000 rows, the four variants, 1 run
#   bench/backfill_under_load.sh --datamig build/datamig --runs 2
#   bench/backfill_under_load.sh --rows 400000 --variants plain,adaptive --baseline 10
#
# Flags, and the environment variable for each: --rows (BENCH_ROWS, 2000000), --runs (BENCH_RUNS,
# 1), --variants (BENCH_VARIANTS: a comma list of plain, fixed10000, fixed1000, adaptive, and
# adaptive_timeout = batch_time:100ms with --statement-timeout 250ms, which replaces the 200 ms limit
# adaptive derives from batch_time; not run by default),
# --baseline (BENCH_BASELINE, seconds of load without a backfill, 30), --clients (BENCH_CLIENTS,
# pgbench clients, 4), --rate (BENCH_RATE, pgbench -R, 0 = as fast as it goes), --max-wal-size
# (BENCH_MAX_WAL_SIZE, 16GB), --datamig (DATAMIG; default: a Release build in build-batch-bench),
# --work (BENCH_WORK, scratch folder, /tmp/datamig-load-bench). Prints a Markdown report and
# keeps it in the scratch folder's report.md.
# Targets (issue #15 item 6, batch_time:100ms): no OLTP transaction longer than 250 ms; wall time
# at most 1.3x the plain UPDATE's; at least 80 % of the batches after the fifth within +-50 % of
# 100 ms, on each half of the table. Exit status 0 whether or not they are met; 1 when it breaks.
set -euo pipefail
export LC_ALL=C  # "." as the decimal point of $EPOCHREALTIME and awk

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
readonly BENCH_DIR ROOT
readonly VERSION=20260101000000   # the migration's version: any valid UTC date-time
readonly BATCH_TIME_MS=100        # the adaptive variant's batch_time
readonly TARGET_MAX_LATENCY_MS=250
readonly TARGET_WALL_RATIO=1.3
readonly TARGET_SHARE=80          # % of batches after the fifth within +-50 % of batch_time
readonly LEAD_S=5                 # load before the backfill starts: pgbench reaches its pace
readonly TAIL_S=3                 # load after it ends: transactions it held finish and are logged
readonly PG_USER=datamig-pg       # the server's user when run as root (as scripts/pg-test-cluster.sh)

ROWS=${BENCH_ROWS:-2000000}
RUNS=${BENCH_RUNS:-1}
VARIANTS=${BENCH_VARIANTS:-plain,fixed10000,fixed1000,adaptive}
BASELINE_S=${BENCH_BASELINE:-30}
CLIENTS=${BENCH_CLIENTS:-4}
RATE=${BENCH_RATE:-0}
MAX_WAL_SIZE=${BENCH_MAX_WAL_SIZE:-16GB}
DATAMIG=${DATAMIG:-}
WORK=${BENCH_WORK:-/tmp/datamig-load-bench}

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || usage
    case "$1" in
        --rows) ROWS=$2 ;;
        --runs) RUNS=$2 ;;
        --variants) VARIANTS=$2 ;;
        --baseline) BASELINE_S=$2 ;;
        --clients) CLIENTS=$2 ;;
        --rate) RATE=$2 ;;
        --max-wal-size) MAX_WAL_SIZE=$2 ;;
        --datamig) DATAMIG=$2 ;;
        --work) WORK=$2 ;;
        *) usage ;;
    esac
    shift 2
done
for number in "$ROWS" "$RUNS" "$BASELINE_S" "$CLIENTS"; do
    [[ "$number" =~ ^[1-9][0-9]*$ ]] || usage
done
[[ "$RATE" =~ ^[0-9]+$ ]] || usage
[[ "$MAX_WAL_SIZE" =~ ^[1-9][0-9]*(MB|GB)$ ]] || usage
((ROWS % 2 == 0)) || usage
IFS=, read -r -a VARIANT_LIST <<<"$VARIANTS"
for variant in "${VARIANT_LIST[@]}"; do
    case "$variant" in plain | fixed10000 | fixed1000 | adaptive | adaptive_timeout) ;; *) usage ;; esac
done
readonly ROWS RUNS BASELINE_S CLIENTS RATE MAX_WAL_SIZE VARIANT_LIST
readonly HALF=$((ROWS / 2))

WORK=$(realpath -m -- "$WORK")
readonly WORK
readonly CLUSTER=$WORK/pg           # the throwaway cluster, on disk (removed at exit)
readonly RUNS_DIR=$WORK/runs        # per run: pgbench log, datamig log, figures
readonly RESULTS=$WORK/results.tsv  # one line per measured run
readonly BATCHES=$WORK/batches.tsv  # one line per datamig batch
readonly SERVER_LOG=$WORK/server.log

# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"

# ---------------------------------------------------------------------------------------------
# Step 1. Prerequisites: the project's script brings the server, psql and pgbench (all in the
# postgresql packages) and does nothing when they are installed.
install_prerequisites() {
    bash "$ROOT/scripts/install-deps.sh" --test
    PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    for tool in initdb pg_ctl postgres psql pgbench; do
        [[ -x "$PG_BIN/$tool" ]] || die "no $tool in $PG_BIN"
    done
}

# ---------------------------------------------------------------------------------------------
# Step 2. A durable cluster of its own, on disk (scripts/pg-test-cluster.sh keeps its data in
# /dev/shm with fsync off: commits there cost nothing, and what costs a live database most here
# is its WAL flushes and page writes). Production settings: fsync, synchronous_commit and
# full_page_writes on, the defaults otherwise, except shared_buffers 256MB and max_wal_size 16GB.
# Rewriting the upper half writes about 4 GB of WAL (new rows, new TOAST values, full pages):
# with 4GB a run set off two checkpoints back to back, and the fsyncs of their sync phase held
# every commit, the OLTP load's and the backfill's alike, for up to a second, whichever variant
# ran then. With 16GB none starts inside a run (each run begins right after the checkpoint of
# its CREATE DATABASE, and checkpoint_timeout is 5 min), so the figures show the backfill's own
# effect; --max-wal-size 4GB shows the other picture.
# Logged with epoch timestamps (%n) and application names (%a): checkpoints, autovacuums, and
# lock waits of 100 ms or more (log_lock_waits, deadlock_timeout 100ms instead of 1s, a cost only
# to a transaction that waits that long) are read per run. A lock wait's "acquired … after X ms"
# line tells a transaction held up by the backfill's row locks from one held up by the machine
# (all clients slow at once: a WAL fsync or a CPU stall).
as_cluster_user() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

start_cluster() {
    local port password dir
    [[ -e "$CLUSTER" ]] && { [[ -e "$CLUSTER/.datamig-load-bench" ]] || die "$CLUSTER exists and is not this bench's"; }
    stop_cluster_quietly
    mkdir -p "$CLUSTER/run"
    touch "$CLUSTER/.datamig-load-bench"
    if [[ $(id -u) -eq 0 ]]; then
        id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
        chown "$PG_USER:" "$CLUSTER/run"
        dir=$CLUSTER
        while [[ "$dir" != / ]]; do  # the server user must reach its folders
            runuser -u "$PG_USER" -- test -x "$dir" || chmod o+x "$dir"
            dir=$(dirname "$dir")
        done
    fi
    chmod 0700 "$CLUSTER/run"
    password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077 && printf '%s\n' "$password" | as_cluster_user tee "$CLUSTER/run/pwfile" >/dev/null)
    (cd "$CLUSTER" && as_cluster_user "$PG_BIN/initdb" -D "$CLUSTER/run/data" -U postgres \
        --pwfile="$CLUSTER/run/pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
        --locale=C >"$WORK/initdb.log" 2>&1) || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
    rm -f "$CLUSTER/run/pwfile"
    trap stop_cluster EXIT
    for ((attempt = 0; attempt < 20; attempt++)); do
        port=$((20000 + RANDOM % 20000))
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
        as_cluster_user tee "$CLUSTER/run/data/postgresql.auto.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = $(conf_quote "$CLUSTER/run")
max_connections = 50
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = '256MB'
max_wal_size = '$MAX_WAL_SIZE'
log_line_prefix = '%n [%p] %d [%a] '
log_lock_waits = on
deadlock_timeout = '100ms'
log_checkpoints = on
log_autovacuum_min_duration = 0
EOF
        if (cd "$CLUSTER" && as_cluster_user "$PG_BIN/pg_ctl" start -D "$CLUSTER/run/data" \
                -l "$CLUSTER/run/server.log" -w -t 60 >/dev/null 2>&1); then
            URL_BASE="postgres://postgres:$password@127.0.0.1:$port"
            log "PostgreSQL $("$PG_BIN/postgres" -V | awk '{ print $3 }') on 127.0.0.1:$port, data in $CLUSTER/run/data"
            return
        fi
        grep -qi 'could not bind\|address already in use' "$CLUSTER/run/server.log" 2>/dev/null ||
            { cat "$CLUSTER/run/server.log" >&2; die "the server did not start"; }
    done
    die "no free port"
}

stop_cluster_quietly() {
    [[ -f "$CLUSTER/run/data/postmaster.pid" ]] &&
        (cd / && as_cluster_user "$PG_BIN/pg_ctl" stop -D "$CLUSTER/run/data" -m fast -w >/dev/null 2>&1)
    [[ -e "$CLUSTER/.datamig-load-bench" ]] && rm -rf -- "$CLUSTER"
    return 0
}

stop_cluster() {
    [[ -n "${PGBENCH_PID:-}" ]] && kill "$PGBENCH_PID" 2>/dev/null
    [[ -f "$CLUSTER/run/server.log" ]] && cp "$CLUSTER/run/server.log" "$SERVER_LOG"
    stop_cluster_quietly
    log "cluster stopped and removed"
}

db_url() { echo "$URL_BASE/$1"; }

sql() {
    local db=$1
    shift
    PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$(db_url "$db")" "$@" >/dev/null
}

query() { "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -d "$(db_url "$1")" -c "$2"; }

# The settings the figures depend on, for the report.
server_settings() {
    query postgres "SELECT name || ' = ' || current_setting(name) FROM pg_settings
        WHERE name IN ('server_version', 'shared_buffers', 'max_wal_size', 'fsync', 'synchronous_commit',
                       'full_page_writes', 'wal_level', 'checkpoint_timeout', 'autovacuum')
        ORDER BY name" | paste -sd ';' | sed 's/;/; /g'
}

# ---------------------------------------------------------------------------------------------
# Step 3. The uneven table, loaded once into a template database. The upper half of the ids
# carries a 2,048-byte payload of SHA-512 hex digests, the lower half none (NULL). Hex digits do
# not compress by the 25 % pglz asks for, so the value is stored as is: out of line, in two TOAST
# chunks, as any text of 2 KB or more is (a row keeps it inline only below about 2,000 bytes).
# Frozen and vacuumed, so that no run sets hint bits; connections refused, so that it can be
# copied.
# Each run gets its own copy (CREATE DATABASE … STRATEGY FILE_COPY): every backfill starts from
# the same physical table, and the copy is dropped afterwards.
load_template() {
    log "loading $ROWS rows into the template (about a minute for 2,000,000)"
    sql postgres -c "CREATE DATABASE items_template"
    sql items_template \
        -c "CREATE TABLE items (id bigint PRIMARY KEY, hits bigint NOT NULL DEFAULT 0,
                                migrated boolean NOT NULL DEFAULT false, payload text)" \
        -c "INSERT INTO items (id, payload)
            SELECT g, CASE WHEN g > $HALF THEN
                (SELECT string_agg(encode(sha512((g * 16 + i)::text::bytea), 'hex'), '')
                   FROM generate_series(1, 16) i) END
              FROM generate_series(1::bigint, $ROWS) g" \
        -c "VACUUM (FREEZE, ANALYZE) items"
    TABLE_DESCRIPTION=$(query items_template "SELECT format('%s rows, payload of %s bytes as stored (pg_column_size) above id $HALF; heap %s, TOAST %s, primary key %s',
        count(*), max(pg_column_size(payload)), pg_size_pretty(pg_relation_size('items')),
        pg_size_pretty(pg_total_relation_size(reltoastrelid)), pg_size_pretty(pg_indexes_size('items')))
        FROM items, pg_class WHERE pg_class.oid = 'items'::regclass GROUP BY reltoastrelid")
    sql postgres -c "ALTER DATABASE items_template WITH IS_TEMPLATE true ALLOW_CONNECTIONS false" \
        -c "CHECKPOINT"
}

fresh_database() {
    local name=$1
    sql postgres -c "DROP DATABASE IF EXISTS $name" \
        -c "CREATE DATABASE $name TEMPLATE items_template STRATEGY FILE_COPY"
}

# ---------------------------------------------------------------------------------------------
# Step 4. The OLTP load: $CLIENTS pgbench clients, each transaction one single-row UPDATE of a
# random id, committed (one WAL flush) before the next; every transaction logged (--log) with
# its latency and its end time, so the figures cover exactly the backfill's time window.
write_load_script() {
    cat >"$WORK/oltp.pgbench" <<EOF
\\set id random(1, $ROWS)
UPDATE items SET hits = hits + 1 WHERE id = :id;
EOF
}

start_load() {
    local name=$1 rate=()
    ((RATE > 0)) && rate=(-R "$RATE")
    "$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j 1 -T 36000 "${rate[@]}" -f "$WORK/oltp.pgbench" \
        --log --log-prefix="$RUNS_DIR/$name.pgbench" "$(db_url "$name")" \
        >"$RUNS_DIR/$name.pgbench.out" 2>&1 &
    PGBENCH_PID=$!
    sleep "$LEAD_S"
    kill -0 "$PGBENCH_PID" 2>/dev/null || { cat "$RUNS_DIR/$name.pgbench.out" >&2; die "pgbench stopped"; }
}

# pgbench has no clean stop before -T: it is killed TAIL_S after the backfill, and the few log
# lines still in its buffer then are from after the window.
stop_load() {
    local name=$1
    sleep "$TAIL_S"
    kill -0 "$PGBENCH_PID" 2>/dev/null || { cat "$RUNS_DIR/$name.pgbench.out" >&2; die "pgbench stopped early"; }
    kill -TERM "$PGBENCH_PID"
    wait "$PGBENCH_PID" 2>/dev/null || true
    PGBENCH_PID=
    ! grep -qi 'abort\|error' "$RUNS_DIR/$name.pgbench.out" || { cat "$RUNS_DIR/$name.pgbench.out" >&2; die "pgbench failed"; }
}

# ---------------------------------------------------------------------------------------------
# Step 5. The backfills: every row gets its payload upper-cased and is marked migrated. Each is a
# new row version, about 50 bytes and one index entry in the lower half; in the upper half also
# a new 2 KB TOAST value (two chunks, two TOAST index entries, 2 KB more of WAL), so a batch
# of the upper half costs several times one of the same size in the lower half.
readonly BACKFILL_SET="payload = upper(payload), migrated = true"

write_project() {
    local variant=$1 options
    case "$variant" in
        fixed10000) options="batch_size:10000" ;;
        fixed1000) options="batch_size:1000" ;;
        adaptive | adaptive_timeout) options="batch_time:${BATCH_TIME_MS}ms" ;;
    esac
    rm -rf "$WORK/project"
    mkdir -p "$WORK/project/db/data_migrations/post_sync"
    cat >"$WORK/project/db/data_migrations/post_sync/${VERSION}_backfill_items.sql" <<EOF
-- migrate:up batch:range key:items.id $options
UPDATE items SET $BACKFILL_SET WHERE id >= :batch_start AND id < :batch_end;
EOF
}

backfill_command() {
    local variant=$1 name=$2
    case "$variant" in
        plain) CMD=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$(db_url "$name")" -c "UPDATE items SET $BACKFILL_SET") ;;
        baseline) CMD=(sleep "$BASELINE_S") ;;
        *) write_project "$variant"
           CMD=(env -C "$WORK/project" "$DATAMIG" -v --log-format json --database-url "$(db_url "$name")"
                --dir db/data_migrations)
           # A batch that overruns the OLTP target is cancelled, rolled back and retried at half
           # the size (SPEC §2, retries), spending a retry; `adaptive` has a limit of its own,
           # 2 x batch_time, whose cut-offs spend none.
           [[ "$variant" == adaptive_timeout ]] && CMD+=(--statement-timeout "${TARGET_MAX_LATENCY_MS}ms")
           CMD+=(migrate) ;;
    esac
}

check_backfilled() {
    local name=$1 left
    left=$(query "$name" "SELECT count(*) FROM items WHERE NOT migrated")
    [[ "$left" == 0 ]] || die "$name: $left rows not backfilled"
}

# One run: a fresh copy, the load, the backfill (timed: wall time of the client process), the
# load's tail; then the figures of the window. Run 0 is the warm-up, not counted.
measure() {
    local variant=$1 run=$2 name=${1}_$2 start end
    fresh_database "$name"
    if ((run == 0)); then log "warm-up: $variant (not counted)"; else log "run $run/$RUNS: $variant"; fi
    backfill_command "$variant" "$name"
    start_load "$name"
    start=${EPOCHREALTIME/./}
    "${CMD[@]}" >"$RUNS_DIR/$name.out" 2>"$RUNS_DIR/$name.log" ||
        { tail -n 5 "$RUNS_DIR/$name.log" >&2; die "$variant failed (run $run)"; }
    end=${EPOCHREALTIME/./}
    stop_load "$name"
    [[ "$variant" == baseline ]] || check_backfilled "$name"
    if ((run > 0)); then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$run" "$(((end - start) / 1000))" \
            "$(oltp_stats "$name" "$start" "$end")" "$(server_events "$name" "$start" "$end")" \
            "$(batch_count "$name")" "$(retry_count "$name")" >>"$RESULTS"
        [[ "$variant" == plain || "$variant" == baseline ]] || batches_of "$variant" "$run" "$name" >>"$BATCHES"
    fi
    sql postgres -c "DROP DATABASE $name"
}

# ---------------------------------------------------------------------------------------------
# Step 6. Figures of one run.
# pgbench --log line: client, transaction, latency µs, script, end epoch s, end µs. Throughput:
# transactions that ended inside the window / its length. Latencies: every transaction that was
# in flight during the window (ended after its start, began before its end), so one held up by
# the backfill counts even when it ends after it. Prints: tps p50 p99 max count>250ms count.
oltp_stats() {
    local name=$1 start=$2 end=$3
    cat "$RUNS_DIR/$name".pgbench.* 2>/dev/null |
        awk -v t0="$start" -v t1="$end" '
            { stop = $5 * 1000000 + $6; begin = stop - $3
              if (stop >= t0 && stop <= t1) done++
              if (stop > t0 && begin < t1) print $3 / 1000 }
            END { printf "%d\n", done > "/dev/stderr" }' 2>"$RUNS_DIR/$name.done" |
        sort -n >"$RUNS_DIR/$name.latencies"
    awk -v done="$(cat "$RUNS_DIR/$name.done")" -v seconds="$(((end - start) / 1000))" -v limit="$TARGET_MAX_LATENCY_MS" '
        { v[NR] = $1; if ($1 > limit) over++ }
        END { if (NR == 0) { print "0\t-\t-\t-\t0\t0"; exit }
              p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
              printf "%.0f\t%.1f\t%.1f\t%.0f\t%d\t%d", done / (seconds / 1000), v[int((NR + 1) / 2)], v[p99], v[NR], over, NR }' \
        "$RUNS_DIR/$name.latencies"
}

# Checkpoints started and autovacuums of the run's items table finished inside the window; the
# OLTP transactions' lock waits that reached deadlock_timeout (100 ms): how many, and the longest
# (they are held up by the backfill's row locks; the few that end just after the window count).
server_events() {
    local name=$1 start=$2 end=$3
    awk -v db="$name" -v table="\"$name.public.items\"" -v from="$start" -v to="$end" -v tail="$TAIL_S" '
        $1 * 1e6 < from || $1 * 1e6 > to + tail * 1e6 { next }
        $1 * 1e6 <= to && index($0, "checkpoint starting") { c++ }
        $1 * 1e6 <= to && index($0, "automatic vacuum of table " table) { a++ }
        $3 != db || $4 != "[pgbench]" || $5 != "LOG:" { next }
        $1 * 1e6 <= to && index($0, " still waiting for ") { w++ }
        index($0, " acquired ") && $(NF - 1) + 0 > longest { longest = $(NF - 1) + 0 }
        END { printf "%d\t%d\t%d\t%.0f", c, a, w, longest }' "$CLUSTER/run/server.log"
}

# datamig logs one debug line per batch (-v): "batch N of LABEL: size S, R rows, D ms".
batch_lines() {
    sed -n 's/.*"message":"batch \([0-9]*\) of [^"]*: size \([0-9]*\), \([0-9]*\) rows, \([0-9.]*\) ms".*/\1\t\2\t\3\t\4/p' \
        "$RUNS_DIR/$1.log" 2>/dev/null
}

batch_count() { [[ -f "$RUNS_DIR/$1.log" ]] && batch_lines "$1" | wc -l || echo 0; }

# Batches rolled back and retried: cut off by the limit derived from batch_time, or any other
# transient failure (a warning each in datamig's log).
retry_count() { grep -c -e 'cut off, retry at size' -e 'batch rolled back, retry' "$RUNS_DIR/$1.log" || true; }

# One line per batch: variant, run, N, size, rows, ms, half. Ids are dense (1..ROWS), so the rows
# done so far say where a batch is: lower while they stay within the first half, upper after
# (the one batch across the middle counts as upper).
batches_of() {
    local variant=$1 run=$2 name=$3
    batch_lines "$name" | awk -F '\t' -v OFS='\t' -v v="$variant" -v r="$run" -v half="$HALF" '
        { done += $3; print v, r, $1, $2, $3, $4, (done <= half ? "lower" : "upper") }'
}

# ---------------------------------------------------------------------------------------------
# Step 7. Report.
field() { awk -F '\t' -v v="$1" -v r="$2" -v f="$3" '$1 == v && $2 == r { print $f }' "$RESULTS"; }

seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# Batch durations of a variant's run on one half: count p50 p90 max share-within (after the 5th).
batch_stats() {
    local variant=$1 run=$2 half=$3
    awk -F '\t' -v v="$variant" -v r="$run" -v h="$half" -v t="$BATCH_TIME_MS" '
        $1 == v && $2 == r && $7 == h { print $6, $3, $4 }' "$BATCHES" | sort -n |
        awk -v t="$BATCH_TIME_MS" '
            { v[NR] = $1; if ($2 > 5) { later++; if ($1 >= t / 2 && $1 <= t * 1.5) near++ }
              size_min = (NR == 1 || $3 < size_min) ? $3 : size_min; if ($3 > size_max) size_max = $3 }
            END { if (NR == 0) { print "n/a"; exit }
                  p90 = int(NR * 0.9); if (p90 < NR * 0.9) p90++
                  printf "%d\t%.0f\t%.0f\t%.0f\t%s\t%d\t%d\n", NR, v[int((NR + 1) / 2)], v[p90], v[NR],
                         later ? sprintf("%.0f", 100 * near / later) : "n/a", size_min, size_max }'
}

label_of() {
    case "$1" in
        baseline) echo "baseline (no backfill, ${BASELINE_S} s)" ;;
        plain) echo "one \`UPDATE\` (psql)" ;;
        fixed10000) echo "datamig, \`batch_size:10000\`" ;;
        fixed1000) echo "datamig, \`batch_size:1000\`" ;;
        adaptive) echo "datamig, \`batch_time:${BATCH_TIME_MS}ms\`" ;;
        adaptive_timeout) echo "datamig, \`batch_time:${BATCH_TIME_MS}ms\`, \`--statement-timeout ${TARGET_MAX_LATENCY_MS}ms\`" ;;
    esac
}

verdicts() {
    local variant=$1 run=$2 plain_ms ms max waits longest lower upper wall lat share
    plain_ms=$(field plain "$run" 3)
    ms=$(field "$variant" "$run" 3)
    max=$(field "$variant" "$run" 7)
    waits=$(field "$variant" "$run" 12)
    longest=$(field "$variant" "$run" 13)
    lat=$(awk -v m="$max" -v t="$TARGET_MAX_LATENCY_MS" 'BEGIN { print (m <= t) ? "met" : "missed" }')
    if ((waits > 0)); then lat+="; longest lock wait $longest ms"; else lat+="; no lock wait ≥ 100 ms"; fi
    if [[ -n "$plain_ms" ]]; then
        wall=$(awk -v a="$ms" -v b="$plain_ms" -v t="$TARGET_WALL_RATIO" 'BEGIN { printf "%.2f× (%s)", a / b, (a / b <= t) ? "met" : "missed" }')
    else
        wall="n/a (no plain run)"
    fi
    lower=$(batch_stats "$variant" "$run" lower | cut -f 5)
    upper=$(batch_stats "$variant" "$run" upper | cut -f 5)
    share=$(awk -v l="$lower" -v u="$upper" -v t="$TARGET_SHARE" 'BEGIN {
        if (l == "n/a" || u == "n/a" || l == "" || u == "") print "n/a"
        else printf "%s %% / %s %% (%s)", l, u, (l >= t && u >= t) ? "met" : "missed" }')
    echo "| $(label_of "$variant") | max ${max} ms ($lat) | $wall | $share |"
}

report() {
    local run variant
    cat <<EOF
### Backfill under live traffic: $ROWS rows, $CLIENTS pgbench clients$( ((RATE > 0)) && echo " at $RATE tps"), $RUNS run(s)

datamig: $DATAMIG_SOURCE, $("$DATAMIG" --version 2>&1 | head -n 1). Table: $TABLE_DESCRIPTION.

| run | backfill | wall s | OLTP tps | p50 ms | p99 ms | max ms | txns > ${TARGET_MAX_LATENCY_MS} ms | lock waits ≥ 100 ms | longest lock wait ms | checkpoints | autovacuums | batches | retries |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
    for ((run = 1; run <= RUNS; run++)); do
        for variant in baseline "${VARIANT_LIST[@]}"; do
            [[ -n "$(field "$variant" "$run" 1)" ]] || continue
            awk -F '\t' -v v="$variant" -v r="$run" -v label="$(label_of "$variant")" '
                $1 == v && $2 == r { printf "| %s | %s | %s | %s | %s | %s | %s | %d of %d | %s | %s | %s | %s | %s | %s |\n",
                    r, label, (v == "baseline" ? "–" : sprintf("%.1f", $3 / 1000)), $4, $5, $6, $7, $8, $9, $12,
                    ($12 > 0 ? $13 : "–"), $10, $11, $14, (v == "baseline" || v == "plain" ? "–" : $15) }' "$RESULTS"
        done
    done
    cat <<EOF

Batch durations from datamig's log (ms; "near" = share of the batches after the fifth within
±50 % of ${BATCH_TIME_MS} ms); lower half = ids ≤ $HALF:

| run | backfill | half | batches | p50 | p90 | max | near | sizes |
|---|---|---|---:|---:|---:|---:|---:|---|
EOF
    for ((run = 1; run <= RUNS; run++)); do
        for variant in "${VARIANT_LIST[@]}"; do
            [[ "$variant" == plain || -z "$(field "$variant" "$run" 1)" ]] && continue
            for half in lower upper; do
                batch_stats "$variant" "$run" "$half" | awk -F '\t' -v r="$run" -v label="$(label_of "$variant")" -v h="$half" '
                    $1 == "n/a" { printf "| %s | %s | %s | n/a | n/a | n/a | n/a | n/a | n/a (no batch lines in the log) |\n", r, label, h; next }
                    { printf "| %s | %s | %s | %d | %s | %s | %s | %s %% | %s–%s |\n", r, label, h, $1, $2, $3, $4, $5, $6, $7 }'
            done
        done
    done
    cat <<EOF

Targets: no OLTP transaction above ${TARGET_MAX_LATENCY_MS} ms while the backfill runs; wall time ≤ ${TARGET_WALL_RATIO}× the
plain UPDATE's; ≥ ${TARGET_SHARE} % of the batches after the fifth within ±50 % of ${BATCH_TIME_MS} ms, lower / upper half:

| run | backfill | OLTP latency | wall time vs plain | batches near ${BATCH_TIME_MS} ms |
|---|---|---|---|---|
EOF
    for ((run = 1; run <= RUNS; run++)); do
        for variant in "${VARIANT_LIST[@]}"; do
            [[ "$variant" == plain || -z "$(field "$variant" "$run" 1)" ]] && continue
            verdicts "$variant" "$run" | sed "s/^| /| $run | /"
        done
    done
    cat <<EOF

Machine: $(machine), load average $LOAD_BEFORE before and $(load_average) after the bench.
Server: $SETTINGS.
EOF
}

# ---------------------------------------------------------------------------------------------
main() {
    install_prerequisites
    build_datamig build-batch-bench
    mkdir -p "$WORK"
    rm -rf "$RUNS_DIR"
    mkdir -p "$RUNS_DIR"
    : >"$RESULTS"
    : >"$BATCHES"
    LOAD_BEFORE=$(load_average)
    start_cluster
    load_template
    write_load_script
    SETTINGS=$(server_settings)
    local run i n=${#VARIANT_LIST[@]}
    # The first big write of a fresh cluster is slower (new WAL segment files): one untimed run.
    measure "${VARIANT_LIST[0]}" 0
    for ((run = 1; run <= RUNS; run++)); do
        measure baseline "$run"
        # Later runs rotate the order, so that no variant always comes first.
        for ((i = 0; i < n; i++)); do
            measure "${VARIANT_LIST[$(((i + run - 1) % n))]}" "$run"
        done
    done
    report | tee "$WORK/report.md"
    log "report in $WORK/report.md; per run: $RESULTS, per batch: $BATCHES, logs in $RUNS_DIR, server log in $SERVER_LOG"
}

main
