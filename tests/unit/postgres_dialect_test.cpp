#include "datamig/adapters/postgres_dialect.hpp"

#include <catch2/catch.hpp>

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
