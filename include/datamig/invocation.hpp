#pragma once
// One run of datamig as the command line asked for it: the command, its options and the resolved
// settings. Plain data, so the commands do not depend on how the command line is parsed.
#include <cstdint>
#include <iostream>
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

// How a command runs under --targets/--schemas (SPEC §4, many databases).
enum class PerTarget {
    once,          // generate: it never connects, so the list does not matter
    each,          // migrate, status, rollback, resolve: once per target
    each_with_db,  // check: once per target with --db, else once
    refused,       // pause, resume: they address one migration in one database
};

struct Invocation {
    std::string command;
    Exit (*run)(const Invocation&) = nullptr;  // the command's function (commands.hpp)
    PerTarget per_target = PerTarget::once;
    Settings settings;
    CommandOptions options;
    // Where the command prints its result: stdout, or a buffer per target of a many-target run.
    std::ostream* out = &std::cout;
};

}  // namespace datamig
