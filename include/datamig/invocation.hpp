#pragma once
// One run of datamig as the command line asked for it: the command, its options and the resolved
// settings. Plain data, so the commands do not depend on how the command line is parsed.
#include <cstdint>
#include <optional>
#include <string>

#include "datamig/error.hpp"
#include "datamig/settings.hpp"

namespace datamig {

// Options of the individual commands; each command reads only its own.
struct CommandOptions {
    std::string name;  // generate NAME
    std::optional<std::string> phase;
    std::string kind = "sql";           // generate --kind
    std::optional<std::string> batch;   // generate --batch
    std::optional<std::string> only;    // migrate/rollback --only
    std::optional<std::string> target;  // migrate --target
    std::optional<std::string> to;      // rollback --to
    std::optional<std::int64_t> limit;  // migrate --limit
    std::optional<std::int64_t> steps;  // rollback --steps
    bool dry_run = false;
    bool rehearse = false;   // migrate --rehearse
    bool exit_code = false;  // status --exit-code
    bool use_db = false;     // check --db
    bool strict = false;     // check --strict
    std::string version;     // resolve VERSION
    bool mark_applied = false;
    bool mark_pending = false;
};

struct Invocation {
    std::string command;
    Exit (*run)(const Invocation&) = nullptr;  // the command's function (commands.hpp)
    Settings settings;
    CommandOptions options;
};

}  // namespace datamig
