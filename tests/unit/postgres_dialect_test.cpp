#include "datamig/adapters/postgres_dialect.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "datamig/database.hpp"
#include "support/test_databases.hpp"

TEST_CASE("postgres dialect: the runner lock key is documented SHA-256 prefix of the table", "[postgres_dialect]") {
    // docs/postgresql.md: ('x' || left(encode(sha256('datamig:data_migrations'), 'hex'), 16))::bit(64)::bigint
    CHECK(datamig::advisory_lock_key("data_migrations") == 3220016636480146297);
    CHECK(datamig::advisory_lock_key("public.data_migrations") != datamig::advisory_lock_key("data_migrations"));
}

TEST_CASE("postgres dialect: timestamps are written as timestamptz and read as ISO-8601 UTC", "[postgres_dialect]") {
    const datamig::PostgresDialect dialect;
    CHECK(dialect.write(datamig::ColumnType::timestamp, datamig::Blank::null, 3) == "NULLIF($3, '')::timestamptz");
    CHECK(dialect.write(datamig::ColumnType::text, datamig::Blank::kept, 3) == "$3");
    CHECK(dialect.read(datamig::ColumnType::timestamp, "\"at\"").find("AT TIME ZONE 'UTC'") != std::string::npos);
    CHECK(dialect.type_name(datamig::ColumnType::integer) == "bigint");
    CHECK(dialect.chains_writes());
}

TEST_CASE("postgres dialect: an empty text is stored as the adapter before the store did", "[postgres_dialect]") {
    const datamig::PostgresDialect dialect;
    CHECK(dialect.write(datamig::ColumnType::text, datamig::Blank::null, 2) == "NULLIF($2, '')");
    CHECK(dialect.write(datamig::ColumnType::text, datamig::Blank::unknown, 5) == "$5");  // the operator: ''
    CHECK(dialect.write(datamig::ColumnType::timestamp, datamig::Blank::now, 4) ==
          "COALESCE(NULLIF($4, '')::timestamptz, pg_catalog.now())");
}

TEST_CASE("postgres dialect: a standby lags when its replay is over the limit or 16 MB of WAL behind",
          "[postgres_dialect]") {
    const datamig::PostgresDialect dialect;
    CHECK(dialect.replica_lag_query(std::chrono::milliseconds(1500)) ==
          "SELECT COALESCE(bool_or(replay_lag > interval '1500 milliseconds' OR "
          "pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn) > 16777216), false) "
          "FROM pg_catalog.pg_stat_replication");
}

TEST_CASE("postgres dialect: a transaction's statement limit is SET LOCAL, within what the server takes",
          "[postgres_dialect]") {
    const datamig::PostgresDialect dialect;
    CHECK(dialect.transaction_statement_limit(std::chrono::milliseconds(200)) == "SET LOCAL statement_timeout = 200");
    CHECK(dialect.transaction_statement_limit(std::chrono::hours(24 * 30)) ==
          "SET LOCAL statement_timeout = 2147483647");
}

TEST_CASE("postgres dialect: every session starts as datamig in UTC, with the statement timeout given",
          "[postgres_dialect]") {
    CHECK(datamig::session_settings(std::nullopt, std::nullopt, 130000) ==
          "SET application_name = 'datamig'; SET TimeZone = 'UTC'");
    CHECK(datamig::session_settings(std::chrono::milliseconds(30000), std::nullopt, 150004) ==
          "SET application_name = 'datamig'; SET TimeZone = 'UTC'; SET statement_timeout = 30000; "
          "SET client_connection_check_interval = '1s'");
}

TEST_CASE("postgres dialect: a --schemas target's session searches its schema only, quoted", "[postgres_dialect]") {
    CHECK(datamig::session_settings(std::nullopt, std::string("tenant_\"odd"), 130000) ==
          "SET application_name = 'datamig'; SET TimeZone = 'UTC'; SET search_path TO \"tenant_\"\"odd\"");
}

namespace {

// A new database of the test cluster; nullopt, with a warning, when there is none.
std::optional<std::string> fresh_postgres_url() {
    const auto kinds = datamig::test::available_database_kinds();
    if (std::find(kinds.begin(), kinds.end(), "postgres") == kinds.end()) {
        WARN("no PostgreSQL test cluster (DATAMIG_TEST_PG_URL_FILE); test skipped");
        return std::nullopt;
    }
    return datamig::test::fresh_database_url("postgres");
}

}  // namespace

TEST_CASE("postgres dialect: a key's facts come from the catalog, names as SQL resolves them",
          "[postgres_dialect][postgres]") {
    const auto fresh = fresh_postgres_url();
    if (!fresh) return;
    const std::string& url = *fresh;
    datamig::test::execute_sql(url,
                               "CREATE SCHEMA app; CREATE TABLE app.items (id bigint PRIMARY KEY, uid uuid, "
                               "n smallint, p integer, q integer, code text);"
                               "CREATE INDEX ON app.items (p) WHERE p > 0; CREATE INDEX ON app.items (n, q);"
                               "CREATE INDEX ON app.items (code); CREATE TABLE plain (id integer);");
    datamig::ConnectOptions options;
    options.read_only = true;
    auto database = datamig::connect(url, options);
    const auto facts = [&](const std::string& table, const std::string& column) {
        const datamig::KeyFacts got = database->key_facts(table, column);
        return std::vector<bool>{got.table_exists, got.column_exists, got.integer, got.indexed};
    };
    using Facts = std::vector<bool>;
    CHECK(facts("app.items", "id") == Facts{true, true, true, true});
    CHECK(facts("APP.Items", "ID") == Facts{true, true, true, true});  // unquoted names fold
    CHECK(facts("app.items", "uid") == Facts{true, true, false, false});
    CHECK(facts("app.items", "n") == Facts{true, true, true, true});
    CHECK(facts("app.items", "p") == Facts{true, true, true, false});  // a partial index does not count
    CHECK(facts("app.items", "q") == Facts{true, true, true, false});  // q is second in its index
    CHECK(facts("app.items", "code") == Facts{true, true, false, true});
    CHECK(facts("plain", "id") == Facts{true, true, true, false});
    CHECK(facts("items", "id") == Facts{false, false, false, false});  // not on the search_path
    CHECK(facts("plain", "nope") == Facts{true, false, false, false});
    CHECK(facts("nowhere.plain", "id") == Facts{false, false, false, false});
}

TEST_CASE("postgres dialect: a table's estimate comes from the catalog, names as SQL resolves them",
          "[postgres_dialect][postgres]") {
    const auto fresh = fresh_postgres_url();
    if (!fresh) return;
    const std::string& url = *fresh;
    datamig::test::execute_sql(
        url,
        "CREATE SCHEMA \"App\"; CREATE TABLE \"App\".\"Big Items\" (id integer);"
        "INSERT INTO \"App\".\"Big Items\" SELECT generate_series(1, 3000);"
        "CREATE TABLE parts (id integer) PARTITION BY RANGE (id);"
        "CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (1000);"
        "CREATE TABLE parts_2 PARTITION OF parts FOR VALUES FROM (1000) TO (5000);"
        "INSERT INTO parts SELECT generate_series(1, 2999);"
        "CREATE TABLE never_analyzed (id integer); CREATE VIEW part_view AS SELECT * FROM parts;");
    // Apart: an ANALYZE in the transaction that wrote the rows has the statistics count them twice.
    datamig::test::execute_sql(url, "ANALYZE \"App\".\"Big Items\"; ANALYZE parts_1; ANALYZE parts_2;");
    datamig::ConnectOptions options;
    options.read_only = true;
    auto database = datamig::connect(url, options);
    CHECK(database->estimated_rows("App", "Big Items") == 3000);
    CHECK_FALSE(database->estimated_rows("app", "Big Items"));  // a quoted name keeps its case
    CHECK(database->estimated_rows("", "parts") == 2999);       // the partitions' sum
    CHECK(database->estimated_rows("public", "parts_2") == 2000);
    CHECK(database->estimated_rows("", "never_analyzed") == 0);  // reltuples -1, nothing written
    CHECK_FALSE(database->estimated_rows("", "part_view"));
    CHECK_FALSE(database->estimated_rows("", "Big Items"));  // not on the search_path
    CHECK_FALSE(database->estimated_rows("nowhere", "parts"));
}

namespace {

// How long until replicas_lag_behind(1s) says `lagging`, polled every 50 ms; nullopt after 15 s.
std::optional<std::chrono::milliseconds> until_lagging_is(datamig::Database& database, bool lagging) {
    const auto started = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - started < std::chrono::seconds(15)) {
        if (database.replicas_lag_behind(std::chrono::seconds(1)) == lagging) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
}

}  // namespace

// Needs the test cluster's standby; [standby] tests take turns with the others that pause it.
TEST_CASE("postgres dialect: a standby whose replay is paused lags, and stops lagging once resumed",
          "[postgres_dialect][standby]") {
    const auto standby = datamig::test::standby_url();
    if (standby.empty()) {
        WARN("no streaming standby in the PostgreSQL test cluster (DATAMIG_TEST_PG_URL_FILE); test skipped");
        return;
    }
    const auto url = datamig::test::fresh_database_url("postgres");
    auto database = datamig::connect(url, {});
    REQUIRE(until_lagging_is(*database, false));

    datamig::test::ReplayPaused paused(standby);
    datamig::test::execute_sql(url, "CREATE TABLE written (id int); INSERT INTO written VALUES (1);");
    // replay_lag counts from the write: over 1 s after a second, seen at the standby's next
    // report (every second, wal_receiver_status_interval).
    const auto seen = until_lagging_is(*database, true);
    REQUIRE(seen);
    INFO("the lag was seen " << seen->count() << " ms after the write");  // 1.2 s when last measured
    CHECK(*seen < std::chrono::seconds(5));

    paused.resume();
    // The primary shows the last replay_lag until the standby reported twice that it has caught up.
    const auto cleared = until_lagging_is(*database, false);
    REQUIRE(cleared);
    INFO("and was gone " << cleared->count() << " ms after the resume");  // 1.0 s when last measured
    CHECK(*cleared < std::chrono::seconds(5));
}
