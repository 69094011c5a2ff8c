#include "datamig/driver.hpp"

namespace datamig {

std::string Dialect::upsert(const std::string& insert, const std::string& key,
                            const std::vector<std::string>& updated) const {
    std::string sql = insert + " ON CONFLICT (" + key + ") DO UPDATE SET ";
    for (const auto& column : updated) {
        if (&column != &updated.front()) sql += ", ";
        sql += column + " = excluded." + column;
    }
    return sql;
}

std::optional<std::string> Dialect::replica_lag_query(std::chrono::milliseconds) const { return std::nullopt; }

std::optional<std::string> Dialect::schemas_query() const { return std::nullopt; }
std::optional<std::string> Dialect::row_estimate_query(const TableSize&) const { return std::nullopt; }
std::optional<std::string> Dialect::transaction_statement_limit(std::chrono::milliseconds) const {
    return std::nullopt;
}

std::string Dialect::quote(std::string_view identifier) {
    std::string quoted = "\"";
    for (const char c : identifier) {
        quoted += c;
        if (c == '"') quoted += '"';
    }
    return quoted + "\"";
}

}  // namespace datamig
