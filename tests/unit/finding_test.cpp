#include "datamig/finding.hpp"

#include <catch2/catch.hpp>

using datamig::describe;
using datamig::Finding;
using datamig::Severity;

TEST_CASE("has_errors is true only when some finding is an error", "[finding]") {
    const Finding warning{Severity::warning, "a.sql", 3, "ddl-statement", "DDL"};
    const Finding error{Severity::error, "a.sql", 0, "invalid-name", "bad"};
    CHECK_FALSE(datamig::has_errors({}));
    CHECK_FALSE(datamig::has_errors({warning}));
    CHECK(datamig::has_errors({warning, error}));
}

TEST_CASE("describe shows file and line when they are known", "[finding]") {
    CHECK(describe({Severity::error, "db/x.sql", 7, "code", "went wrong"}) == "db/x.sql:7: went wrong");
    CHECK(describe({Severity::error, "db/x.sql", 0, "code", "went wrong"}) == "db/x.sql: went wrong");
    CHECK(describe({Severity::warning, "", 0, "code", "went wrong"}) == "went wrong");
    CHECK(describe({Severity::warning, "", 4, "code", "went wrong"}) == "line 4: went wrong");
}
