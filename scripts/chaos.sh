#!/usr/bin/env bash
# Fault trials for exactly-once (SPEC §3, §6), run on demand, never by CI.
#
#   scripts/chaos.sh [--adapter sqlite|postgres] [--signal KILL|TERM] [--trials N]
#                    [--binary PATH] [--seed N] [--keep] [--verbose]
#
# Each trial makes a fresh project with a mixed tree (transactional SQL, transaction:false SQL,
# an exec migration with a side effect, a batch:range backfill of 3000 rows), starts
# `datamig migrate`, sends the signal after a random delay, then runs `migrate` again until it
# is done, settling `running` rows the way an operator would: look whether the migration's side
# effect happened, then `datamig resolve VERSION --applied` or `--pending`. Then it checks:
#   * every side effect happened exactly once, and every backfill row was updated exactly once;
#   * every migration has exactly one history row, `applied`, and became applied exactly once
#     in the events (one `apply`, or one `resolve` as applied), with one `resolve` event per
#     operator decision; the backfill's rows_affected is 3000;
#   * after SIGKILL, the exec program did not outlive the runner (nobody would record its work).
# Prints one summary line and exits 1 on any violation (the trial folders are then kept).
#
# Without --binary it builds build/datamig (cmake --build build). For --adapter postgres it
# starts its own cluster (scripts/pg-test-cluster.sh) and stops it at the end. Needs the sqlite3
# and psql clients (scripts/install-deps.sh --test --demo).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
readonly ROOT
readonly ITEMS=3000
readonly ORPHAN_GRACE=0.2    # seconds a killed runner's exec program may take to die
readonly SETTLE_TIMEOUT=30   # seconds to wait for leftovers of a killed run to finish
readonly RUN_TIMEOUT=120     # seconds any one datamig run may take

adapter=sqlite
signal=TERM
trials=50
binary=
keep=false
verbose=false
work=
cluster=

usage() {
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

die() {
    echo "chaos: $*" >&2
    exit 2
}

parse_arguments() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --adapter) adapter=${2:?}; shift 2 ;;
            --signal) signal=${2:?}; shift 2 ;;
            --trials) trials=${2:?}; shift 2 ;;
            --binary) binary=${2:?}; shift 2 ;;
            --seed) RANDOM=${2:?}; shift 2 ;;
            --keep) keep=true; shift ;;
            --verbose) verbose=true; shift ;;
            *) usage ;;
        esac
    done
    [[ "$adapter" == sqlite || "$adapter" == postgres ]] || usage
    [[ "$signal" == KILL || "$signal" == TERM ]] || usage
    [[ "$trials" =~ ^[1-9][0-9]*$ ]] || usage
}

# The binary under test: --binary, or build/datamig built (or brought up to date) here.
find_binary() {
    if [[ -n "$binary" ]]; then
        [[ -x "$binary" ]] || die "$binary is not an executable"
        binary=$(realpath "$binary")
        return
    fi
    if [[ ! -f "$ROOT/build/CMakeCache.txt" ]]; then
        cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    cmake --build "$ROOT/build" --target datamig >/dev/null
    binary=$ROOT/build/datamig
}

require_clients() {
    local client=sqlite3
    [[ "$adapter" == postgres ]] && client=psql
    command -v "$client" >/dev/null || die "needs the $client client (scripts/install-deps.sh --test --demo)"
}

# Stops the cluster and removes the trial folders (kept with --keep or after a violation).
clean_up() {
    if [[ -n "$cluster" ]]; then
        "$ROOT/scripts/pg-test-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
    fi
    if [[ -n "$work" && "$keep" == false ]]; then
        rm -rf -- "$work"
    fi
}

start_cluster() {
    cluster=$work/pg
    "$ROOT/scripts/pg-test-cluster.sh" start "$cluster" >/dev/null
}

# --- One project -------------------------------------------------------------------------

# Runs SQL on the trial's database and prints the rows, columns separated by '|'.
sql() {
    if [[ "$adapter" == sqlite ]]; then
        sqlite3 -cmd ".timeout 10000" "${url#sqlite:}" "$1"
    else
        psql -X -q -At -v ON_ERROR_STOP=1 "$url" -c "$1"
    fi
}

# A statement that takes a little while (about 0.2 s), so the signal can land inside it.
slow_statement() {
    if [[ "$adapter" == sqlite ]]; then
        echo "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000) SELECT count(*) FROM n;"
    else
        echo "SELECT pg_sleep(0.2);"
    fi
}

# A fresh database for the trial, named after its token; sets the global `url`.
make_database() {
    if [[ "$adapter" == sqlite ]]; then
        url="sqlite:$project/$token.sqlite3"
    else
        local admin
        admin=$(cat "$cluster/url")
        psql -X -q "$admin" -c "CREATE DATABASE $token" >/dev/null
        url="${admin%/*}/$token"
    fi
}

drop_database() {
    [[ "$adapter" == postgres ]] || return 0
    psql -X -q "$(cat "$cluster/url")" -c "DROP DATABASE IF EXISTS $token WITH (FORCE)" >/dev/null
}

# The mixed tree; each migration leaves one row in `effects` (the backfill: n = 1 on each item).
write_project() {
    local slow migrations=$project/db/data_migrations
    slow=$(slow_statement)
    mkdir -p "$migrations/pre_sync" "$migrations/post_sync"
    sql "CREATE TABLE effects (name TEXT NOT NULL);
         CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);
         WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $ITEMS)
         INSERT INTO items (id) SELECT i FROM seq;" >/dev/null
    printf -- '-- migrate:up\nINSERT INTO effects (name) VALUES (%s);\n%s\n' "'tx'" "$slow" \
        >"$migrations/pre_sync/20260101000001_tx_effect.sql"
    printf -- '-- migrate:up transaction:false\n%s\nINSERT INTO effects (name) VALUES (%s);\n%s\n' "$slow" "'notx'" "$slow" \
        >"$migrations/pre_sync/20260101000002_notx_effect.sql"
    printf -- '-- migrate:up batch:range key:items.id batch_size:200 pause:20ms\n%s\n' \
        "UPDATE items SET n = n + 1 WHERE id >= :batch_start AND id < :batch_end;" \
        >"$migrations/pre_sync/20260101000003_backfill.sql"
    # Some work, the side effect, more work. On SIGTERM it stops waiting and finishes what it
    # started, as a well-behaved job does; a client killed mid-statement makes it fail. The
    # work after the effect outlasts ORPHAN_GRACE, so a program left running is seen.
    cat >"$migrations/post_sync/20260101000004_exec_effect.sh" <<'EOF'
#!/bin/sh
trap 'echo "stop received: finishing"' TERM INT
sleep 0.3
case "$DATABASE_URL" in
  sqlite:*) sqlite3 -cmd ".timeout 10000" "${DATABASE_URL#sqlite:}" "INSERT INTO effects (name) VALUES ('exec');" ;;
  *) psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "INSERT INTO effects (name) VALUES ('exec');" ;;
esac || exit 1
sleep 0.5
exit 0
EOF
    chmod +x "$migrations/post_sync/20260101000004_exec_effect.sh"
}

# datamig in the project, bounded in time; the log is appended to the project's run.log.
run_datamig() {
    (cd "$project" && DATABASE_URL=$url timeout "$RUN_TIMEOUT" "$binary" "$@" >>run.log 2>&1)
}

now_ms() { date +%s%3N; }

# --- One trial ---------------------------------------------------------------------------

violations_of_trial=()

violation() { violations_of_trial+=("$*"); }

# Whether a process of this trial is still alive: one whose command line names the trial's
# token (and after it $1, if given: the exec migration's file name, say). The bracket keeps
# grep from finding its own command line.
trial_process_alive() {
    local regex="[${token:0:1}]${token:1}([^0-9]|$)"
    [[ -z "$1" ]] || regex="[${token:0:1}]${token:1}[^0-9].*$1"
    grep -q -a -E -e "$regex" /proc/[0-9]*/cmdline 2>/dev/null
}

# What an operator does after a crash before deciding anything: let leftovers finish (a client
# a killed program had started, a server session finishing the statement it had been sent).
wait_for_leftovers() {
    local deadline=$((SECONDS + SETTLE_TIMEOUT))
    while trial_process_alive '' && ((SECONDS < deadline)); do sleep 0.1; done
    [[ "$adapter" == postgres ]] || return 0
    while (($(sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") > 0)) \
        && ((SECONDS < deadline)); do
        sleep 0.1
    done
}

# Starts migrate, signals it after `delay_ms`, and waits for it; sets `first_exit`.
interrupted_run() {
    local delay_ms=$1 pid
    (cd "$project" && DATABASE_URL=$url exec "$binary" migrate >>run.log 2>&1) &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -s "$signal" "$pid" 2>/dev/null || true
    first_exit=0
    wait "$pid" 2>/dev/null || first_exit=$?  # bash's own "Killed" notice is no news here
    case "$first_exit" in
        0) ;;                                  # done before the signal
        137) [[ "$signal" == KILL ]] || violation "first run exited 137 without SIGKILL" ;;
        143) [[ "$signal" == TERM ]] || violation "first run exited 143 without SIGTERM" ;;
        *) violation "first run exited $first_exit" ;;
    esac
    if [[ "$first_exit" == 137 ]]; then
        sleep "$ORPHAN_GRACE"
        ! trial_process_alive exec_effect || violation "the exec program outlived the killed runner"
    fi
}

# Settles each `running` row except the backfill (which resumes by itself): applied when the
# migration's side effect is there, pending when it is not. Counts the decisions in `resolves`.
resolve_running_rows() {
    local version name effect decision
    wait_for_leftovers
    while IFS='|' read -r version name; do
        [[ -n "$version" && "$name" != backfill ]] || continue
        effect=${name%_effect}
        decision=--pending
        (($(sql "SELECT count(*) FROM effects WHERE name = '$effect'") > 0)) && decision=--applied
        run_datamig resolve "$version" "$decision" || violation "resolve $version $decision failed"
        resolves=$((resolves + 1))
        if [[ "$decision" == --applied ]]; then
            resolved_applied=$((resolved_applied + 1))
        else
            resolved_pending=$((resolved_pending + 1))
        fi
    done <<<"$(sql "SELECT version, name FROM data_migrations WHERE status = 'running'")"
}

# Reruns migrate until it exits 0, settling interrupted migrations in between.
run_to_completion() {
    local attempt rc
    for attempt in 1 2 3 4 5 6; do
        rc=0
        run_datamig migrate || rc=$?
        case "$rc" in
            0) return 0 ;;
            4) resolve_running_rows ;;
            *) violation "rerun $attempt exited $rc"; return 0 ;;
        esac
    done
    violation "not done after $attempt reruns"
}

# The invariants of the header, each broken one recorded as a violation.
check_invariants() {
    local name count bad
    for name in tx notx exec; do
        count=$(sql "SELECT count(*) FROM effects WHERE name = '$name'")
        [[ "$count" == 1 ]] || violation "side effect '$name' happened $count times"
    done
    count=$(sql "SELECT count(*) FROM items WHERE n <> 1")
    [[ "$count" == 0 ]] || violation "$count backfill rows not updated exactly once"
    count=$(sql "SELECT count(*) FROM data_migrations WHERE status = 'applied'")
    [[ "$count" == 4 ]] || violation "$count applied history rows, not 4"
    count=$(sql "SELECT count(*) FROM data_migrations")
    [[ "$count" == 4 ]] || violation "$count history rows, not 4"
    bad=$(sql "SELECT h.version FROM data_migrations h WHERE (SELECT count(*) FROM data_migrations_events e
                 WHERE e.version = h.version AND (e.event = 'apply'
                   OR (e.event = 'resolve' AND e.error = 'resolved as applied'))) <> 1")
    [[ -z "$bad" ]] || violation "not applied exactly once in the events: $(echo "$bad" | tr '\n' ' ')"
    count=$(sql "SELECT count(*) FROM data_migrations_events WHERE event = 'resolve'")
    [[ "$count" == "$resolves" ]] || violation "$count resolve events for $resolves decisions"
    count=$(sql "SELECT rows_affected FROM data_migrations WHERE name = 'backfill'")
    [[ "$count" == "$ITEMS" ]] || violation "backfill recorded $count rows, not $ITEMS"
}

# One trial; `span_ms` bounds the random delay of the signal.
run_trial() {
    local trial=$1 span_ms=$2 delay_ms
    violations_of_trial=()
    resolves=0
    # In the command line of every process of the trial: project folder, database file or name.
    token=chaos_$$_$trial
    project=$work/$token
    mkdir -p "$project"
    make_database
    write_project
    delay_ms=$(((RANDOM * 32768 + RANDOM) % span_ms))
    interrupted_run "$delay_ms"
    run_to_completion
    check_invariants
    if ((${#violations_of_trial[@]} > 0)); then
        violated=$((violated + 1))
        printf 'chaos: trial %d (signal after %d ms, first exit %s): %s; see %s\n' "$trial" "$delay_ms" \
            "$first_exit" "$(IFS=';'; echo "${violations_of_trial[*]}")" "$project" >&2
        keep=true
    else
        consistent=$((consistent + 1))
        drop_database
        rm -rf -- "$project"
    fi
    [[ "$first_exit" == 0 ]] && finished_first=$((finished_first + 1))
    [[ "$verbose" == false ]] || echo "chaos: trial $trial: signal after $delay_ms ms, first exit $first_exit," \
        "$resolves resolves, ${#violations_of_trial[@]} violations" >&2
    return 0
}

# How long an undisturbed migrate of the tree takes: the signal lands anywhere inside it.
calibrate() {
    local start
    token=chaos_$$_calibration
    project=$work/$token
    mkdir -p "$project"
    make_database
    write_project
    start=$(now_ms)
    run_datamig migrate || die "an undisturbed migrate failed; see $project/run.log"
    echo $(($(now_ms) - start))
    drop_database
}

main() {
    parse_arguments "$@"
    require_clients
    find_binary
    work=$(mktemp -d /tmp/datamig-chaos.XXXXXX)
    trap clean_up EXIT
    [[ "$adapter" == postgres ]] && start_cluster
    local duration span trial
    duration=$(calibrate)
    span=$((duration * 11 / 10 + 1))
    consistent=0 violated=0 finished_first=0 resolved_applied=0 resolved_pending=0
    for ((trial = 1; trial <= trials; trial++)); do run_trial "$trial" "$span"; done
    echo "chaos: $adapter $signal $trials trials: $consistent consistent, $violated violations" \
         "(an undisturbed run takes ${duration} ms; $finished_first finished before the signal;" \
         "operator resolves: $resolved_applied applied, $resolved_pending pending)"
    ((violated == 0)) || { echo "chaos: trial folders kept in $work" >&2; exit 1; }
}

main "$@"
