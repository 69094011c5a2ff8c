#include "datamig/driver.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {

class PlainDialect final : public datamig::Dialect {
public:
    std::string type_name(datamig::ColumnType) const override { return "TEXT"; }
    std::string parameter(int index) const override { return "?" + std::to_string(index); }
    std::string read(datamig::ColumnType, const std::string& column) const override { return column; }
    std::string write(datamig::ColumnType, datamig::Blank, int index) const override { return parameter(index); }
    bool chains_writes() const override { return false; }
    std::string key_facts_query() const override { return ""; }
    std::string table_size_query() const override { return ""; }
};

}  // namespace

TEST_CASE("dialect: by default a table's estimate is the catalog's alone", "[driver]") {
    const PlainDialect dialect;
    CHECK_FALSE(dialect.row_estimate_query(datamig::TableSize{{"main", "items"}, std::nullopt, true, true}));
}

TEST_CASE("dialect: identifiers are double-quoted, quotes doubled", "[driver]") {
    CHECK(datamig::Dialect::quote("data_migrations") == "\"data_migrations\"");
    CHECK(datamig::Dialect::quote("a\"b") == "\"a\"\"b\"");
    CHECK(datamig::TableName{"main", "t"}.quoted() == "\"main\".\"t\"");
}

TEST_CASE("dialect: an upsert replaces the listed columns of the row with the same key", "[driver]") {
    const PlainDialect dialect;
    CHECK(dialect.upsert("INSERT INTO t (k, a, b) VALUES (?1, ?2, ?3)", "k", {"a", "b"}) ==
          "INSERT INTO t (k, a, b) VALUES (?1, ?2, ?3) ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b");
}

TEST_CASE("dialect: a database without standbys has no replica lag query", "[driver]") {
    CHECK_FALSE(PlainDialect().replica_lag_query(std::chrono::seconds(1)));
}
