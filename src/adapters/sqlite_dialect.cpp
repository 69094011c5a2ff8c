#include "datamig/adapters/sqlite_dialect.hpp"

namespace datamig {

std::string SqliteDialect::type_name(ColumnType type) const {
    switch (type) {
        case ColumnType::integer: return "INTEGER";
        case ColumnType::serial_key: return "INTEGER PRIMARY KEY AUTOINCREMENT";
        case ColumnType::text:
        case ColumnType::timestamp: break;  // ISO-8601 text, which sorts as time does
    }
    return "TEXT";
}

// An unknown operator is NULL here (it is '' on PostgreSQL), and an event's empty time stays ''.
std::string SqliteDialect::write(ColumnType, Blank blank, int index) const {
    const bool null = blank == Blank::null || blank == Blank::unknown;
    return null ? "NULLIF(" + parameter(index) + ", '')" : parameter(index);
}

}  // namespace datamig
