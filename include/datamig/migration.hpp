#pragma once
// Migration files: kinds and the parsed sections of SQL migrations (SPEC §1-§2); their names
// are read in file_name.hpp.
// Pure functions on text; reading the disk happens in catalog.hpp.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "datamig/file_name.hpp"  // the names MigrationFile holds, and to_snake_case for generate
#include "datamig/finding.hpp"

namespace datamig {

enum class Kind { sql, exec };
std::string_view to_string(Kind kind);

// A migration file found in a phase folder; content is loaded on demand (see catalog.hpp).
struct MigrationFile {
    std::string version;  // exactly 14 digits, a valid UTC date-time
    std::string name;     // [A-Za-z0-9_-]+ (see file_name.hpp)
    std::string phase;
    // "<dir>/<phase>/<file name>", as messages name the file. Not a std::filesystem::path: that
    // keeps a heap list of its components, about 1 KB for each of the thousands of files that
    // status and check hold.
    std::string path;
    Kind kind = Kind::sql;

    // "pre_sync/20260101000000_backfill": how log lines name it.
    std::string label() const { return phase + "/" + version + "_" + name; }
};

enum class BatchMode { none, loop, range };

struct SectionOptions {
    bool transaction = true;
    BatchMode batch = BatchMode::none;
    std::string key_table;  // batch:range key:<table>.<column>
    std::string key_column;
    std::optional<std::int64_t> batch_size;
    std::optional<std::chrono::milliseconds> pause;
    std::optional<std::chrono::milliseconds> batch_time;  // adaptive size (SPEC §2)
    std::optional<std::int64_t> batch_size_max;           // default 100 x batch_size
    std::optional<std::int64_t> batch_retries;            // default 3
};

struct Section {
    std::string sql;      // text between this marker and the next, markers excluded
    int marker_line = 0;  // 1-based line of the "-- migrate:..." marker
    SectionOptions options;
    // 1-based file line of the first line of `sql`.
    int first_line() const { return marker_line + 1; }
};

struct SqlScript {
    Section up;
    std::optional<Section> down;  // absent: irreversible
    std::optional<Section> verify;
};

struct ParsedSql {
    SqlScript script;
    Findings findings;  // errors make the script unusable; file = `file_label`
};

// Parses the sections and options of a SQL migration. `text` is already normalised (no BOM,
// LF line ends). Every problem becomes a finding naming `file_label` and the line: errors for a
// file that must not run (no up, a bad marker or option, a NUL byte, a comment or quote never
// closed), warnings for one that runs but deserves a look (an up of only comments, an indented
// marker).
ParsedSql parse_sql_migration(std::string_view text, const std::string& file_label);

}  // namespace datamig
