#pragma once
// Many databases (SPEC §4): the list of targets one run works through, from a --targets file or
// the schemas --schemas matched, narrowed to this process's --shard. Each target is then run
// exactly as a single-database run, with the settings settings_for() gives it.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/settings.hpp"

namespace datamig {

struct Target {
    std::string name;  // prefixes its output and log lines
    std::string url;   // ${VAR}s expanded: holds passwords, never shown unredacted
    // --schemas: the tenant's schema, which its session searches and its history table lives in.
    std::optional<std::string> schema;
};

// A --targets file's text: one target per line, `NAME URL` or a bare URL (named after the
// database it names); blank lines and `#` comments skipped; `${VAR}` in a URL replaced by the
// environment variable. Throws UsageError naming `file_label`:line for a malformed line, an
// unset variable, a URL no driver claims, a name used twice: before any target runs.
std::vector<Target> parse_targets(std::string_view text, const std::string& file_label, GetEnv getenv);
// The same, read from the file.
std::vector<Target> read_targets(const std::filesystem::path& file, GetEnv getenv);

// One target per schema of the database at `url`, named after the schema.
std::vector<Target> schema_targets(const std::string& url, const std::vector<std::string>& schemas);

// The targets whose 0-based position modulo shard.count is shard.index, in order.
std::vector<Target> take_shard(const std::vector<Target>& targets, Shard shard);

// The settings of one target's run: its URL, and for a schema its search_path and a history
// table inside it (resolve_settings refuses a --table naming a schema of its own with --schemas).
Settings settings_for(const Settings& run, const Target& target);

}  // namespace datamig
