#pragma once
// The command line: global flags (before or after the command), one subcommand from the table in
// commands.hpp, and the settings resolved from flags, environment and config file.
#include <optional>

#include "datamig/invocation.hpp"

namespace datamig {

// nullopt when --help or --version was asked for (and printed). Throws UsageError for a bad
// command line or setting.
std::optional<Invocation> parse_command_line(int argc, const char* const* argv);

}  // namespace datamig
