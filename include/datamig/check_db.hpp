#pragma once
// `check --db` findings of batch:range keys (SPEC §4): each key: option asked of the database's
// catalog. Which finding follows from which facts is pure code here; the catalog questions are
// Database::key_facts.
#include <string>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/database.hpp"
#include "datamig/finding.hpp"

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

}  // namespace datamig
