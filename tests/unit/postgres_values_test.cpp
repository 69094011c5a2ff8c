#include "datamig/adapters/postgres_values.hpp"

#include <catch2/catch.hpp>

// PostgresRows needs a server's result: database_contract_test.cpp reads through it.
TEST_CASE("postgres values: parameters in PostgreSQL's text form, NULL as nothing", "[postgres_values]") {
    const auto parameters =
        datamig::parameters_of({datamig::Value{}, std::int64_t{-42}, std::string("o'brien"), std::string()});
    REQUIRE(parameters.size() == 4);
    CHECK_FALSE(parameters[0]);
    CHECK(parameters[1] == "-42");
    CHECK(parameters[2] == "o'brien");
    CHECK(parameters[3] == "");  // an empty text stays one: its column's dialect decides
}
