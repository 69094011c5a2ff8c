#!/usr/bin/env bash
# datamig against dbmate and floors (SQL clients, cat, bench/probes), on PostgreSQL and SQLite.
# Run on demand, never in CI's timed path. See docs/benchmarks.md.
#
#   bench/run.sh                 full suite: 1,000 / 10,000 migrations, 5 runs each
#   bench/run.sh --quick         100 / 1,000 migrations, 1 run (a smoke test of the suite)
#   bench/run.sh --runs 3 --apply 500 --many 5000 --db sqlite --datamig build/datamig
#
# Same knobs from the environment: BENCH_RUNS, BENCH_APPLY, BENCH_MANY, BENCH_DBS ("sqlite
# postgres"), DATAMIG (binary; default: a Release build in build-bench), BENCH_WORK (scratch
# folder, default bench/.work). Prints a Markdown report and keeps it in $BENCH_WORK/report.md.
set -euo pipefail
export LC_ALL=C  # "." as the decimal point of $EPOCHREALTIME and awk

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
readonly BENCH_DIR ROOT

RUNS=${BENCH_RUNS:-5}
APPLY_COUNT=${BENCH_APPLY:-1000}
MANY_COUNT=${BENCH_MANY:-10000}
DATABASES=${BENCH_DBS:-"sqlite postgres"}
DATAMIG=${DATAMIG:-}
WORK=${BENCH_WORK:-$BENCH_DIR/.work}
APPLY_TREE=  # $WORK/trees/apply-<count>: the migrations of apply and no-op migrate
MANY_TREE=  # $WORK/trees/many-<count>: the migrations of status and check
LOAD_BEFORE=  # load average when the measurements started: other work on the machine skews them
RESULTS=  # $WORK/results.tsv: one line per measured run (workload, database, tool, run, ms, KiB)
PG_CLUSTER=  # $WORK/pg: the throwaway PostgreSQL cluster
PROBES=  # $WORK/probes: the floor probes of bench/probes, built by this script

usage() {
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) RUNS=1 APPLY_COUNT=100 MANY_COUNT=1000 ;;
        --runs) RUNS=$2; shift ;;
        --apply) APPLY_COUNT=$2; shift ;;
        --many) MANY_COUNT=$2; shift ;;
        --db) DATABASES=${2/all/sqlite postgres}; shift ;;
        --datamig) DATAMIG=$2; shift ;;
        *) usage ;;
    esac
    shift
done

# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"

# ---------------------------------------------------------------------------------------------
# Step 1. Install what the suite needs. The project's own script brings the build dependencies,
# PostgreSQL and the sqlite3 client; npm fetches dbmate.
install_prerequisites() {
    bash "$ROOT/scripts/install-deps.sh" --test --demo
}

# Step 2. dbmate (install_dbmate, common.sh).

# Step 3. datamig as users get it (common.sh).

# Step 3b. The floor probes: tiny C programs that do only what a tool cannot avoid, to show how
# much of a target's budget that alone takes (bench/probes/*.c say which floor each measures).
# Built from source into the work folder with the system cc, so no binary is committed;
# -O2 because they stand for the least any tool could do.
build_probes() {
    log "building the floor probes in $PROBES"
    mkdir -p "$PROBES"
    local cflags=(-std=c11 -O2 -Wall -Wextra -Werror)
    # shellcheck disable=SC2046  # pkg-config prints several words on purpose
    cc "${cflags[@]}" $(pkg-config --cflags libpq) -o "$PROBES/pg_connect" "$BENCH_DIR/probes/pg_connect.c" \
        $(pkg-config --libs libpq)
    cc "${cflags[@]}" -o "$PROBES/read_tree" "$BENCH_DIR/probes/read_tree.c"
    # Not a floor: the stopwatch every measurement runs under.
    cc "${cflags[@]}" -o "$PROBES/stopwatch" "$BENCH_DIR/stopwatch.c"
}

# ---------------------------------------------------------------------------------------------
# Step 4. Workloads. One list of files per size, written once into a flat folder (dbmate) and
# hard-linked into phase folders, first half pre_sync, second half post_sync (datamig): both
# tools read byte-identical files in the same global version order. floor.sql holds the same
# statements with their history inserts, one transaction each, for psql -f / sqlite3.

# Version i: 2024-01-01 00:00:00 UTC plus i seconds, a valid 14-digit UTC date-time.
version_of() {
    local i=$1
    printf '202401%02d%02d%02d%02d' $((1 + i / 86400)) $((i % 86400 / 3600)) $((i % 3600 / 60)) $((i % 60))
}

generate_tree() {
    local tree=$1 count=$2 i version file phase
    [[ -f "$tree/.complete" ]] && return
    rm -rf "$tree"
    mkdir -p "$tree/flat" "$tree/phased/pre_sync" "$tree/phased/post_sync"
    for ((i = 1; i <= count; i++)); do
        version=$(version_of "$i")
        file=${version}_bench_$i.sql
        printf -- '-- migrate:up\nINSERT INTO bench_t (v) VALUES (%d);\n\n-- migrate:down\nDELETE FROM bench_t WHERE v = %d;\n' \
            "$i" "$i" >"$tree/flat/$file"
        if ((i <= count / 2)); then phase=pre_sync; else phase=post_sync; fi
        ln "$tree/flat/$file" "$tree/phased/$phase/$file"
        printf "BEGIN;\nINSERT INTO bench_t (v) VALUES (%d);\nINSERT INTO floor_migrations (version) VALUES ('%s');\nCOMMIT;\n" \
            "$i" "$version" >>"$tree/floor.sql"
    done
    touch "$tree/.complete"
}

# ---------------------------------------------------------------------------------------------
# Step 5. Databases. PostgreSQL: the project's throwaway cluster (fsync off, data in /dev/shm),
# one database per run. SQLite: one file per run, on the disk under $WORK.
start_postgres() {
    bash "$ROOT/scripts/pg-test-cluster.sh" start "$PG_CLUSTER" >&2
    trap 'bash "$ROOT/scripts/pg-test-cluster.sh" stop "$PG_CLUSTER" >&2' EXIT
}

pg_admin_url() { cat "$PG_CLUSTER/url"; }

# The URL both tools get; the cluster has no TLS, and dbmate's driver would insist on it.
db_url() {
    local kind=$1 name=$2
    case "$kind" in
        postgres) echo "$(pg_admin_url | sed 's#/postgres$##')/$name?sslmode=disable" ;;
        sqlite) echo "sqlite:$WORK/sqlite/$name.db" ;;
    esac
}

# Set-up SQL only; no NOTICE from DROP DATABASE IF EXISTS. The tools never get these options.
admin_psql() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null
}

run_sql() {
    local kind=$1 name=$2 sql=$3
    case "$kind" in
        postgres) admin_psql -d "$(db_url postgres "$name")" -c "$sql" ;;
        sqlite) sqlite3 -bail "$WORK/sqlite/$name.db" "$sql" ;;
    esac
}

drop_db() {
    local kind=$1 name=$2
    case "$kind" in
        postgres) admin_psql -d "$(pg_admin_url)" -c "DROP DATABASE IF EXISTS $name" ;;
        sqlite) rm -f "$WORK/sqlite/$name.db" "$WORK/sqlite/$name.db.lock" ;;
    esac
}

# An empty database holding only the table the migrations write to (and the floor's history).
fresh_db() {
    local kind=$1 name=$2
    drop_db "$kind" "$name"
    [[ "$kind" == postgres ]] && admin_psql -d "$(pg_admin_url)" -c "CREATE DATABASE $name"
    run_sql "$kind" "$name" "CREATE TABLE bench_t (v integer NOT NULL); CREATE TABLE floor_migrations (version text PRIMARY KEY);"
}

# ---------------------------------------------------------------------------------------------
# Step 6. Tools and measurement. tool_command fills CMD with what a tool runs for an action, so
# every workload below is written once for all tools.
tool_command() {
    local tool=$1 action=$2 kind=$3 name=$4 tree=$5
    local url
    url=$(db_url "$kind" "$name")
    case "$tool/$action" in
        datamig/check) CMD=("$DATAMIG" --dir "$tree/phased" check) ;;
        datamig/*) CMD=("$DATAMIG" --database-url "$url" --dir "$tree/phased" "$action") ;;
        dbmate/*) CMD=("$DBMATE" --url "$url" --migrations-dir "$tree/flat" --no-dump-schema "$action") ;;
        floor/migrate)
            if [[ "$kind" == postgres ]]; then
                CMD=(psql -X -q -v ON_ERROR_STOP=1 -d "$url" -f "$tree/floor.sql")
            else
                CMD=(sqlite3 -bail "$WORK/sqlite/$name.db" ".read $tree/floor.sql")
            fi ;;
        cat/check) CMD=(cat "$tree"/phased/pre_sync/*.sql "$tree"/phased/post_sync/*.sql) ;;
        # The probes' "migrate" is what prepare_applied_db runs; for the tools it fills the database.
        pg_connect/migrate) CMD=("$PROBES/pg_connect" "$url") ;;
        read_tree/status) CMD=("$PROBES/read_tree" "$tree/phased" pre_sync post_sync) ;;
        stat_tree/status) CMD=("$PROBES/read_tree" --stat "$tree/phased" pre_sync post_sync) ;;
        *) die "no command for $tool $action" ;;
    esac
}

# Runs CMD once (stdout discarded, stderr kept in a log for failures); records wall time (ms)
# and peak RSS (KiB). bench/stopwatch.c times every tool alike, from its spawn to its exit.
measure() {
    local workload=$1 kind=$2 tool=$3 run=$4
    local log=$WORK/logs/$workload-$kind-$tool-$run.log us rss
    if ! "$PROBES/stopwatch" "$WORK/measured" "${CMD[@]}" >/dev/null 2>"$log"; then
        tail -n 5 "$log" >&2
        die "$tool failed in $workload on $kind (run $run): ${CMD[*]}"
    fi
    read -r us rss <"$WORK/measured"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$kind" "$tool" "$run" \
        "$(awk -v us="$us" 'BEGIN { printf "%.1f", us / 1000 }')" "$rss" >>"$RESULTS"
}

# Applies every migration of a tree untimed: the history a no-op migrate or status starts from.
# The probes apply nothing: read_tree needs no database; pg_connect gets an empty one and
# connects once untimed, as the tools' first connection to theirs is in this untimed step.
prepare_applied_db() {
    local tool=$1 kind=$2 name=$3 tree=$4
    [[ "$tool" == read_tree || "$tool" == stat_tree ]] && return
    [[ -f "$WORK/prepared-$kind-$name" ]] && return
    if [[ "$tool" == pg_connect ]]; then
        log "preparing $name ($kind): an empty database for pg_connect, connected to once, untimed"
    else
        log "preparing $name ($kind): $tool applies every migration of $(basename "$tree"), untimed"
    fi
    fresh_db "$kind" "$name"
    tool_command "$tool" migrate "$kind" "$name" "$tree"
    "${CMD[@]}" >/dev/null 2>"$WORK/logs/prepare-$kind-$name.log" || die "$tool could not prepare $name"
    touch "$WORK/prepared-$kind-$name"
}

# Why each workload: apply = a first deploy or a backlog, and the cost per migration;
# noop = what every deploy pays when nothing is pending; status = reading a long history;
# check = CI on every pull request, with no database. The probes run as tools in the workload
# whose floor they are: pg_connect in noop (PostgreSQL), read_tree and stat_tree in status.
workload_apply() {
    local tool=$1 kind=$2 run=$3 name=apply_${1}_$3
    fresh_db "$kind" "$name"
    tool_command "$tool" migrate "$kind" "$name" "$APPLY_TREE"
    measure apply "$kind" "$tool" "$run"
    drop_db "$kind" "$name"
}

workload_noop() {
    local tool=$1 kind=$2 run=$3 name=noop_$1
    prepare_applied_db "$tool" "$kind" "$name" "$APPLY_TREE"
    tool_command "$tool" migrate "$kind" "$name" "$APPLY_TREE"
    measure noop "$kind" "$tool" "$run"
}

workload_status() {
    local tool=$1 kind=$2 run=$3 name=status_$1
    prepare_applied_db "$tool" "$kind" "$name" "$MANY_TREE"
    tool_command "$tool" status "$kind" "$name" "$MANY_TREE"
    measure status "$kind" "$tool" "$run"
}

workload_check() {
    local tool=$1 kind=$2 run=$3
    tool_command "$tool" check "$kind" - "$MANY_TREE"
    measure check "$kind" "$tool" "$run"
}

# The tools take turns: run r starts with the r-th tool, so neither always runs first (warm
# caches, server state) and drift over the session spreads over all of them.
rotated() {
    local run=$1; shift
    local tools=("$@") n=$# i
    for ((i = 0; i < n; i++)); do echo "${tools[(i + run) % n]}"; done
}

run_workload() {
    local workload=$1 kind=$2; shift 2
    local run tool
    log "$workload on $kind: $RUNS run(s) of $*"
    for ((run = 1; run <= RUNS; run++)); do
        for tool in $(rotated "$run" "$@"); do "workload_$workload" "$tool" "$kind" "$run"; done
    done
}

# ---------------------------------------------------------------------------------------------
# Step 7. Report: medians per workload, database and tool, then the issue's targets as ratios.

# One line per workload, database and tool: median, min and max wall time (ms), median peak RSS (KiB).
summarize() {
    awk -F'\t' "$AWK_STATS"'
        {
            key = $1 "\t" $2 "\t" $3
            if (!(key in ms)) order[++n] = key
            ms[key] = ms[key] " " $5; rss[key] = rss[key] " " $6
        }
        END {
            for (i = 1; i <= n; i++) {
                k = order[i]
                printf "%s\t%.1f\t%.1f\t%.1f\t%d\n", k, median(ms[k]), extreme(ms[k], "min"), extreme(ms[k], "max"), median(rss[k])
            }
        }
    ' "$RESULTS"
}

machine_summary() {
    echo "- CPU: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1); memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
    local pg='(not run)'
    [[ -f "$PG_CLUSTER/url" ]] && pg=$(psql -X -At -d "$(pg_admin_url)" -c 'SHOW server_version')
    echo "- PostgreSQL $pg, SQLite $(sqlite3 --version | cut -d' ' -f1), $("$DBMATE" --version), datamig: $DATAMIG ($DATAMIG_SOURCE)"
    echo "- load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $RUNS run(s) per tool, alternating; apply/no-op: $APPLY_COUNT migrations; status/check: $MANY_COUNT"
}

# The table of medians, then the issue's targets as ratios of medians measured in this run.
report() {
    local summary=$WORK/summary.tsv
    summarize >"$summary"
    machine_summary
    echo
    awk -F'\t' -v apply="$APPLY_COUNT" -v many="$MANY_COUNT" '
        { ms[$1, $2, $3] = $4; low[$1, $2, $3] = $5; high[$1, $2, $3] = $6; rss[$1, $2, $3] = $7 }
        # The verdict uses medians; the ratio of the fastest runs shows how much load on the
        # machine moved them.
        function ratio(w, k, a, b) { return ((w, k, a) in ms && (w, k, b) in ms && ms[w, k, b] > 0) ? ms[w, k, a] / ms[w, k, b] : -1 }
        function target(label, w, k, a, b, limit,   r) {
            r = ratio(w, k, a, b)
            if (r < 0) return
            printf "| %s | %.2f | %.2f | %s | %s |\n", label, r, low[w, k, a] / low[w, k, b], limit == "" ? "(none)" : "≤ " limit,
                limit == "" ? "" : r <= limit + 0 ? "met" : "missed"
        }
        END {
            nw = split("apply noop status check", workloads, " ")
            nk = split("postgres sqlite -", kinds, " ")
            nt = split("datamig dbmate floor pg_connect read_tree stat_tree cat", tools, " ")
            title["apply"] = "apply " apply " migrations"; title["noop"] = "migrate, nothing pending (" apply " applied)"
            title["status"] = "status, " many " applied"; title["check"] = "check, " many " files"
            name["postgres"] = "PostgreSQL"; name["sqlite"] = "SQLite"; name["-"] = "none"
            print "| workload | database | tool | median ms | min–max ms | peak RSS MiB |"
            print "|---|---|---|---:|---:|---:|"
            for (i = 1; i <= nw; i++) for (m = 1; m <= nk; m++) for (j = 1; j <= nt; j++) {
                w = workloads[i]; k = kinds[m]; t = tools[j]
                if (!((w, k, t) in ms)) continue
                label = t == "floor" ? (k == "postgres" ? "psql -f (floor)" : "sqlite3 (floor)") : t
                if (t == "pg_connect") label = "pg_connect (floor: connect + SELECT 1)"
                if (t == "read_tree") label = "read_tree (floor: list + read files)"
                if (t == "stat_tree") label = "read_tree --stat (floor: list + stat)"
                printf "| %s | %s | %s | %.1f | %.1f–%.1f | %.1f |\n", title[w], name[k], label, ms[w, k, t], low[w, k, t], high[w, k, t], rss[w, k, t] / 1024
            }
            print ""
            print "| ratio | of medians | of fastest runs | target | result |"
            print "|---|---:|---:|---|---|"
            for (m = 1; m <= nk; m++) {
                k = kinds[m]
                if (k == "-") continue
                target("apply, " name[k] ": datamig / dbmate", "apply", k, "datamig", "dbmate", "0.5")
                target("no-op migrate, " name[k] ": datamig / dbmate", "noop", k, "datamig", "dbmate", "0.5")
                # No target: how much of the 0.5 budget the floor alone takes.
                target("no-op migrate, " name[k] ": connect floor / dbmate", "noop", k, "pg_connect", "dbmate", "")
                target("status, " name[k] ": datamig / dbmate", "status", k, "datamig", "dbmate", "0.5")
                target("status, " name[k] ": read floor / dbmate", "status", k, "read_tree", "dbmate", "")
                target("status, " name[k] ": stat floor / dbmate", "status", k, "stat_tree", "dbmate", "")
                target("apply, " name[k] ": datamig / floor", "apply", k, "datamig", "floor", k == "postgres" ? "1.2" : "")
            }
            target("check: datamig / cat", "check", "-", "datamig", "cat", "3")
        }
    ' "$summary"
}

# ---------------------------------------------------------------------------------------------
main() {
    install_prerequisites
    install_dbmate
    build_datamig build-bench
    mkdir -p "$WORK/logs" "$WORK/sqlite" "$WORK/trees"
    WORK=$(realpath "$WORK") RESULTS=$WORK/results.tsv PG_CLUSTER=$WORK/pg PROBES=$WORK/probes
    cd "$WORK"  # no datamig.toml or .env from the caller's folder leaks into a run
    rm -f "$RESULTS" "$WORK"/prepared-*
    build_probes
    log "generating workloads: $APPLY_COUNT and $MANY_COUNT migrations"
    APPLY_TREE=$WORK/trees/apply-$APPLY_COUNT MANY_TREE=$WORK/trees/many-$MANY_COUNT
    generate_tree "$APPLY_TREE" "$APPLY_COUNT"
    generate_tree "$MANY_TREE" "$MANY_COUNT"
    [[ " $DATABASES " == *" postgres "* ]] && start_postgres
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

    local kind
    for kind in $DATABASES; do
        [[ "$kind" == sqlite || "$kind" == postgres ]] || die "unknown database: $kind"
        rm -f "$WORK"/sqlite/*
        run_workload apply "$kind" datamig dbmate floor
        # The connect floor only where connecting costs: SQLite opens a file.
        if [[ "$kind" == postgres ]]; then
            run_workload noop "$kind" datamig dbmate pg_connect
        else
            run_workload noop "$kind" datamig dbmate
        fi
        # The read floors touch no database, but run in each status workload: a ratio is only
        # worth something between runs taken side by side.
        run_workload status "$kind" datamig dbmate read_tree stat_tree
    done
    run_workload check - datamig cat

    report | tee "$WORK/report.md"
}

main
