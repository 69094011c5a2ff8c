#pragma once
// SQLite's SQL text for the history tables: types, parameters and what an empty field becomes.
#include <string>

#include "datamig/driver.hpp"

namespace datamig {

class SqliteDialect final : public Dialect {
public:
    std::string type_name(ColumnType type) const override;
    std::string parameter(int index) const override { return "?" + std::to_string(index); }
    // A timestamp is ISO-8601 text already, read and written as it is.
    std::string read(ColumnType, const std::string& column) const override { return column; }
    std::string write(ColumnType type, Blank blank, int index) const override;
    bool chains_writes() const override { return false; }
    // Over pragma_table_info/index_list/index_info; an INTEGER PRIMARY KEY (the rowid) is indexed.
    std::string key_facts_query() const override;
    // A table's estimate: sqlite_stat1 where ANALYZE ran, else max(rowid) (docs/decisions.md).
    std::string table_size_query() const override;
    std::optional<std::string> row_estimate_query(const TableSize& size) const override;
};

}  // namespace datamig
