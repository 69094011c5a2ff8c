#include "datamig/verify.hpp"

#include <fmt/format.h>

namespace datamig {
namespace {

// A boolean or integer cell as text: false, 0 and NULL fail.
bool is_truthy(const std::string& text) {
    if (text == "t" || text == "true" || text == "TRUE") return true;
    if (text == "f" || text == "false" || text == "FALSE" || text.empty()) return false;
    return text.find_first_not_of("+-0.") != std::string::npos;
}

// Why the answer is no single boolean or integer cell, "" when it is one. Anything else (SELECT
// 'yes', a list of rows) would pass or fail by accident.
std::string wrong_shape(const QueryAnswer& answer) {
    if (answer.columns != 1) return answer.columns == 0 ? "no column" : fmt::format("{} columns", answer.columns);
    if (answer.rows > 1) return fmt::format("{} rows", answer.rows);
    if (answer.rows == 1 && answer.value && answer.type == QueryAnswer::Type::other) {
        const std::string& value = *answer.value;
        return fmt::format("a {} value '{}{}'", answer.type_name, value.substr(0, 60), value.size() > 60 ? "..." : "");
    }
    return "";
}

}  // namespace

bool first_cell_true(const QueryAnswer& answer) { return answer.value && is_truthy(*answer.value); }

std::optional<std::string> verify_failure(const QueryAnswer& answer) {
    if (const std::string wrong = wrong_shape(answer); !wrong.empty()) {
        return "the query returned " + wrong + "; verify must return one boolean or integer cell";
    }
    if (!answer.value) return answer.rows == 0 ? "the query returned no row" : "the query returned NULL";
    if (!is_truthy(*answer.value)) return "the query returned '" + *answer.value + "'";
    return std::nullopt;
}

}  // namespace datamig
