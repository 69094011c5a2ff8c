#include "datamig/adapters/sqlite_dialect.hpp"

#include <catch2/catch.hpp>

#include <chrono>

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
