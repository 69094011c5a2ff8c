#include "datamig/check_db.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "datamig/batch.hpp"

namespace datamig {

std::vector<RangeKey> range_keys(const std::vector<LoadedMigration>& files) {
    std::vector<RangeKey> keys;
    for (const auto& loaded : files) {
        if (loaded.file.kind != Kind::sql || loaded.batch != BatchMode::range) continue;
        std::shared_ptr<const SqlScript> script = loaded.script;
        // check loads without scripts: the few batch:range files are read again.
        if (!script) script = load_migration(loaded.file, Load::full).script;
        if (!script || script->up.options.batch != BatchMode::range) continue;
        const Section& up = script->up;
        keys.push_back(
            {loaded.file.path, up.marker_line, up.options.key_table, up.options.key_column, uses_batch_end(up.sql)});
    }
    return keys;
}

Findings judge_key(const RangeKey& key, const KeyFacts& facts) {
    Findings findings;
    const std::string name = key.table + "." + key.column;
    const auto add = [&](Severity severity, const char* code, std::string message) {
        findings.push_back({severity, key.file, key.line, code, fmt::format("key {}: {}", name, message)});
    };
    if (!facts.table_exists) {
        add(Severity::error, "batch-key-missing",
            fmt::format("table {} does not exist, so the batches have no key to walk", key.table));
        return findings;
    }
    if (!facts.column_exists) {
        add(Severity::error, "batch-key-missing",
            fmt::format("table {} has no column {}, so the batches have no key to walk", key.table, key.column));
        return findings;
    }
    if (key.uses_batch_end && !facts.integer) {
        add(Severity::error, "batch-end-non-integer",
            fmt::format(":batch_end (exclusive end) exists only for an integer key and {} is not one; use "
                        ":batch_last (inclusive), e.g. {} <= :batch_last",
                        key.column, key.column));
    }
    if (!facts.indexed) {
        add(Severity::warning, "batch-key-unindexed",
            fmt::format("no index leads with {}, so every batch scans the table; CREATE INDEX ON {} ({})", key.column,
                        key.table, key.column));
    }
    return findings;
}

Findings check_batch_keys(const std::vector<LoadedMigration>& files, Database& db) {
    Findings findings;
    std::map<std::pair<std::string, std::string>, KeyFacts> asked;
    for (const RangeKey& key : range_keys(files)) {
        auto facts = asked.find({key.table, key.column});
        if (facts == asked.end()) {
            facts = asked.emplace(std::make_pair(key.table, key.column), db.key_facts(key.table, key.column)).first;
        }
        Findings of_key = judge_key(key, facts->second);
        findings.insert(findings.end(), std::make_move_iterator(of_key.begin()), std::make_move_iterator(of_key.end()));
    }
    return findings;
}

}  // namespace datamig
