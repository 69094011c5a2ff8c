#include "datamig/verify.hpp"

#include <catch2/catch.hpp>

using datamig::QueryAnswer;
using datamig::verify_failure;
using Type = QueryAnswer::Type;

namespace {

QueryAnswer answer(std::int64_t rows, std::int64_t columns, Type type, std::optional<std::string> value,
                   std::string type_name = "") {
    return {rows, columns, type, std::move(type_name), std::move(value)};
}

}  // namespace

TEST_CASE("verify passes on one true or non-zero cell", "[verify]") {
    CHECK_FALSE(verify_failure(answer(1, 1, Type::boolean, "t")));
    CHECK_FALSE(verify_failure(answer(1, 1, Type::boolean, "true")));
    CHECK_FALSE(verify_failure(answer(1, 1, Type::integer, "1")));
    CHECK_FALSE(verify_failure(answer(1, 1, Type::integer, "-3")));
}

TEST_CASE("verify fails on false, zero, NULL or no row, saying which", "[verify]") {
    CHECK(verify_failure(answer(1, 1, Type::boolean, "f")) == "the query returned 'f'");
    CHECK(verify_failure(answer(1, 1, Type::integer, "0")) == "the query returned '0'");
    CHECK(verify_failure(answer(1, 1, Type::integer, std::nullopt)) == "the query returned NULL");
    CHECK(verify_failure(answer(0, 1, Type::integer, std::nullopt)) == "the query returned no row");
}

TEST_CASE("verify fails on anything but one boolean or integer cell, saying what came back", "[verify]") {
    const std::string rule = "; verify must return one boolean or integer cell";
    CHECK(verify_failure(answer(2, 1, Type::integer, "1")) == "the query returned 2 rows" + rule);
    CHECK(verify_failure(answer(1, 2, Type::integer, "1")) == "the query returned 2 columns" + rule);
    CHECK(verify_failure(answer(0, 0, Type::other, std::nullopt)) == "the query returned no column" + rule);
    CHECK(verify_failure(answer(1, 1, Type::other, "yes", "text")) == "the query returned a text value 'yes'" + rule);
    const auto long_text = verify_failure(answer(1, 1, Type::other, std::string(100, 'x'), "text"));
    CHECK(long_text == "the query returned a text value '" + std::string(60, 'x') + "...'" + rule);
}
