#!/usr/bin/env bash
# Batched backfill (SPEC §2 batch:range) against one plain UPDATE, on PostgreSQL.
# Run on demand, never in CI's timed path. See docs/benchmarks.md, "Batched backfill".
#
#   bench/batch_backfill.sh                      2,000,000 rows, batch_size 10,000, 3 runs
#   bench/batch_backfill.sh --runs 5 --rows 500000 --batch-size 5000 --datamig build/datamig
#
# Same knobs from the environment: BENCH_RUNS, BENCH_ROWS, BENCH_BATCH_SIZE, DATAMIG (binary;
# default: a Release build in build-batch-bench), BENCH_WORK (scratch folder, default
# /tmp/datamig-batch-bench). Prints a Markdown report and keeps it in $BENCH_WORK/report.md.
# Targets (issue item 7): batched throughput >= 0.7x the single UPDATE; no batch holds its row
# locks longer than 1 s. Exit status 0 whether or not they are met; 1 when the bench breaks.
set -euo pipefail
export LC_ALL=C  # "." as the decimal point of $EPOCHREALTIME and awk

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
readonly BENCH_DIR ROOT
readonly TARGET_RATIO=0.7
readonly TARGET_MAX_BATCH_MS=1000
readonly VERSION=20260101000000  # the migration's version: any valid UTC date-time

RUNS=${BENCH_RUNS:-3}
ROWS=${BENCH_ROWS:-2000000}
BATCH_SIZE=${BENCH_BATCH_SIZE:-10000}
DATAMIG=${DATAMIG:-}
WORK=${BENCH_WORK:-/tmp/datamig-batch-bench}

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --rows) ROWS=$2; shift ;;
        --batch-size) BATCH_SIZE=$2; shift ;;
        --datamig) DATAMIG=$2; shift ;;
        *) usage ;;
    esac
    shift
done
for number in "$RUNS" "$ROWS" "$BATCH_SIZE"; do
    [[ "$number" =~ ^[1-9][0-9]*$ ]] || usage
done

readonly CLUSTER=$WORK/pg        # the throwaway PostgreSQL cluster (removed at exit)
readonly PROJECT=$WORK/project   # the datamig project holding the one batched migration
readonly RESULTS=$WORK/results.tsv
readonly BATCHES=$WORK/batches.tsv
readonly SERVER_LOG=$WORK/server.log  # the cluster's log, kept after it is gone

# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"

# ---------------------------------------------------------------------------------------------
# Step 1. Prerequisites. The project's own script brings the build dependencies, the PostgreSQL
# server and psql, and does nothing when they are all installed.
install_prerequisites() {
    bash "$ROOT/scripts/install-deps.sh" --test
}

# Step 2. datamig as users get it (common.sh).

# ---------------------------------------------------------------------------------------------
# Step 3. The cluster: the project's throwaway one (fsync off, data in /dev/shm), stopped and
# removed on any exit. Every statement is logged with its duration and an epoch timestamp in
# milliseconds (%n): the per-batch lock times are read from there, on the server's clock (step 7).
admin_psql() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null
}

admin_url() { cat "$CLUSTER/url"; }

db_url() { echo "$(admin_url | sed 's#/postgres$##')/$1"; }

stop_cluster() {
    [[ -f "$CLUSTER/run/server.log" ]] && cp "$CLUSTER/run/server.log" "$SERVER_LOG"
    bash "$ROOT/scripts/pg-test-cluster.sh" stop "$CLUSTER" >&2
}

start_cluster() {
    bash "$ROOT/scripts/pg-test-cluster.sh" start "$CLUSTER" >&2
    trap stop_cluster EXIT
    # Bind parameters off: the history upsert would add a DETAIL line per batch, nothing useful.
    admin_psql -d "$(admin_url)" \
        -c "ALTER SYSTEM SET log_min_duration_statement = 0" \
        -c "ALTER SYSTEM SET log_parameter_max_length = 0" \
        -c "ALTER SYSTEM SET log_autovacuum_min_duration = 0" \
        -c "ALTER SYSTEM SET log_line_prefix = '%n [%p] %d '" \
        -c "SELECT pg_reload_conf()"
}

# The settings the figures depend on, for the report.
server_settings() {
    psql -X -At -F ' = ' -d "$(admin_url)" -c "SELECT name, current_setting(name) FROM pg_settings
        WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'max_wal_size', 'fsync',
                       'synchronous_commit', 'full_page_writes', 'wal_level', 'autovacuum')
        ORDER BY name"
}

# ---------------------------------------------------------------------------------------------
# Step 4. The batched migration, exactly as a user would write it (SPEC §2).
write_project() {
    rm -rf "$PROJECT"
    mkdir -p "$PROJECT/db/data_migrations/pre_sync"
    cat >"$PROJECT/db/data_migrations/pre_sync/${VERSION}_backfill_balance.sql" <<EOF
-- migrate:up batch:range key:accounts.id batch_size:$BATCH_SIZE
UPDATE accounts SET balance = balance_cents / 100.0 WHERE id >= :batch_start AND id < :batch_end;
EOF
}

# Step 5. Each measured run gets a database of its own with a freshly loaded, vacuumed table:
# an UPDATE leaves dead tuples and a table twice the size, so reusing one would make every run
# after the first start from a different physical layout. The checkpoint keeps the load's dirty
# pages out of the timed part.
fresh_database() {
    local name=$1
    admin_psql -d "$(admin_url)" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    admin_psql -d "$(db_url "$name")" \
        -c "CREATE TABLE accounts (id bigint PRIMARY KEY, balance_cents bigint NOT NULL, balance numeric)" \
        -c "INSERT INTO accounts (id, balance_cents) SELECT g, (g * 7919) % 10000000 FROM generate_series(1::bigint, $ROWS) g" \
        -c "VACUUM ANALYZE accounts" \
        -c "CHECKPOINT"
}

# Both methods must leave the same result, or the timing compares different work.
check_backfilled() {
    local name=$1 left
    left=$(psql -X -At -d "$(db_url "$name")" -c "SELECT count(*) FROM accounts WHERE balance IS DISTINCT FROM balance_cents / 100.0")
    [[ "$left" == 0 ]] || die "$name: $left rows not backfilled"
}

# ---------------------------------------------------------------------------------------------
# Step 6. The two methods, one timed command each. Wall time of the whole client process, as an
# operator would see it: for datamig that includes connecting, the history table and the lock.
# datamig runs from the project folder so that no datamig.toml of the caller's applies.
method_command() {
    local method=$1 name=$2
    case "$method" in
        batched) CMD=(env -C "$PROJECT" "$DATAMIG" --database-url "$(db_url "$name")" --dir db/data_migrations migrate) ;;
        single) CMD=(psql -X -q -v ON_ERROR_STOP=1 -d "$(db_url "$name")"
                     -c "UPDATE accounts SET balance = balance_cents / 100.0") ;;
        *) die "unknown method $method" ;;
    esac
}

# Run 0 is the warm-up: timed like the others, kept out of the results.
measure() {
    local method=$1 run=$2 name=bench_${1}_$2 start end
    fresh_database "$name"
    method_command "$method" "$name"
    if ((run == 0)); then log "warm-up: $method (not counted)"; else log "run $run/$RUNS: $method"; fi
    start=${EPOCHREALTIME/./}
    "${CMD[@]}" >"$WORK/$name.out" 2>&1 || { tail -n 5 "$WORK/$name.out" >&2; die "$method failed (run $run)"; }
    end=${EPOCHREALTIME/./}
    check_backfilled "$name"
    if ((run > 0)); then
        printf '%s\t%s\t%s\t%s\n' "$method" "$run" "$(((end - start) / 1000))" \
            "$(autovacuums_of "$name" "$start" "$end")" >>"$RESULTS"
        transactions_of "$name" "$method" "$run" >>"$BATCHES"
    fi
    admin_psql -d "$(admin_url)" -c "DROP DATABASE $name"  # frees /dev/shm; stops its autovacuum
}

# ---------------------------------------------------------------------------------------------
# Step 7. Lock time per transaction, from the server log. A row lock is taken when the UPDATE
# touches the row and released at commit, so BEGIN's start (its log time minus its duration) to
# COMMIT's end bounds every lock of the batch from above, round trips to datamig included. Only
# transactions that ran the backfill UPDATE count: a batch for datamig, the statement itself
# (autocommit) for psql. Prints: method, run, ms in the transaction, ms in the UPDATE itself.
transactions_of() {
    local name=$1 method=$2 run=$3
    awk -v db="$name" -v method="$method" -v run="$run" '
        $3 != db || $4 != "LOG:" || $5 != "duration:" { next }
        {
            pid = $2; at = $1; ms = $6
            text = $0; sub(/^[^:]*:[^:]*:[^:]*: */, "", text)  # after "LOG:  duration: X ms  statement:"
            if (text == "BEGIN") { begun[pid] = at - ms / 1000; update_ms[pid] = -1; next }
            # datamig sends BEGIN in one message with the batch'"'"'s first statement.
            if (sub(/^BEGIN; /, "", text)) { begun[pid] = at - ms / 1000; update_ms[pid] = -1 }
            if (text ~ /^UPDATE accounts /) {
                if (!(pid in begun)) begun[pid] = at - ms / 1000  # autocommit: its own transaction
                update_ms[pid] = (update_ms[pid] > 0 ? update_ms[pid] : 0) + ms
                if (method == "single") text = "COMMIT"
            }
            if (text == "COMMIT" && update_ms[pid] >= 0 && (pid in begun)) {
                printf "%s\t%s\t%.3f\t%.3f\n", method, run, (at - begun[pid]) * 1000, update_ms[pid]
            }
            if (text == "COMMIT") { delete begun[pid]; update_ms[pid] = -1 }
        }' "$CLUSTER/run/server.log"
}

# Autovacuums of the table that finished while a method ran (times in µs since the epoch): a
# worker shares the cores with the backfill, so it explains outliers.
autovacuums_of() {
    local name=$1 start=$2 end=$3
    awk -v table="\"$name.public.accounts\"" -v from="$start" -v to="$end" '
        index($0, "automatic vacuum of table " table) && $1 * 1e6 >= from && $1 * 1e6 <= to { n++ }
        END { print n + 0 }' "$CLUSTER/run/server.log"
}

# ---------------------------------------------------------------------------------------------
# Step 8. Report. Medians over runs; throughput = rows / median seconds; the ratio is batched
# throughput over single-UPDATE throughput. Lock times pool the batches of every run.
median_ms() {
    awk -F '\t' -v m="$1" '$1 == m { print $3 }' "$RESULTS" | sort -n |
        awk '{ v[NR] = $1 } END { printf "%.0f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# max, p99 (nearest rank), median and count of the per-transaction times of a method.
lock_stats() {
    awk -F '\t' -v m="$1" '$1 == m { print $3 }' "$BATCHES" | sort -n |
        awk '{ v[NR] = $1 } END { p = int(NR * 0.99); if (p < NR * 0.99) p++
                                  printf "%.0f %.0f %.0f %d\n", v[NR], v[p], v[int((NR + 1) / 2)], NR }'
}

# Means per batched run, in ms: wall time, time in batch transactions, time in the UPDATEs.
batched_breakdown() {
    awk -F '\t' 'FNR == NR { if ($1 == "batched") { wall += $3; runs++ } next }
                 $1 == "batched" { tx += $3; upd += $4 }
                 END { printf "%.0f %.0f %.0f\n", wall / runs, tx / runs, upd / runs }' "$RESULTS" "$BATCHES"
}

report() {
    local batched_ms single_ms single_lock ratio max p99 p50 count wall_ms tx_ms update_ms verdict_ratio verdict_lock
    batched_ms=$(median_ms batched)
    single_ms=$(median_ms single)
    ratio=$(awk -v b="$batched_ms" -v s="$single_ms" 'BEGIN { printf "%.2f", s / b }')
    read -r max p99 p50 count < <(lock_stats batched)
    read -r wall_ms tx_ms update_ms < <(batched_breakdown)
    read -r single_lock _ < <(lock_stats single)
    verdict_ratio=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "met" : "missed" }')
    verdict_lock=$( ((max <= TARGET_MAX_BATCH_MS)) && echo met || echo missed)
    rate() { awk -v rows="$ROWS" -v ms="$1" 'BEGIN { printf "%.0f", rows / (ms / 1000) }'; }
    seconds() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

    cat <<EOF
### Batched backfill: $ROWS rows, batch_size $BATCH_SIZE, $RUNS runs (medians)

| method | wall s (median) | rows/s | runs, s | longest lock hold |
|---|---:|---:|---|---:|
| datamig \`batch:range\` | $(seconds "$batched_ms") | $(rate "$batched_ms") | $(runs_of batched) | ${max} ms (one batch) |
| one \`UPDATE\` (psql) | $(seconds "$single_ms") | $(rate "$single_ms") | $(runs_of single) | ${single_lock} ms (all rows) |

* Ratio batched / single throughput: **$ratio** (target ≥ $TARGET_RATIO: **$verdict_ratio**); per run,
  pairing the two methods that ran back to back: $(paired_ratios).
* Batch transaction time, BEGIN to COMMIT, $count batches: max **$max ms**, p99 **$p99 ms**,
  median $p50 ms (target max ≤ $TARGET_MAX_BATCH_MS ms: **$verdict_lock**).
* Where a batched run's time goes (mean of $(seconds "$wall_ms") s per run): $(seconds "$update_ms") s in the UPDATEs;
  $(seconds "$((tx_ms - update_ms))") s in the rest of the batch transactions (BEGIN, history upsert,
  COMMIT, round trips); $(seconds "$((wall_ms - tx_ms))") s outside them (next-key queries,
  connecting, history table, runner lock).
* Autovacuums of \`accounts\` finished during the runs, batched / single: $(autovacuum_total batched) / $(autovacuum_total single).

Machine: $(machine), load average $LOAD_BEFORE before and $(load_average) after the bench.
Server: $(server_settings | paste -sd ';' | sed 's/;/; /g').
EOF
}

runs_of() { awk -F '\t' -v m="$1" '$1 == m { printf "%s%.2f", sep, $3 / 1000; sep = ", " }' "$RESULTS"; }

# single ms / batched ms of each run: load from elsewhere on the machine hits a pair alike.
paired_ratios() {
    awk -F '\t' '{ ms[$1, $2] = $3; if ($2 > runs) runs = $2 }
        END { for (r = 1; r <= runs; r++) printf "%s%.2f", (r > 1 ? ", " : ""), ms["single", r] / ms["batched", r] }' "$RESULTS"
}

autovacuum_total() { awk -F '\t' -v m="$1" '$1 == m { n += $4 } END { print n + 0 }' "$RESULTS"; }

# ---------------------------------------------------------------------------------------------
main() {
    install_prerequisites
    build_datamig build-batch-bench
    mkdir -p "$WORK"
    : >"$RESULTS"
    : >"$BATCHES"
    start_cluster
    write_project
    local run first second
    LOAD_BEFORE=$(load_average)
    # A fresh cluster is slower for its first big write (new WAL segment files, untouched shared
    # memory): one untimed run of each method absorbs that. Then alternating order, so neither
    # method always runs first.
    measure single 0
    measure batched 0
    for ((run = 1; run <= RUNS; run++)); do
        if ((run % 2)); then first=batched second=single; else first=single second=batched; fi
        measure "$first" "$run"
        measure "$second" "$run"
    done
    report | tee "$WORK/report.md"
    log "report in $WORK/report.md, per-batch times in $BATCHES, server log in $SERVER_LOG"
}

main
