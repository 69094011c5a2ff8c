#!/usr/bin/env bash
# Many targets (SPEC §4, many databases): datamig --schemas at several --jobs against the loop a
# team writes today, dbmate once per tenant schema, on PostgreSQL.
# Run on demand, never in CI's timed path. See docs/benchmarks.md, "Many targets".
#
#   bench/many_targets.sh                500 tenant schemas x 5 migrations, 5 runs; growth 50 / 500 / 2,000
#   bench/many_targets.sh --quick        50 tenants, 1 run, no growth (a smoke test of the bench)
#   bench/many_targets.sh --memory-cluster   the test suite's cluster (/dev/shm, fsync off) instead
#                                            of a production-like one (on disk, fsync on)
#   bench/many_targets.sh --rtt 1        the tools reach the server through bench/latency_proxy.py,
#                                        which delays each direction by half of 1 ms: a database on
#                                        another machine (0: direct, the default)
#   bench/many_targets.sh --runs 3 --tenants 500 --jobs "1 4 8" --growth "50 500 2000"
#                         --growth-runs 3 --dbmate-up-to 500 --datamig build/datamig
#
# Same knobs from the environment: BENCH_RUNS, BENCH_TENANTS, BENCH_JOBS, BENCH_GROWTH,
# BENCH_GROWTH_RUNS, BENCH_DBMATE_UP_TO (largest tenant count the dbmate loop runs at), DATAMIG
# (binary; default: a Release build in build-many-bench), BENCH_WORK (scratch folder, default
# /tmp/datamig-many-bench), BENCH_DURABLE (1: production-like server, the default; 0: as
# --memory-cluster), BENCH_RTT (as --rtt). Prints a Markdown report and keeps it in $BENCH_WORK/report.md.
# Targets (issue #18, item 3), at --tenants: --jobs 8 at least 3x as fast as --jobs 1 and 5x as
# fast as the dbmate loop; datamig --jobs 8 peaks below 64 MiB RSS. Exit status 0 whether or not
# they are met; 1 when the bench breaks.
set -euo pipefail
export LC_ALL=C  # "." as the decimal point of awk

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
readonly BENCH_DIR ROOT
readonly MIGRATIONS=5
readonly TARGET_SPEEDUP_JOBS=3     # --jobs 8 against --jobs 1
readonly TARGET_SPEEDUP_DBMATE=5   # --jobs 8 against the dbmate loop
readonly TARGET_RSS_MIB=64         # datamig --jobs 8, peak RSS

RUNS=${BENCH_RUNS:-5}
TENANTS=${BENCH_TENANTS:-500}
JOBS=${BENCH_JOBS:-"1 4 8"}
GROWTH=${BENCH_GROWTH:-"50 500 2000"}
GROWTH_RUNS=${BENCH_GROWTH_RUNS:-3}
DBMATE_UP_TO=${BENCH_DBMATE_UP_TO:-500}
DATAMIG=${DATAMIG:-}
WORK=${BENCH_WORK:-/tmp/datamig-many-bench}
DURABLE=${BENCH_DURABLE:-1}
RTT=${BENCH_RTT:-0}
MEASURED_RTT=0

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) RUNS=1 TENANTS=50 GROWTH="" ;;
        --memory-cluster) DURABLE=0 ;;
        --rtt) RTT=$2; shift ;;
        --runs) RUNS=$2; shift ;;
        --tenants) TENANTS=$2; shift ;;
        --jobs) JOBS=$2; shift ;;
        --growth) GROWTH=$2; shift ;;
        --growth-runs) GROWTH_RUNS=$2; shift ;;
        --dbmate-up-to) DBMATE_UP_TO=$2; shift ;;
        --datamig) DATAMIG=$2; shift ;;
        *) usage ;;
    esac
    shift
done
for number in "$RUNS" "$TENANTS" "$GROWTH_RUNS" $JOBS $GROWTH; do
    [[ "$number" =~ ^[1-9][0-9]*$ ]] || usage
done
[[ "$DBMATE_UP_TO" =~ ^[0-9]+$ ]] || usage
[[ "$RTT" =~ ^[0-9]+([.][0-9]+)?$ ]] || usage
((TENANTS <= 9999)) || { echo "--tenants: at most 9999 (tenant_0001..tenant_9999)" >&2; exit 2; }

readonly CLUSTER=$WORK/pg          # the throwaway PostgreSQL cluster (removed at exit)
readonly PROJECT=$WORK/project     # db/data_migrations/pre_sync for datamig, flat/ for dbmate
readonly RESULTS=$WORK/results.tsv # one line per measured run: tenants, variant, run, ms, KiB
readonly LOGS=$WORK/logs

# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"

# ---------------------------------------------------------------------------------------------
# Step 1. Prerequisites. The project's own script brings the build dependencies, the PostgreSQL
# server and psql; npm fetches dbmate's Linux binary into bench/.tools (nothing global).
install_prerequisites() {
    bash "$ROOT/scripts/install-deps.sh" --test
}

# Step 2. datamig as users get it (common.sh). The stopwatch of bench/run.sh times every variant:
# wall time from its spawn to wait4(), and wait4's peak RSS (what `/usr/bin/time -f %M` reports).
build_stopwatch() {
    cc -std=c11 -O2 -Wall -Wextra -Werror -o "$WORK/stopwatch" "$BENCH_DIR/stopwatch.c"
}

# ---------------------------------------------------------------------------------------------
# Step 3. The migrations: five small data migrations of a tenant's own tables, unqualified names
# resolved through the search_path. Byte-identical files for both tools (dbmate's markers are
# datamig's), in pre_sync/ for datamig and hard-linked into flat/ for dbmate.
write_migration() {
    local version=$1 name=$2 up=$3 down=$4
    local file=$PROJECT/db/data_migrations/pre_sync/${version}_$name.sql
    printf -- '-- migrate:up\n%s\n\n-- migrate:down\n%s\n' "$up" "$down" >"$file"
    ln "$file" "$PROJECT/flat/"
}

write_project() {
    rm -rf "$PROJECT"
    mkdir -p "$PROJECT/db/data_migrations/pre_sync" "$PROJECT/flat"
    write_migration 20260101000001 normalize_emails \
        "UPDATE accounts SET email = lower(email) WHERE email <> lower(email);" \
        "SELECT 1;"
    write_migration 20260101000002 rename_premium_plan \
        "UPDATE accounts SET plan = 'pro' WHERE plan = 'premium';" \
        "UPDATE accounts SET plan = 'premium' WHERE plan = 'pro';"
    write_migration 20260101000003 backfill_balance \
        "UPDATE accounts SET balance = balance_cents / 100.0 WHERE balance IS NULL;" \
        "UPDATE accounts SET balance = NULL;"
    write_migration 20260101000004 default_settings \
        "INSERT INTO settings (key, value) VALUES ('locale', 'en'), ('digest', 'weekly') ON CONFLICT (key) DO NOTHING;" \
        "DELETE FROM settings WHERE key IN ('locale', 'digest');"
    write_migration 20260101000005 drop_legacy_export \
        "DELETE FROM settings WHERE key = 'legacy_export';" \
        "INSERT INTO settings (key, value) VALUES ('legacy_export', 'on');"
}

# ---------------------------------------------------------------------------------------------
# Step 4. Databases. One template database per tenant count (tenant_0001 .. tenant_NNNN, each with
# a few rows in `accounts` and `settings`), built once; every measured run gets a fresh copy
# (CREATE DATABASE ... TEMPLATE), dropped after it, so every variant starts from the same schemas.
admin_psql() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null
}

admin_url() { cat "$CLUSTER/url"; }

# Both tools get the same URL; the cluster has no TLS, and dbmate's driver would insist on it.
db_url() { echo "$(admin_url | sed 's#/postgres$##')/$1?sslmode=disable"; }

# What the measured tools connect to: the server, or with --rtt the latency proxy in front of it.
client_url() {
    if [[ "$RTT" == 0 ]]; then db_url "$1"; else db_url "$1" | sed "s#:$SERVER_PORT/#:$PROXY_PORT/#"; fi
}

start_cluster() {
    PG_TEST_STANDBY=0 PG_TEST_DURABLE=$DURABLE bash "$ROOT/scripts/pg-test-cluster.sh" start "$CLUSTER" >&2
    trap 'stop_proxy; bash "$ROOT/scripts/pg-test-cluster.sh" stop "$CLUSTER" >&2' EXIT
    SERVER_PORT=$(admin_url | sed 's#.*:\([0-9]*\)/[^/]*$#\1#')
    [[ "$RTT" == 0 ]] && return
    PROXY_PORT=$((SERVER_PORT + 1000))
    python3 "$BENCH_DIR/latency_proxy.py" "$PROXY_PORT" "$SERVER_PORT" "$RTT" &
    PROXY_PID=$!
    sleep 1
    kill -0 "$PROXY_PID" 2>/dev/null || die "the latency proxy did not start"
    MEASURED_RTT=$(measure_rtt)
    log "latency proxy on 127.0.0.1:$PROXY_PORT: --rtt $RTT ms, measured $MEASURED_RTT ms per round trip"
}

stop_proxy() {
    if [[ -n "${PROXY_PID:-}" ]]; then kill "$PROXY_PID" 2>/dev/null || true; fi
}

# The round trip through the proxy as a client sees it: 200 queries on one connection, less the
# same without the proxy, per query.
measure_rtt() {
    local queries=200 through direct
    through=$(query_seconds "$(client_url postgres)" "$queries")
    direct=$(query_seconds "$(db_url postgres)" "$queries")
    awk -v a="$through" -v b="$direct" -v n="$queries" 'BEGIN { printf "%.2f", (a - b) * 1000 / n }'
}

query_seconds() {
    local start end
    start=$EPOCHREALTIME
    yes 'SELECT 1;' | head -n "$2" | psql -X -q -At -d "$1" -f - >/dev/null
    end=$EPOCHREALTIME
    awk -v s="$start" -v e="$end" 'BEGIN { print e - s }'
}

# The tenants' tables, and bench_tenants_done(history): how many tenants hold all five history
# rows and all five migrations' effects (public is not a tenant: --schemas 'tenant\_%' skips it).
tenant_sql() {
    local count=$1 i schema
    cat <<'EOF'
CREATE FUNCTION public.bench_tenants_done(history text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    schema text;
    applied bigint;
    done boolean;
    total bigint := 0;
BEGIN
    FOR schema IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\_%' LOOP
        EXECUTE format('SELECT count(*) FROM %I.%I', schema, history) INTO applied;
        EXECUTE format('SELECT EXISTS (SELECT FROM %1$I.settings WHERE key = ''locale'')
                           AND NOT EXISTS (SELECT FROM %1$I.settings WHERE key = ''legacy_export'')
                           AND NOT EXISTS (SELECT FROM %1$I.accounts
                                           WHERE balance IS NULL OR plan = ''premium'' OR email <> lower(email))',
                       schema) INTO done;
        IF applied = 5 AND done THEN total := total + 1; END IF;
    END LOOP;
    RETURN total;
END $$;
EOF
    for ((i = 1; i <= count; i++)); do
        schema=$(printf 'tenant_%04d' "$i")
        # Autocommit, one statement at a time: thousands of new tables in one transaction would
        # run out of the lock table (max_locks_per_transaction).
        cat <<EOF
CREATE SCHEMA $schema;
CREATE TABLE $schema.accounts (id integer PRIMARY KEY, email text NOT NULL, plan text NOT NULL, balance_cents bigint NOT NULL, balance numeric);
INSERT INTO $schema.accounts (id, email, plan, balance_cents) VALUES (1, 'Ann@T$i.example', 'premium', 1250), (2, 'bob@t$i.example', 'free', 0), (3, 'Cy@T$i.example', 'premium', 99900), (4, 'di@t$i.example', 'team', 4200);
CREATE TABLE $schema.settings (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO $schema.settings (key, value) VALUES ('theme', 'light'), ('legacy_export', 'on');
EOF
    done
}

template_of() { echo "tenants_$1"; }

make_template() {
    local count=$1 name
    name=$(template_of "$count")
    log "building template database $name: $count tenant schemas"
    admin_psql -d "$(admin_url)" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    tenant_sql "$count" | admin_psql -d "$(db_url "$name")" -f -
    admin_psql -d "$(db_url "$name")" -c "VACUUM ANALYZE"
}

fresh_database() {
    local name=$1 count=$2
    admin_psql -d "$(admin_url)" -c "DROP DATABASE IF EXISTS $name" \
        -c "CREATE DATABASE $name TEMPLATE $(template_of "$count")" -c "CHECKPOINT"
}

check_migrated() {
    local name=$1 count=$2 history=$3 migrated
    migrated=$(psql -X -At -d "$(db_url "$name")" -c "SELECT public.bench_tenants_done('$history')")
    [[ "$migrated" == "$count" ]] || die "$name: only $migrated of $count tenants migrated ($history)"
}

# ---------------------------------------------------------------------------------------------
# Step 5. The variants. datamig-jN: one process, `--schemas 'tenant\_%' --jobs N migrate`, run from
# the project folder (no datamig.toml of the caller's applies). dbmate: the loop a team writes
# today, one dbmate per schema with search_path in the URL (dbmate then keeps schema_migrations in
# that schema), the list of schemas read with psql inside the timed script.
write_dbmate_loop() {
    cat >"$WORK/dbmate_loop.sh" <<EOF
#!/usr/bin/env bash
# dbmate once per tenant schema: what a team runs today. \$1: the database URL (with a query part).
set -euo pipefail
url=\$1
for schema in \$(psql -X -At -d "\$url" -c "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1"); do
    "$DBMATE" --url "\$url&search_path=\$schema" --migrations-dir "$PROJECT/flat" --no-dump-schema migrate
done
EOF
}

variant_command() {
    local variant=$1 name=$2
    case "$variant" in
        datamig-j*) CMD=(env -C "$PROJECT" "$DATAMIG" --database-url "$(client_url "$name")" --dir db/data_migrations
                         --schemas 'tenant\_%' --jobs "${variant#datamig-j}" migrate) ;;
        dbmate) CMD=(bash "$WORK/dbmate_loop.sh" "$(client_url "$name")") ;;
        *) die "unknown variant $variant" ;;
    esac
}

history_of() { [[ "$1" == dbmate ]] && echo schema_migrations || echo data_migrations; }

measure() {
    local count=$1 variant=$2 run=$3 name=bench_many us rss
    local log=$LOGS/$count-$variant-$run.log
    fresh_database "$name" "$count"
    variant_command "$variant" "$name"
    log "$count tenants, run $run: $variant"
    if ! "$WORK/stopwatch" "$WORK/measured" "${CMD[@]}" >/dev/null 2>"$log"; then
        tail -n 5 "$log" >&2
        die "$variant failed on $count tenants (run $run): ${CMD[*]}"
    fi
    read -r us rss <"$WORK/measured"
    check_migrated "$name" "$count" "$(history_of "$variant")"
    printf '%s\t%s\t%s\t%.1f\t%s\n' "$count" "$variant" "$run" "$(awk -v us="$us" 'BEGIN { print us / 1000 }')" \
        "$rss" >>"$RESULTS"
    admin_psql -d "$(admin_url)" -c "DROP DATABASE $name"  # frees /dev/shm
}

# The variants take turns: run r starts with the r-th, so none always runs first.
run_size() {
    local count=$1 runs=$2; shift 2
    local variants=("$@") n=$# run i
    make_template "$count"
    for ((run = 1; run <= runs; run++)); do
        for ((i = 0; i < n; i++)); do measure "$count" "${variants[(i + run) % n]}" "$run"; done
    done
    admin_psql -d "$(admin_url)" -c "DROP DATABASE $(template_of "$count")"
}

# ---------------------------------------------------------------------------------------------
# Step 6. Report: median, min and max wall time, ms per tenant, median peak RSS, per tenant count
# and variant; the targets as ratios of medians (and of the fastest runs) at --tenants.
summarize() {
    awk -F'\t' "$AWK_STATS"'
        {
            key = $1 "\t" $2
            if (!(key in ms)) { order[++n] = key; runs[key] = 0 }
            ms[key] = ms[key] " " $4; rss[key] = rss[key] " " $5; runs[key]++
        }
        END {
            for (i = 1; i <= n; i++) {
                k = order[i]
                printf "%s\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\n", k, median(ms[k]), extreme(ms[k], "min"), extreme(ms[k], "max"),
                    median(rss[k]), extreme(rss[k], "max"), runs[k]
            }
        }' "$RESULTS" | sort -t$'\t' -k1,1n -k2,2
}

label_of() {
    case "$1" in
        datamig-j*) echo "datamig \`--schemas --jobs ${1#datamig-j}\`" ;;
        dbmate) echo "dbmate loop (one process per schema)" ;;
    esac
}

# slow ms / fast ms of each run at --tenants, e.g. "2.51, 3.10, 2.87".
paired_ratios() {
    awk -F'\t' -v tenants="$TENANTS" -v slow="$1" -v fast="$2" '
        $1 == tenants { ms[$2, $3] = $4; if ($3 > runs) runs = $3 }
        END { for (r = 1; r <= runs; r++) if ((slow, r) in ms && (fast, r) in ms) {
                  printf "%s%.2f", sep, ms[slow, r] / ms[fast, r]; sep = ", " } }' "$RESULTS"
}

report() {
    local summary=$WORK/summary.tsv count variant median low high rss rss_max runs
    summarize >"$summary"
    echo "### Many targets: tenant schemas × $MIGRATIONS migrations, PostgreSQL"
    echo
    echo "| tenants | variant | runs | median s | min–max s | ms per tenant (median) | peak RSS MiB (median / max) |"
    echo "|---:|---|---:|---:|---:|---:|---:|"
    while IFS=$'\t' read -r count variant median low high rss rss_max runs; do
        printf '| %s | %s | %s | %.2f | %.2f–%.2f | %.1f | %.1f / %.1f |\n' "$count" "$(label_of "$variant")" "$runs" \
            "$(awk -v v="$median" 'BEGIN { print v / 1000 }')" "$(awk -v v="$low" 'BEGIN { print v / 1000 }')" \
            "$(awk -v v="$high" 'BEGIN { print v / 1000 }')" "$(awk -v v="$median" -v c="$count" 'BEGIN { print v / c }')" \
            "$(awk -v v="$rss" 'BEGIN { print v / 1024 }')" "$(awk -v v="$rss_max" 'BEGIN { print v / 1024 }')"
    done <"$summary"
    echo
    awk -F'\t' -v tenants="$TENANTS" -v jobs_target="$TARGET_SPEEDUP_JOBS" -v dbmate_target="$TARGET_SPEEDUP_DBMATE" \
        -v rss_target="$TARGET_RSS_MIB" '
        $1 == tenants { ms[$2] = $3; low[$2] = $4; rss[$2] = $7 }
        function speedup(label, slow, fast, limit,   r, verdict) {
            if (!(slow in ms) || !(fast in ms)) return
            r = ms[slow] / ms[fast]
            verdict = limit == "" ? "| (none) | |" : ("| ≥ " limit "× | " (r >= limit + 0 ? "met" : "missed") " |")
            printf "| %s | %.2f× | %.2f× %s\n", label, r, low[slow] / low[fast], verdict
        }
        END {
            print "| at " tenants " tenants | of medians | of fastest runs | target | result |"
            print "|---|---:|---:|---|---|"
            speedup("speed-up, `--jobs 8` over `--jobs 1`", "datamig-j1", "datamig-j8", jobs_target)
            speedup("speed-up, `--jobs 4` over `--jobs 1`", "datamig-j1", "datamig-j4", "")
            speedup("speed-up, `--jobs 8` over the dbmate loop", "dbmate", "datamig-j8", dbmate_target)
            speedup("speed-up, `--jobs 1` over the dbmate loop", "dbmate", "datamig-j1", "")
            if ("datamig-j8" in rss) {
                mib = rss["datamig-j8"] / 1024
                printf "| peak RSS, datamig `--jobs 8` (largest run) | %.1f MiB | | < %s MiB | %s |\n", mib, rss_target,
                    (mib < rss_target + 0 ? "met" : "missed")
            }
        }' "$summary"
    echo
    echo "Per run at $TENANTS tenants, the variants of one run back to back (load from elsewhere hits them alike):" \
        "\`--jobs 1\` / \`--jobs 8\` $(paired_ratios datamig-j1 datamig-j8); dbmate loop / \`--jobs 8\`" \
        "$(paired_ratios dbmate datamig-j8)."
    echo
    echo "Machine: $(machine); load average $LOAD_BEFORE before and $(load_average) after the bench."
    echo "PostgreSQL $(psql -X -At -d "$(admin_url)" -c 'SHOW server_version'), the project's throwaway cluster" \
        "($(if [[ $DURABLE == 1 ]]; then echo "data on disk, fsync and synchronous_commit on"; else echo "data in /dev/shm, fsync off"; fi), max_connections $(psql -X -At -d "$(admin_url)" -c 'SHOW max_connections')," \
        "TCP to 127.0.0.1$(if [[ "$RTT" != 0 ]]; then echo " through the latency proxy, --rtt $RTT ms (measured $MEASURED_RTT ms per round trip)"; fi), SCRAM-SHA-256); $("$DBMATE" --version); datamig: $DATAMIG ($DATAMIG_SOURCE)."
    echo "Runs per variant: $RUNS at $TENANTS tenants${GROWTH:+, $GROWTH_RUNS at the other tenant counts of the growth ($GROWTH)};" \
        "the dbmate loop up to $DBMATE_UP_TO tenants."
}

# ---------------------------------------------------------------------------------------------
main() {
    install_prerequisites
    install_dbmate
    build_datamig build-many-bench
    mkdir -p "$WORK" "$LOGS"
    : >"$RESULTS"
    build_stopwatch
    write_project
    write_dbmate_loop
    start_cluster
    cd "$WORK"
    LOAD_BEFORE=$(load_average)

    # At --tenants: every --jobs and the dbmate loop.
    local variants=() jobs count sizes=()
    for jobs in $JOBS; do variants+=("datamig-j$jobs"); done
    variants+=(dbmate)
    run_size "$TENANTS" "$RUNS" "${variants[@]}"

    # Growth: --jobs 1 and 8 (those of $JOBS) at the other sizes, and the loop up to --dbmate-up-to.
    for count in $GROWTH; do [[ "$count" != "$TENANTS" ]] && sizes+=("$count"); done
    for count in "${sizes[@]}"; do
        variants=()
        for jobs in $JOBS; do [[ "$jobs" == 1 || "$jobs" == 8 ]] && variants+=("datamig-j$jobs"); done
        ((count <= DBMATE_UP_TO)) && variants+=(dbmate)
        run_size "$count" "$GROWTH_RUNS" "${variants[@]}"
    done

    report | tee "$WORK/report.md"
    log "report in $WORK/report.md, every run in $RESULTS, each run's stderr in $LOGS"
}

main
