#include "datamig/catalog.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace fs = std::filesystem;
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Documentation and editor/VCS files may live next to migrations.
bool is_ignored(std::string_view file_name) {
    return starts_with(file_name, ".") || starts_with(file_name, "README") || ends_with(file_name, ".md");
}

// Both paths canonical; compared by components so "/db2" is not inside "/db".
bool is_within(const fs::path& path, const fs::path& root) {
    const auto mismatch = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    return mismatch.first == root.end();
}

bool is_executable(fs::perms permissions) {
    return (permissions & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) !=
           fs::perms::none;
}

Finding file_error(const fs::path& path, std::string code, std::string message) {
    return {Severity::error, path.string(), 0, std::move(code), std::move(message)};
}

// The entries of a phase folder, sorted by name so that results do not depend on the file
// system's order. A missing folder is an empty phase.
std::vector<fs::directory_entry> phase_entries(const fs::path& folder, Findings& findings) {
    std::error_code error;
    if (!fs::exists(folder, error)) return {};
    if (!fs::is_directory(folder, error)) {
        findings.push_back(file_error(folder, "invalid-phase-folder", "phase folder is not a directory"));
        return {};
    }
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        entries.push_back(*it);
    }
    if (error) throw InvalidInput("cannot read phase folder " + folder.string() + ": " + error.message());
    std::sort(entries.begin(), entries.end(), [](const fs::directory_entry& a, const fs::directory_entry& b) {
        return a.path().filename() < b.path().filename();
    });
    return entries;
}

// Turns one directory entry into a migration file, or into findings when it cannot be one.
std::optional<MigrationFile> to_migration_file(const fs::directory_entry& entry, const std::string& phase,
                                               const fs::path& canonical_root, Findings& findings) {
    const fs::path& path = entry.path();
    std::error_code error;
    const fs::path target = fs::canonical(path, error);
    if (error) {
        findings.push_back(file_error(path, "broken-symlink", "symlink target does not exist: " + error.message()));
        return std::nullopt;
    }
    if (!is_within(target, canonical_root)) {
        findings.push_back(file_error(path, "symlink-outside-root",
                                      "leads outside the migrations directory (to " + target.string() +
                                          "); keep migrations inside it"));
        return std::nullopt;
    }
    const fs::file_status status = fs::status(path, error);
    if (fs::is_directory(status)) {
        findings.push_back(file_error(path, "unexpected-directory",
                                      "unexpected directory in phase folder " + phase +
                                          "; migrations are files directly inside the phase folder"));
        return std::nullopt;
    }
    const std::string file_name = path.filename().string();
    std::string problem;
    const auto name = parse_file_name(file_name, problem);
    if (!name) {
        // parse_file_name checks the timestamp first, so all-digit prefixes that fail it
        // failed on the date-time.
        const std::string_view prefix = std::string_view(file_name).substr(0, 14);
        const bool bad_version = prefix.size() == 14 &&
                                 std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                                 !is_valid_version(prefix);
        findings.push_back(file_error(path, bad_version ? "invalid-version" : "invalid-name", problem));
        return std::nullopt;
    }
    Kind kind = Kind::sql;
    if (name->extension != "sql") {
        if (!is_executable(status.permissions())) {
            findings.push_back(file_error(path, "not-executable",
                                          file_name + " is neither .sql nor executable; chmod +x it or rename it"));
            return std::nullopt;
        }
        kind = Kind::exec;
    }
    return MigrationFile{name->version, name->name, phase, path, kind};
}

Finding version_conflict(const MigrationFile& first, const MigrationFile& second) {
    if (first.phase == second.phase) {
        return file_error(second.path, "duplicate-version",
                          "version " + second.version + " is also used by " + first.path.string() +
                              "; give one of them a new timestamp");
    }
    return file_error(second.path, "phase-collision",
                      "version " + second.version + " is used in phase " + first.phase + " (" +
                          first.path.string() + ") and in phase " + second.phase + " (" + second.path.string() +
                          "); a version must be unique across phases");
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw InvalidInput("cannot read migration " + path.string() + ": " +
                           std::error_code(errno, std::generic_category()).message());
    }
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad() || content.bad()) throw InvalidInput("cannot read migration " + path.string());
    return content.str();
}

void add_ddl_warnings(const Section& section, const std::string& file_label, Findings& findings) {
    for (const Statement& statement : split_statements(section.sql)) {
        if (!is_ddl(statement.text)) continue;
        findings.push_back({Severity::warning, file_label, section.first_line() + statement.first_line - 1,
                            "ddl-statement",
                            leading_keyword(statement.text) +
                                " statement in a data migration; schema changes belong in schema migrations"});
    }
}

// A folder in the root that is no phase is most likely a typo ("postsync"): its migrations
// would never run, so say so instead of ignoring them.
void warn_about_unknown_folders(const fs::path& root, const std::vector<std::string>& phases, Findings& findings) {
    std::error_code error;
    for (fs::directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (!it->is_directory(error) || name == "templates" || is_ignored(name)) continue;
        if (std::find(phases.begin(), phases.end(), name) != phases.end()) continue;
        findings.push_back({Severity::warning, it->path().string(), 0, "unknown-phase-folder",
                            fmt::format("not a phase, so nothing in it runs (phases: {})", fmt::join(phases, ", "))});
    }
}

}  // namespace

Catalog list_migrations(const fs::path& root, const std::vector<std::string>& phases) {
    std::error_code error;
    if (!fs::is_directory(root, error)) {
        throw InvalidInput("migrations directory " + root.string() +
                           " does not exist or is not a directory (set it with --dir or DATAMIG_DIR)");
    }
    const fs::path canonical_root = fs::canonical(root, error);
    if (error) throw InvalidInput("cannot resolve migrations directory " + root.string() + ": " + error.message());

    Catalog catalog;
    std::map<std::string, MigrationFile> first_by_version;
    // Phases are visited in order and entries sorted by name, whose fixed-width version prefix
    // makes name order version order: `files` comes out sorted without a separate sort.
    for (const std::string& phase : phases) {
        for (const fs::directory_entry& entry : phase_entries(root / phase, catalog.findings)) {
            if (is_ignored(entry.path().filename().string())) continue;
            auto file = to_migration_file(entry, phase, canonical_root, catalog.findings);
            if (!file) continue;
            const auto [first, inserted] = first_by_version.emplace(file->version, *file);
            if (inserted) {
                catalog.files.push_back(std::move(*file));
            } else {
                catalog.findings.push_back(version_conflict(first->second, *file));
            }
        }
    }
    warn_about_unknown_folders(root, phases, catalog.findings);
    return catalog;
}

LoadedMigration load_migration(const MigrationFile& file) {
    const std::string raw = read_bytes(file.path);
    const std::string text = normalize_text(raw);
    LoadedMigration loaded{file, sha256_hex(text), std::nullopt, {}};
    if (file.kind == Kind::exec) return loaded;

    const std::string label = file.path.string();
    int bad_line = 0;
    if (!is_valid_utf8(raw, bad_line)) {
        loaded.findings.push_back({Severity::error, label, bad_line, "invalid-utf8",
                                   "not valid UTF-8; save the file as UTF-8"});
    }
    ParsedSql parsed = parse_sql_migration(text, label);
    loaded.findings.insert(loaded.findings.end(), parsed.findings.begin(), parsed.findings.end());
    add_ddl_warnings(parsed.script.up, label, loaded.findings);
    if (parsed.script.down) add_ddl_warnings(*parsed.script.down, label, loaded.findings);
    if (!has_errors(loaded.findings)) loaded.script = std::move(parsed.script);
    return loaded;
}

void require_no_errors(const Findings& findings, const std::string& what) {
    if (!has_errors(findings)) return;
    std::string message = what + ":";
    for (const Finding& finding : findings) {
        if (finding.severity == Severity::error) message += "\n  " + describe(finding);
    }
    throw InvalidInput(message);
}

}  // namespace datamig
