#include "datamig/adapters/postgres_values.hpp"

#include <variant>

namespace datamig {

Parameters parameters_of(const std::vector<Value>& values) {
    Parameters parameters;
    parameters.reserve(values.size());
    for (const auto& value : values) {
        if (const auto* number = std::get_if<std::int64_t>(&value)) {
            parameters.emplace_back(std::to_string(*number));
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            parameters.emplace_back(*text);
        } else {
            parameters.emplace_back();
        }
    }
    return parameters;
}

std::optional<std::string> PostgresRows::text(int column) {
    const auto field = result_[next_ - 1][column];
    if (field.is_null()) return std::nullopt;
    return std::string(field.c_str(), field.size());
}

std::optional<std::int64_t> PostgresRows::integer(int column) {
    const auto field = result_[next_ - 1][column];
    if (field.is_null()) return std::nullopt;
    return field.as<std::int64_t>();
}

}  // namespace datamig
