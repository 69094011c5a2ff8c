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

TEST_CASE("sqlite dialect: a table's estimate is sqlite_stat1's where ANALYZE ran, else its largest rowid",
          "[sqlite_dialect]") {
    const auto url = datamig::test::fresh_database_url("sqlite");
    datamig::test::execute_sql(
        url,
        "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT);"
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 500) "
        "INSERT INTO items SELECT n, 'x' FROM g;"
        "INSERT INTO items VALUES (90000, 'an id chosen elsewhere');"
        "CREATE TABLE \"Odd \"\"Name\"\"\" (v TEXT); INSERT INTO \"Odd \"\"Name\"\"\" VALUES ('a'), ('b');"
        "CREATE TABLE pairs (a INTEGER, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID;"
        "INSERT INTO pairs VALUES (1, 1), (1, 2), (2, 1);"
        "CREATE TABLE empty (v TEXT); CREATE VIEW item_view AS SELECT * FROM items;");
    datamig::ConnectOptions options;
    options.read_only = true;
    {
        auto database = datamig::connect(url, options);
        CHECK(database->estimated_rows("", "items") == 90000);  // max(rowid): an overestimate here
        CHECK(database->estimated_rows("main", "ITEMS") == 90000);
        CHECK(database->estimated_rows("", "odd \"name\"") == 2);  // names compare without case
        CHECK_FALSE(database->estimated_rows("", "pairs"));        // WITHOUT ROWID, never analyzed
        CHECK_FALSE(database->estimated_rows("", "empty"));
        CHECK_FALSE(database->estimated_rows("", "item_view"));
        CHECK_FALSE(database->estimated_rows("", "nope"));
        CHECK_FALSE(database->estimated_rows("elsewhere", "items"));
    }
    datamig::test::execute_sql(url, "ANALYZE; CREATE TABLE later (v TEXT); INSERT INTO later VALUES ('a');");
    auto database = datamig::connect(url, options);
    CHECK(database->estimated_rows("", "items") == 501);
    CHECK(database->estimated_rows("", "pairs") == 3);
    CHECK(database->estimated_rows("", "later") == 1);  // created after ANALYZE: max(rowid)
}
