#include "datamig/check_db.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "datamig/batch.hpp"
#include "datamig/version_lookup.hpp"

namespace datamig {
namespace {

// The script of a SQL file whose `up` is batched as `batch` (nullptr for any other file). check
// loads without scripts, so the files a rule reads are read again, each by one rule only.
std::shared_ptr<const SqlScript> script_of(const LoadedMigration& loaded, BatchMode batch) {
    if (loaded.file.kind != Kind::sql || loaded.batch != batch) return nullptr;
    std::shared_ptr<const SqlScript> script = loaded.script;
    if (!script) script = load_migration(loaded.file, Load::full).script;
    if (!script || script->up.options.batch != batch) return nullptr;
    return script;
}

}  // namespace

std::vector<RangeKey> range_keys(const std::vector<LoadedMigration>& files) {
    std::vector<RangeKey> keys;
    for (const auto& loaded : files) {
        const auto script = script_of(loaded, BatchMode::range);
        if (!script) continue;
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

std::vector<FileWrite> unbatched_up_writes(const std::vector<LoadedMigration>& files) {
    std::vector<FileWrite> writes;
    for (const auto& loaded : files) {
        const auto script = script_of(loaded, BatchMode::none);
        if (!script) continue;
        for (TableWrite& write : unbatched_writes(script->up)) writes.push_back({loaded.file.path, std::move(write)});
    }
    return writes;
}

std::optional<Finding> judge_write(const FileWrite& write, std::optional<std::int64_t> estimate,
                                   std::int64_t large_table) {
    if (!estimate || *estimate <= large_table) return std::nullopt;
    const bool update = write.write.verb == "UPDATE";
    const std::string table = shown_table(write.write);
    return Finding{Severity::warning, write.file, write.write.line, "large-unbatched",
                   fmt::format("{} {} is not batched and {} holds about {} rows (more than --large-table {}): its "
                               "one transaction locks every row it changes until it commits, and writers of those "
                               "rows wait that long; batch it ({})",
                               update ? "UPDATE" : "DELETE FROM", table, table, *estimate, large_table,
                               update ? "batch:range" : "batch:range or batch:loop")};
}

Findings check_large_writes(const std::vector<LoadedMigration>& files, Database& db, std::int64_t large_table) {
    Findings findings;
    std::map<std::pair<std::string, std::string>, std::optional<std::int64_t>> asked;
    for (const FileWrite& write : unbatched_up_writes(files)) {
        const auto table = std::make_pair(write.write.schema, write.write.name);
        auto estimate = asked.find(table);
        if (estimate == asked.end())
            estimate = asked.emplace(table, db.estimated_rows(table.first, table.second)).first;
        if (auto finding = judge_write(write, estimate->second, large_table)) findings.push_back(std::move(*finding));
    }
    return findings;
}

Findings check_catalog(const std::vector<LoadedMigration>& files, const std::vector<HistoryRow>& history, Database& db,
                       std::int64_t large_table) {
    std::vector<LoadedMigration> to_run;
    for (const auto& loaded : files) {
        const HistoryRow* row = find_version(history, loaded.file.version);
        if (row == nullptr || row->status == RowStatus::running) to_run.push_back(loaded);
    }
    Findings findings = check_batch_keys(to_run, db);
    const Findings large = check_large_writes(to_run, db, large_table);
    findings.insert(findings.end(), large.begin(), large.end());
    return findings;
}

}  // namespace datamig
