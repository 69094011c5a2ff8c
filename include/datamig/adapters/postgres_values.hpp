#pragma once
// How the history store's values go into libpqxx and its rows come out: bound parameters in
// text form, and a result read as a RowReader. Beside postgres_driver.cpp, the one other file
// that uses libpqxx (its types only; every call to the server is the driver's).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "datamig/driver.hpp"

namespace datamig {

// Each value as the text PostgreSQL reads it, NULL as nullopt (pqxx::prepare::make_dynamic_params).
using Parameters = std::vector<std::optional<std::string>>;
Parameters parameters_of(const std::vector<Value>& values);

// A result that has arrived whole, read one row at a time.
class PostgresRows final : public RowReader {
public:
    // libpqxx 6's result is a shared handle with no move constructor: a copy shares the rows.
    explicit PostgresRows(const pqxx::result& result) : result_(result) {}
    bool next() override { return ++next_ <= result_.size(); }
    std::optional<std::string> text(int column) override;
    std::optional<std::int64_t> integer(int column) override;

private:
    pqxx::result result_;
    pqxx::result::size_type next_ = 0;
};

}  // namespace datamig
