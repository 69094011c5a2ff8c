#include "datamig/cli.hpp"

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string_view>

#include <CLI/CLI.hpp>

#include "datamig/commands.hpp"
#include "datamig/config_file.hpp"
#include "datamig/error.hpp"
#include "datamig/setting_flags.hpp"
#include "datamig/summary.hpp"

namespace datamig {
namespace {

// CLI11 reads "--lock-wait=" (nothing after the '=') as the flag without a value and takes the
// next argument as its value, often the command name, and then reports a missing command.
// Name the flag and its empty value instead.
void refuse_empty_inline_values(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view argument = argv[i];
        if (argument == "--") return;
        if (argument.size() > 3 && argument.substr(0, 2) == "--" && argument.find('=') == argument.size() - 1) {
            throw UsageError(std::string(argument.substr(0, argument.size() - 1)) +
                             ": empty value after '=' (see datamig --help)");
        }
    }
}

}  // namespace

std::optional<Invocation> parse_command_line(int argc, const char* const* argv) {
    CLI::App app{"datamig: data migrations in deployment phases (pre_sync, post_sync, ...)", "datamig"};
    // Global flags may follow the command name: subcommands hand unknown options up.
    app.fallthrough();
    app.require_subcommand(1);
    app.set_version_flag("--version", "datamig " DATAMIG_RELEASE);
    std::optional<std::string> config_flag;
    app.add_option("--config", config_flag, "config file (env DATAMIG_CONFIG; default ./datamig.toml if present)");

    SettingFlags setting_flags;
    setting_flags.add(app, global_setting_flags);
    Invocation invocation;
    for (const Command& command : command_table()) {
        CLI::App* sub = app.add_subcommand(command.name, command.summary);
        command.add_options(*sub, invocation.options, setting_flags);
        sub->parse_complete_callback([&invocation, &command] {
            invocation.command = command.name;
            invocation.run = command.run;
            invocation.per_target = command.per_target;
        });
    }

    const GetEnv getenv = [](const char* name) -> const char* { return std::getenv(name); };
    // --summary-file is written whatever the outcome, a usage error included, so it is taken
    // as soon as it is read, before anything else can fail (SPEC §4).
    const auto name_summary_file = [&] {
        const RawSettings flags = setting_flags.collect();
        const RawSettings from_environment = settings_from_environment(getenv);
        for (const RawSettings* source : std::initializer_list<const RawSettings*>{&flags, &from_environment}) {
            const auto found = source->find("summary_file");
            if (found != source->end() && found->second.values.size() == 1 && !found->second.values.front().empty()) {
                set_summary_path(std::filesystem::path(found->second.values.front()));
                return;
            }
        }
    };
    try {
        refuse_empty_inline_values(argc, argv);
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        name_summary_file();
        // --help and --version are "errors" with exit code 0 that CLI11 prints itself.
        if (error.get_exit_code() == 0) {
            app.exit(error);
            return std::nullopt;
        }
        throw UsageError(std::string(error.what()) + " (see datamig --help)");
    } catch (const UsageError&) {
        name_summary_file();
        throw;
    }
    name_summary_file();
    const auto config_file = choose_config_file(config_flag, getenv);
    invocation.settings = resolve_settings(setting_flags.collect(), settings_from_environment(getenv),
                                           config_file ? read_config_file(*config_file) : RawSettings{});
    set_summary_path(invocation.settings.summary_file);
    return invocation;
}

}  // namespace datamig
