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

// The key table may be "schema.table" (else main); a schema that is not attached has no
// tables. Names compare case-insensitively, as SQLite's do. A column whose declared type
// contains INT has integer affinity; the rowid alias is the sole primary key column declared
// INTEGER. A partial index does not serve every batch, so it does not count. (Joined to
// pragma_index_list, pragma_index_info with a schema argument finds no rows: hence the subquery.)
std::string SqliteDialect::key_facts_query() const {
    return "WITH named(s, t) AS (SELECT CASE WHEN instr(?1, '.') > 0 THEN substr(?1, 1, instr(?1, '.') - 1) "
           "ELSE 'main' END, substr(?1, instr(?1, '.') + 1)), "
           "k(s, t, c) AS (SELECT CASE WHEN known THEN named.s ELSE 'main' END, CASE WHEN known THEN named.t END, "
           "lower(?2) FROM named, (SELECT EXISTS (SELECT 1 FROM named, pragma_database_list d "
           "WHERE lower(d.name) = lower(named.s)) AS known)), "
           "col(type, pk, pks) AS (SELECT ti.type, ti.pk, "
           "(SELECT count(*) FROM pragma_table_info(k.t, k.s) WHERE pk > 0) "
           "FROM k, pragma_table_info(k.t, k.s) ti WHERE lower(ti.name) = k.c) "
           "SELECT EXISTS (SELECT 1 FROM k, pragma_table_info(k.t, k.s)), "
           "EXISTS (SELECT 1 FROM col), "
           "EXISTS (SELECT 1 FROM col WHERE upper(type) LIKE '%INT%'), "
           "EXISTS (SELECT 1 FROM col WHERE pk = 1 AND pks = 1 AND upper(type) = 'INTEGER') OR "
           "EXISTS (SELECT 1 FROM k, pragma_index_list(k.t, k.s) il WHERE il.partial = 0 AND "
           "(SELECT lower(ii.name) FROM pragma_index_info(il.name, k.s) ii WHERE ii.seqno = 0) = k.c)";
}

// Tables only (a view's rows are its tables'); an unqualified name resolves as SQLite's own
// lookup does: temp, then main, then the attached databases in the order they were attached.
std::string SqliteDialect::table_size_query() const {
    return "SELECT l.schema, l.name, NULL, "
           "EXISTS (SELECT 1 FROM pragma_table_list('sqlite_stat1') s WHERE s.schema = l.schema), l.wr = 0 "
           "FROM pragma_table_list(?2) l JOIN pragma_database_list d ON d.name = l.schema "
           "WHERE l.type = 'table' AND (?1 = '' OR lower(l.schema) = lower(?1)) "
           "ORDER BY CASE WHEN l.schema = 'temp' THEN -1 ELSE d.seq END LIMIT 1";
}

// sqlite_stat1's first figure of each index is the table's row count (a partial index's is
// smaller, hence max); a table without indexes has one row with idx NULL. It names the table as
// the catalog does, as size.table does. ANALYZE may have run before the table had rows or
// existed: then max(rowid), found at the end of the table's b-tree.
std::optional<std::string> SqliteDialect::row_estimate_query(const TableSize& size) const {
    std::string name = "'";
    for (const char c : size.table.table) name += c == '\'' ? std::string("''") : std::string(1, c);
    const std::string analyzed = "(SELECT max(CAST(stat AS INTEGER)) FROM " + quote(size.table.schema) +
                                 ".sqlite_stat1 WHERE tbl = " + name + "')";
    const std::string numbered = "(SELECT max(rowid) FROM " + size.table.quoted() + ")";
    if (size.analyzed && size.rowid) return "SELECT COALESCE(" + analyzed + ", " + numbered + ")";
    if (size.analyzed) return "SELECT " + analyzed;
    if (size.rowid) return "SELECT " + numbered;
    return std::nullopt;  // a WITHOUT ROWID table never analyzed: only counting would tell
}

}  // namespace datamig
