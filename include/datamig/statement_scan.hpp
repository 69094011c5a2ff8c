#pragma once
// What `check` reads in a section's statements: the UPDATE and DELETE statements and the table
// each changes. Without a database, those with no WHERE, which change every row of their table in
// one transaction (update-without-where, delete-without-where); with --db, those whose table is
// large (large-unbatched, check_db.hpp). Read with sql_text's tokens: no second parser.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/finding.hpp"
#include "datamig/migration.hpp"

namespace datamig {

struct TableWrite {
    std::string_view verb;  // "UPDATE" or "DELETE"
    std::string table;      // as written ("users", "app.\"Users\""); see shown_table
    // The name as the database reads it (sql_text's identifier_value): "Users", "users"; the
    // schema is empty when the name is not qualified.
    std::string schema;
    std::string name;
    bool where = false;      // the statement has a WHERE of its own
    std::size_t offset = 0;  // of the UPDATE or DELETE keyword in the text
    int line = 1;            // of that keyword: 1-based in the text (unbatched_writes: in the file)
};

// The UPDATE and DELETE statements of `sql`, in the order of the text (WITH parts before their
// main statement). Read are statements that start with UPDATE or DELETE (`UPDATE ONLY t`, `DELETE
// FROM t USING u`, SQLite's `UPDATE OR REPLACE t`), and the data-modifying parts of a WITH
// (`WITH d AS (DELETE FROM t RETURNING *) INSERT ...`) or its main statement (`WITH s AS (...)
// UPDATE t`). A WHERE counts only at the statement's own parenthesis depth: one in a sub-query, a
// string, a comment or a dollar-quoted body does not. Not read: the word in other places (FOR
// UPDATE, ON CONFLICT DO UPDATE, ON DELETE CASCADE, GRANT UPDATE, MERGE's THEN UPDATE), statements
// that start otherwise (CREATE ..., DO, EXPLAIN, PREPARE), and bodies between BEGIN and END of a
// CREATE (SQLite triggers, BEGIN ATOMIC), whose ';' ends no statement.
std::vector<TableWrite> find_table_writes(std::string_view sql);

// The table as written, cut after 80 characters: a name is the user's text, of any length, and
// messages quote it.
std::string shown_table(const TableWrite& write);

// The writes of `section` with the file line of each verb; none when the section is batched,
// whose WHERE comes from the batch placeholders and whose transactions are one batch long.
std::vector<TableWrite> unbatched_writes(const Section& section);

// Adds an update-without-where or delete-without-where warning, naming the file line of the
// verb, for each unbatched write of `section` without a WHERE ("up", "down" or "verify" is
// `section_name`).
void add_unbounded_write_warnings(const Section& section, std::string_view section_name, const std::string& file_label,
                                  Findings& findings);

}  // namespace datamig
