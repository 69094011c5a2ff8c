#include "datamig/check.hpp"

#include <map>

#include <fmt/format.h>

#include "datamig/error.hpp"

namespace datamig {
namespace {

// Schema migration tools (dbmate, goose, Rails, Flyway's V-prefix aside) name files
// "<digits>_<name>.<ext>"; anything else in the schema folder is not a migration.
struct SchemaMigration {
    std::string version;
    std::string name;
};

std::optional<SchemaMigration> schema_migration_name(const std::string& file_name) {
    const auto digits_end = file_name.find_first_not_of("0123456789");
    if (digits_end == 0 || digits_end == std::string::npos || file_name[digits_end] != '_') return std::nullopt;
    const auto dot = file_name.find('.', digits_end);
    return SchemaMigration{file_name.substr(0, digits_end), file_name.substr(digits_end + 1, dot - digits_end - 1)};
}

void check_schema_dir(const std::filesystem::path& schema_dir, const std::vector<LoadedMigration>& files,
                      Findings& findings) {
    if (!std::filesystem::is_directory(schema_dir)) {
        throw InvalidInput("--schema-dir: " + schema_dir.string() + " is not a directory");
    }
    std::map<std::string, std::string> by_version;
    std::map<std::string, std::string> by_name;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(schema_dir)) {
        if (!entry.is_regular_file()) continue;
        if (const auto found = schema_migration_name(entry.path().filename().string())) {
            by_version.emplace(found->version, entry.path().string());
            by_name.emplace(found->name, entry.path().string());
        }
    }
    for (const auto& file : files) {
        const MigrationFile& migration = file.file;
        if (const auto clash = by_version.find(migration.version); clash != by_version.end()) {
            findings.push_back(
                {Severity::error, migration.path, 0, "schema-version-collision",
                 fmt::format("version {} is also used by schema migration {}", migration.version, clash->second)});
        }
        // Rails loads data and schema migrations as classes named after the file: one name, one class.
        if (const auto clash = by_name.find(migration.name); clash != by_name.end()) {
            findings.push_back(
                {Severity::error, migration.path, 0, "schema-name-collision",
                 fmt::format("name {} is also used by schema migration {}", migration.name, clash->second)});
        }
    }
}

}  // namespace

Findings check_tree(Findings findings, const std::vector<LoadedMigration>& files,
                    const std::optional<std::filesystem::path>& schema_dir) {
    const Findings of_files = findings_of(files);
    findings.insert(findings.end(), of_files.begin(), of_files.end());
    if (schema_dir) check_schema_dir(*schema_dir, files, findings);
    return findings;
}

Findings check_history(const std::vector<StatusEntry>& status) {
    Findings findings;
    std::map<std::string_view, std::string_view> newest_applied;  // phase -> version
    for (const auto& entry : status) {
        if (entry.row && entry.row->status == RowStatus::applied && !entry.phase.empty()) {
            auto& newest = newest_applied[entry.phase];
            if (entry.version > newest) newest = entry.version;
        }
    }
    for (const auto& entry : status) {
        const std::string file = entry.file ? entry.file->file.path : "";
        const auto warn = [&](const char* code, std::string message) {
            findings.push_back({Severity::warning, file, 0, code, std::move(message)});
        };
        switch (entry.state) {
            case State::changed:
                warn("checksum-drift", fmt::format("{} was changed after it was applied (recorded checksum {})",
                                                   entry.version, entry.row->checksum.value_or("")));
                break;
            case State::missing:
                if (!entry.row->adopted()) {
                    warn("missing-file", fmt::format("{} {}/{} is applied but its file is gone", entry.version,
                                                     entry.phase, entry.name));
                }
                break;
            case State::running:
            case State::partial:
            case State::paused:
                warn("running-row", fmt::format("{} is recorded as running since {}: it was interrupted; see datamig "
                                                "status and datamig resolve",
                                                entry.version, entry.row->started_at));
                break;
            case State::pending:
                if (const auto newest = newest_applied.find(entry.phase);
                    newest != newest_applied.end() && entry.version < newest->second) {
                    warn("out-of-order", fmt::format("{} is pending but older than {}, the newest applied migration of "
                                                     "{}; it will run out of order",
                                                     entry.version, newest->second, entry.phase));
                }
                break;
            case State::applied: break;
        }
    }
    return findings;
}

void make_strict(Findings& findings) {
    for (auto& finding : findings) finding.severity = Severity::error;
}

}  // namespace datamig
