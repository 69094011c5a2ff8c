#include "datamig/adapters/postgres_conninfo.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"

TEST_CASE("postgres conninfo: a bad port or parameter is a usage error that hides the password",
          "[postgres_conninfo]") {
    using Catch::Contains;
    CHECK_THROWS_WITH(datamig::validate_conninfo("postgres://u:Secret1@h:abc/db"),
                      Contains("port") && !Contains("Secret1"));
    CHECK_THROWS_AS(datamig::validate_conninfo("postgres://u:Secret1@h/db?frob=1"), datamig::UsageError);
    CHECK_THROWS_AS(datamig::validate_conninfo("postgres://u:pa@ss@h/db"), datamig::UsageError);
    CHECK_NOTHROW(datamig::validate_conninfo("host=h port=5432,5433 password='a b' dbname=db"));
}
