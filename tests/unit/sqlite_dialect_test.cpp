#include "datamig/adapters/sqlite_dialect.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "datamig/database.hpp"
#include "support/test_databases.hpp"

TEST_CASE("sqlite dialect: timestamps are ISO-8601 text, parameters ?n", "[sqlite_dialect]") {
    const datamig::SqliteDialect dialect;
    CHECK(dialect.type_name(datamig::ColumnType::timestamp) == "TEXT");
    CHECK(dialect.type_name(datamig::ColumnType::serial_key) == "INTEGER PRIMARY KEY AUTOINCREMENT");
    CHECK(dialect.read(datamig::ColumnType::timestamp, "\"at\"") == "\"at\"");
    CHECK_FALSE(dialect.chains_writes());
    CHECK_FALSE(dialect.replica_lag_query(std::chrono::seconds(1)));  // no standbys to ask
}

TEST_CASE("sqlite dialect: an empty text is stored as the adapter before the store did", "[sqlite_dialect]") {
    const datamig::SqliteDialect dialect;
    CHECK(dialect.write(datamig::ColumnType::text, datamig::Blank::kept, 1) == "?1");
    CHECK(dialect.write(datamig::ColumnType::timestamp, datamig::Blank::null, 6) == "NULLIF(?6, '')");
    CHECK(dialect.write(datamig::ColumnType::text, datamig::Blank::unknown, 9) == "NULLIF(?9, '')");  // the operator
    CHECK(dialect.write(datamig::ColumnType::timestamp, datamig::Blank::now, 4) == "?4");
}

TEST_CASE("sqlite dialect: a key's facts come from the pragma functions, names as SQL resolves them",
          "[sqlite_dialect]") {
    const auto url = datamig::test::fresh_database_url("sqlite");
    datamig::test::execute_sql(url,
                               "CREATE TABLE items (id INTEGER PRIMARY KEY, uid TEXT, n BIGINT, p INT, q int);"
                               "CREATE INDEX items_n ON items (n); CREATE INDEX items_p ON items (p) WHERE p > 0;"
                               "CREATE INDEX items_q_n ON items (n, q);"
                               "CREATE TABLE pairs (a INTEGER, b INTEGER, PRIMARY KEY (a, b));");
    datamig::ConnectOptions options;
    options.read_only = true;
    auto database = datamig::connect(url, options);
    const auto facts = [&](const std::string& table, const std::string& column) {
        const datamig::KeyFacts got = database->key_facts(table, column);
        return std::vector<bool>{got.table_exists, got.column_exists, got.integer, got.indexed};
    };
    using Facts = std::vector<bool>;
    CHECK(facts("items", "id") == Facts{true, true, true, true});      // the rowid alias
    CHECK(facts("items", "uid") == Facts{true, true, false, false});   // TEXT, no index
    CHECK(facts("items", "n") == Facts{true, true, true, true});       // BIGINT has INT affinity
    CHECK(facts("Main.ITEMS", "N") == Facts{true, true, true, true});  // names fold as SQLite's do
    CHECK(facts("items", "p") == Facts{true, true, true, false});      // a partial index does not count
    CHECK(facts("items", "q") == Facts{true, true, true, false});      // q is second in its index
    CHECK(facts("pairs", "a") == Facts{true, true, true, true});       // the primary key's index
    CHECK(facts("pairs", "b") == Facts{true, true, true, false});      // not a rowid alias
    CHECK(facts("items", "nope") == Facts{true, false, false, false});
    CHECK(facts("nope", "id") == Facts{false, false, false, false});
    CHECK(facts("elsewhere.items", "id") == Facts{false, false, false, false});  // no such schema
}
