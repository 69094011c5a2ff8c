#include "datamig/adapters/postgres_conninfo.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"

TEST_CASE("postgres conninfo: which URLs are PostgreSQL's", "[postgres_conninfo]") {
    CHECK(datamig::is_postgres_conninfo("postgres://h/db"));
    CHECK(datamig::is_postgres_conninfo("postgresql://h/db"));
    CHECK(datamig::is_postgres_conninfo("host=h dbname=db"));
    CHECK_FALSE(datamig::is_postgres_conninfo("mysql://h/db"));
    CHECK_FALSE(datamig::is_postgres_conninfo("sqlite:x=1.db"));
    CHECK_FALSE(datamig::is_postgres_conninfo("db.sqlite3"));
}

TEST_CASE("postgres conninfo: a bad port or parameter is a usage error that hides the password",
          "[postgres_conninfo]") {
    using Catch::Contains;
    CHECK_THROWS_WITH(datamig::validate_conninfo("postgres://u:Secret1@h:abc/db"),
                      Contains("port") && !Contains("Secret1"));
    CHECK_THROWS_AS(datamig::validate_conninfo("postgres://u:Secret1@h/db?frob=1"), datamig::UsageError);
    CHECK_THROWS_AS(datamig::validate_conninfo("postgres://u:pa@ss@h/db"), datamig::UsageError);
    CHECK_NOTHROW(datamig::validate_conninfo("host=h port=5432,5433 password='a b' dbname=db"));
}

TEST_CASE("postgres conninfo: the password is hidden where it stands", "[postgres_conninfo]") {
    CHECK(datamig::redact_conninfo("postgres://u:secret@h/db?password=x&sslmode=require") ==
          "postgres://u:***@h/db?password=***&sslmode=require");
    CHECK(datamig::redact_conninfo("host=h password = 'x y' user=u") == "host=h password = *** user=u");
}
