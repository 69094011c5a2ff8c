#pragma once
// The subcommands, each one function that reads as a list of named steps (the order of the steps
// is where the guarantees of SPEC §6 come from, so each says why it is where it is), and the table
// of them beside the functions, as ninja keeps its tools. Adding a command is one function and one
// row of command_table().
#include <vector>

#include "datamig/error.hpp"
#include "datamig/invocation.hpp"
#include "datamig/setting_flags.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace datamig {

struct Command {
    const char* name;
    const char* summary;
    // Declares the command's own options on its CLI11 subcommand.
    void (*add_options)(CLI::App& app, CommandOptions& options, SettingFlags& settings);
    Exit (*run)(const Invocation& invocation);
    PerTarget per_target;
};

// Every subcommand, in the order `datamig --help` lists them.
const std::vector<Command>& command_table();

}  // namespace datamig
