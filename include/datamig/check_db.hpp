#pragma once
// `check --db` findings asked of the database's catalog (SPEC §4): each batch:range key: option,
// and the table of each UPDATE and DELETE of a non-batched `up`. Which finding follows from which
// facts is pure code here; the catalog questions are Database::key_facts and
// Database::estimated_rows.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/database.hpp"
#include "datamig/finding.hpp"
#include "datamig/statement_scan.hpp"

namespace datamig {

// One batch:range `up` as check judges it.
struct RangeKey {
    std::string file;  // the file's path, as findings name it
    int line = 0;      // the `-- migrate:up` marker
    std::string table;
    std::string column;
    bool uses_batch_end = false;  // the section uses :batch_end
};

// The key of each valid batch:range SQL file, in the order of `files`. A file loaded without
// its script (Load::findings) is read again in full; only batch:range files are.
std::vector<RangeKey> range_keys(const std::vector<LoadedMigration>& files);

// What the catalog's facts make of one key: batch-key-missing (error) when the table or column
// does not exist, else batch-key-unindexed (warning) when no index leads with the column and
// batch-end-non-integer (error) when the section uses :batch_end with a non-integer column.
Findings judge_key(const RangeKey& key, const KeyFacts& facts);

// Every batch:range key of `files`, the catalog asked once per distinct key.
Findings check_batch_keys(const std::vector<LoadedMigration>& files, Database& db);

// One UPDATE or DELETE of a non-batched `up`, as large-unbatched judges it; write.line is the
// file's line.
struct FileWrite {
    std::string file;  // the file's path, as findings name it
    TableWrite write;
};

// The UPDATE and DELETE statements of each valid SQL file whose `up` is not batched, in the order
// of `files` and of each text. Only `up` is read: `down` cannot be batched, and verify only reads.
std::vector<FileWrite> unbatched_up_writes(const std::vector<LoadedMigration>& files);

// large-unbatched (warning) when the table is estimated above `large_table` rows: one transaction
// locks every row the statement changes until it commits. Nothing for a table without an estimate
// (it may not exist yet: an earlier migration may create it).
std::optional<Finding> judge_write(const FileWrite& write, std::optional<std::int64_t> estimate,
                                   std::int64_t large_table);

// Every write of unbatched_up_writes, the estimate asked once per distinct table.
Findings check_large_writes(const std::vector<LoadedMigration>& files, Database& db, std::int64_t large_table);

// check --db's catalog rules (batch keys, large-unbatched) over the files that will still run:
// pending, or started and not finished (a `running` row). An applied migration's table may since
// have been dropped or have grown; judging it forever would only teach a team to ignore check.
Findings check_catalog(const std::vector<LoadedMigration>& files, const std::vector<HistoryRow>& history, Database& db,
                       std::int64_t large_table);

}  // namespace datamig
