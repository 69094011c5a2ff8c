#pragma once
// What `check` reads in a section's statements without a database (SPEC §4): UPDATE and DELETE
// statements with no WHERE, which change every row of their table in one transaction
// (update-without-where, delete-without-where). Read with sql_text's tokens: no second parser.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/finding.hpp"
#include "datamig/migration.hpp"

namespace datamig {

struct UnboundedWrite {
    std::string_view verb;   // "UPDATE" or "DELETE"
    std::string table;       // as written ("users", "app.\"Users\""), shortened when very long
    std::size_t offset = 0;  // of the UPDATE or DELETE keyword in the text
};

// The UPDATE and DELETE statements of `sql` with no WHERE of their own, in the order of the text
// (WITH parts before their main statement). Read are statements that
// start with UPDATE or DELETE, and the data-modifying parts of a WITH (`WITH d AS (DELETE FROM t
// RETURNING *) INSERT ...`). A WHERE counts only at the statement's own parenthesis depth: one
// in a sub-query, a string, a comment or a dollar-quoted body does not. Not read: the word in
// other places (FOR UPDATE, ON CONFLICT DO UPDATE, ON DELETE CASCADE, GRANT UPDATE, MERGE's
// THEN UPDATE), statements that start otherwise (CREATE ..., DO, EXPLAIN, PREPARE), and bodies
// between BEGIN and END of a CREATE (SQLite triggers, BEGIN ATOMIC), whose ';' ends no statement.
std::vector<UnboundedWrite> find_unbounded_writes(std::string_view sql);

// Adds an update-without-where or delete-without-where warning, naming the file line of the
// verb, for each UnboundedWrite of `section` ("up", "down" or "verify" is `section_name`). A
// batched section has none: its WHERE comes from the batch placeholders.
void add_unbounded_write_warnings(const Section& section, std::string_view section_name, const std::string& file_label,
                                  Findings& findings);

}  // namespace datamig
