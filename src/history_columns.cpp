#include "datamig/history_columns.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace datamig {
namespace {

// As it is: what "" is stored as is the column's Blank, which the dialect writes.
Value value_of(const std::string& text) { return text; }
Value value_of(const std::optional<std::string>& text) { return text ? Value{*text} : Value{}; }
Value value_of(const std::optional<std::int64_t>& number) { return number ? Value{*number} : Value{}; }
Value value_of(RowStatus status) { return std::string(to_string(status)); }
Value value_of(EventKind kind) { return std::string(to_string(kind)); }

void assign(std::string& field, RowReader& reader, int index) {
    if (auto text = reader.text(index)) field = std::move(*text);
}
void assign(std::optional<std::string>& field, RowReader& reader, int index) { field = reader.text(index); }
void assign(std::optional<std::int64_t>& field, RowReader& reader, int index) { field = reader.integer(index); }
void assign(RowStatus& field, RowReader& reader, int index) {
    field = reader.text(index) == to_string(RowStatus::running) ? RowStatus::running : RowStatus::applied;
}

template <auto member, typename Record>
Value encode(const Record& record) {
    return value_of(record.*member);
}

template <auto member>
void decode(HistoryRow& row, RowReader& reader, int index) {
    assign(row.*member, reader, index);
}

template <auto member>
constexpr Column<HistoryRow> history(std::string_view name, ColumnType type, std::string_view constraint = "",
                                     Blank blank = Blank::kept) {
    return {name, type, constraint, blank, &encode<member, HistoryRow>, &decode<member>};
}

template <auto member>
constexpr Column<Event> event(std::string_view name, ColumnType type, std::string_view constraint = "",
                              Blank blank = Blank::kept) {
    return {name, type, constraint, blank, &encode<member, Event>, nullptr};
}

}  // namespace

const std::array<Column<HistoryRow>, 13> history_columns{{
    history<&HistoryRow::version>("version", ColumnType::text, "PRIMARY KEY"),
    history<&HistoryRow::phase>("phase", ColumnType::text),
    history<&HistoryRow::name>("name", ColumnType::text),
    history<&HistoryRow::checksum>("checksum", ColumnType::text),
    history<&HistoryRow::status>("status", ColumnType::text, "NOT NULL DEFAULT 'applied'"),
    history<&HistoryRow::started_at>("started_at", ColumnType::timestamp, "", Blank::null),
    history<&HistoryRow::finished_at>("finished_at", ColumnType::timestamp, "", Blank::null),
    history<&HistoryRow::duration_ms>("duration_ms", ColumnType::integer),
    history<&HistoryRow::operator_name>("operator", ColumnType::text, "", Blank::unknown),
    history<&HistoryRow::context>("context", ColumnType::text),
    history<&HistoryRow::rows_affected>("rows_affected", ColumnType::integer),
    history<&HistoryRow::batch_cursor>("batch_cursor", ColumnType::text),
    history<&HistoryRow::paused_at>("paused_at", ColumnType::timestamp, "", Blank::null),
}};

const std::array<Column<Event>, 10> event_columns{{
    {"id", ColumnType::serial_key, "", Blank::kept, nullptr, nullptr},
    event<&Event::version>("version", ColumnType::text, "NOT NULL"),
    event<&Event::phase>("phase", ColumnType::text, "", Blank::null),
    event<&Event::kind>("event", ColumnType::text, "NOT NULL"),
    event<&Event::at>("at", ColumnType::timestamp, "NOT NULL", Blank::now),
    event<&Event::operator_name>("operator", ColumnType::text, "", Blank::unknown),
    event<&Event::context>("context", ColumnType::text),
    event<&Event::duration_ms>("duration_ms", ColumnType::integer),
    event<&Event::rows_affected>("rows_affected", ColumnType::integer),
    event<&Event::error>("error", ColumnType::text),
}};

}  // namespace datamig
