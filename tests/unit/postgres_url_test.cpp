#include "datamig/adapters/postgres_url.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"

TEST_CASE("postgres url: which URLs are PostgreSQL's", "[postgres_url]") {
    CHECK(datamig::is_postgres_conninfo("postgres://h/db"));
    CHECK(datamig::is_postgres_conninfo("postgresql://h/db"));
    CHECK(datamig::is_postgres_conninfo("host=h dbname=db"));
    CHECK_FALSE(datamig::is_postgres_conninfo("mysql://h/db"));
    CHECK_FALSE(datamig::is_postgres_conninfo("sqlite:x=1.db"));
    CHECK_FALSE(datamig::is_postgres_conninfo("db.sqlite3"));
}

TEST_CASE("postgres url: the password is hidden where it stands", "[postgres_url]") {
    CHECK(datamig::redact_conninfo("postgres://u:secret@h/db?password=x&sslmode=require") ==
          "postgres://u:***@h/db?password=***&sslmode=require");
    CHECK(datamig::redact_conninfo("host=h password = 'x y' user=u") == "host=h password = *** user=u");
}

TEST_CASE("postgres url: credentials libpq would misread are refused without the password", "[postgres_url]") {
    using Catch::Contains;
    CHECK_THROWS_WITH(datamig::refuse_ambiguous_credentials("postgres://u:pa@Secret1@h/db"),
                      Contains("unencoded '@' or '/'") && !Contains("Secret1"));
    CHECK_THROWS_AS(datamig::refuse_ambiguous_credentials("postgres://u:pa/Secret1@h/db"), datamig::UsageError);
    CHECK_NOTHROW(datamig::refuse_ambiguous_credentials("postgres://u:pa%40ss@h/db"));
    CHECK_NOTHROW(datamig::refuse_ambiguous_credentials("host=h password=pa@ss/word"));
}
