#include "datamig/history_columns.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

// Reads back what the columns encoded, field by field.
class EncodedRow final : public datamig::RowReader {
public:
    explicit EncodedRow(std::vector<datamig::Value> values) : values_(std::move(values)) {}
    bool next() override { return false; }
    std::optional<std::string> text(int column) override {
        const auto& value = values_[static_cast<std::size_t>(column)];
        if (const auto* text = std::get_if<std::string>(&value)) return *text;
        return std::nullopt;
    }
    std::optional<std::int64_t> integer(int column) override {
        const auto& value = values_[static_cast<std::size_t>(column)];
        if (const auto* number = std::get_if<std::int64_t>(&value)) return *number;
        return std::nullopt;
    }

private:
    std::vector<datamig::Value> values_;
};

}  // namespace

TEST_CASE("history columns: version first, as a legacy table has it", "[history_columns]") {
    CHECK(datamig::history_columns.front().name == "version");
    CHECK(datamig::event_columns.front().encode == nullptr);  // the serial id
}

TEST_CASE("history columns: every field encodes and decodes to itself; '' is bound as it is", "[history_columns]") {
    datamig::HistoryRow row;
    row.version = "20260101000001";
    row.phase = "pre_sync";
    row.status = datamig::RowStatus::running;
    row.started_at = "2026-01-01T00:00:00.000000Z";
    row.duration_ms = 12;
    row.context = R"({"a": "b"})";
    row.batch_cursor = "42";
    std::vector<datamig::Value> values;
    for (const auto& column : datamig::history_columns) values.push_back(column.encode(row));
    CHECK(std::get<std::string>(values[6]).empty());  // finished_at "": the column says what it is stored as
    CHECK(datamig::history_columns[6].blank == datamig::Blank::null);
    EncodedRow reader(values);
    datamig::HistoryRow decoded;
    int index = 0;
    for (const auto& column : datamig::history_columns) column.decode(decoded, reader, index++);
    CHECK(decoded.version == row.version);
    CHECK(decoded.phase == row.phase);
    CHECK_FALSE(decoded.name);
    CHECK(decoded.status == datamig::RowStatus::running);
    CHECK(decoded.started_at == row.started_at);
    CHECK(decoded.finished_at.empty());
    CHECK(decoded.duration_ms == 12);
    CHECK(decoded.context == row.context);
    CHECK(decoded.batch_cursor == "42");
}
