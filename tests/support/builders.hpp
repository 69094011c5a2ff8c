#pragma once
// Small builders for the core's value types, shared by the unit tests that plan, judge and
// report migrations without touching the disk.
#include <memory>
#include <string>

#include "datamig/catalog.hpp"
#include "datamig/history.hpp"

namespace datamig::test {

// A parsed SQL migration as load_migration would return it; checksum "sum-<version>".
inline LoadedMigration loaded_sql(const std::string& phase, const std::string& version, const std::string& name,
                                  BatchMode batch = BatchMode::none) {
    LoadedMigration loaded;
    loaded.file = {version, name, phase, "db/data_migrations/" + phase + "/" + version + "_" + name + ".sql",
                   Kind::sql};
    loaded.checksum = "sum-" + version;
    SqlScript script;
    script.up.options.batch = batch;
    loaded.script = std::make_shared<const SqlScript>(std::move(script));
    loaded.batch = batch;
    return loaded;
}

inline LoadedMigration loaded_exec(const std::string& phase, const std::string& version, const std::string& name) {
    LoadedMigration loaded;
    loaded.file = {version, name, phase, "db/data_migrations/" + phase + "/" + version + "_" + name + ".sh",
                   Kind::exec};
    loaded.checksum = "sum-" + version;
    return loaded;
}

// The history row `file` leaves when applied (or interrupted, with RowStatus::running).
inline HistoryRow row_of(const LoadedMigration& file, RowStatus status = RowStatus::applied) {
    HistoryRow row;
    row.version = file.file.version;
    row.phase = file.file.phase;
    row.name = file.file.name;
    row.checksum = file.checksum;
    row.status = status;
    row.started_at = "2026-01-01T00:00:00.000000Z";
    return row;
}

// A row adopted from a legacy data_migrations(version) table: phase and name unknown.
inline HistoryRow adopted_row(const std::string& version) {
    HistoryRow row;
    row.version = version;
    return row;
}

}  // namespace datamig::test
