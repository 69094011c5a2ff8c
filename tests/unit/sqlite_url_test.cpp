#include "datamig/adapters/sqlite_url.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"

TEST_CASE("sqlite URLs: claimed by scheme, never redacted, named after the file's stem", "[sqlite_url]") {
    const datamig::DriverKind& kind = datamig::sqlite_driver;
    CHECK(kind.claims("sqlite:db/app.sqlite3"));
    CHECK(kind.claims("sqlite://db/app.sqlite3"));
    CHECK_FALSE(kind.claims("postgres://app@db/app"));
    CHECK(kind.redact("sqlite:pass:word.db") == "sqlite:pass:word.db");
    CHECK(kind.database_name("sqlite:tenants/acme.sqlite3") == "acme");
    CHECK(kind.database_name("sqlite:///srv/globex.db") == "globex");
    CHECK(kind.database_name("sqlite:") == "");
    CHECK_THROWS_AS(kind.open("sqlite:", {}), datamig::UsageError);
}
