#pragma once
// The columns of the history and events tables (SPEC §5), in order: the one place that says
// what each column is called, its logical type, and how a HistoryRow or Event field goes in
// and comes out. The store builds every statement from these tables and the drivers' dialects
// name the SQL types, so a new column is one line here (and its field in history.hpp).
#include <array>
#include <string_view>

#include "datamig/driver.hpp"
#include "datamig/history.hpp"

namespace datamig {

template <typename Record>
struct Column {
    std::string_view name;
    ColumnType type;
    std::string_view constraint;     // portable SQL after the type ("PRIMARY KEY", "NOT NULL")
    Blank blank;                     // what an empty text field is stored as
    Value (*encode)(const Record&);  // nullptr: the database fills it in (a serial key)
    // Sets the field from the reader's `index`th field; a NULL keeps HistoryRow's default.
    void (*decode)(Record&, RowReader&, int index);
};

// `version` first: a legacy table (Rails data-migrate, nonschema_migrations) has only that one,
// and every other column is added to it. `status` defaults to applied so that the rows of an
// adopted legacy table read as applied.
extern const std::array<Column<HistoryRow>, 13> history_columns;
extern const std::array<Column<Event>, 10> event_columns;

}  // namespace datamig
