#include "datamig/cli.hpp"

#include <cstdlib>
#include <functional>
#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>

#include "datamig/commands.hpp"
#include "datamig/config_file.hpp"
#include "datamig/error.hpp"

namespace datamig {
namespace {

// Global settings as flags. They are also read from the environment and datamig.toml, so
// CLI11 only collects raw strings here; resolve_settings applies precedence and converts.
struct SettingFlag {
    const char* flag;  // CLI11 spelling
    const char* key;   // settings key
    const char* help;
    bool is_switch = false;
    bool repeatable = false;
};

constexpr SettingFlag global_settings[] = {
    {"--database-url", "database_url", "sqlite:PATH, postgres://... or key=value (env DATABASE_URL)"},
    {"--dir", "dir", "migrations root (env DATAMIG_DIR; default db/data_migrations)"},
    {"--table", "table", "history table, optionally schema.table (env DATAMIG_TABLE)"},
    {"--format", "format", "output: text, json (check: also github)"},
    {"--log-format", "log_format", "log lines on stderr: text or json (env DATAMIG_LOG_FORMAT)"},
    {"-q,--quiet", "quiet", "only warnings and errors in the log", true},
    {"-v,--verbose", "verbose", "debug messages in the log", true},
    {"--wait", "wait", "retry connecting until the database answers", true},
    {"--wait-timeout", "wait_timeout", "how long --wait retries (default 60s)"},
    {"--lock-wait", "lock_wait", "how long to wait for another datamig's runner lock (default 60s)"},
    {"--statement-timeout", "statement_timeout", "per-statement time limit (PostgreSQL statement_timeout)"},
    {"--operator", "operator", "who runs this, recorded with each run (env DATAMIG_OPERATOR, USER)"},
    {"--context", "context", "K=V recorded with each run; repeatable", false, true},
};

// Settings that belong to one command but can also come from datamig.toml.
constexpr SettingFlag migrate_settings[] = {
    {"--batch-size", "batch_size", "rows per batch for batch migrations (overrides batch_size:)"},
    {"--pause", "pause", "pause between batches, e.g. 200ms (overrides pause:)"},
    {"--exec-timeout", "exec_timeout", "kill an exec migration that runs longer than this"},
};
constexpr SettingFlag check_settings[] = {
    {"--schema-dir", "schema_dir", "schema migrations folder; versions or names used there are errors"},
};

class RawFlags {
public:
    template <std::size_t N>
    void add(CLI::App& app, const SettingFlag (&flags)[N]) {
        for (const auto& flag : flags) {
            auto& values = values_[flag.key];
            CLI::Option* option = flag.is_switch ? app.add_flag(flag.flag, flag.help) : app.add_option(flag.flag, values, flag.help);
            // Bound to a vector so repeatable flags keep every value; a plain setting takes one
            // value per occurrence and the last occurrence wins.
            if (!flag.repeatable && !flag.is_switch) option->expected(1)->take_last();
            bound_.push_back({&flag, option});
        }
    }

    RawSettings collect() const {
        RawSettings raw;
        for (const auto& [flag, option] : bound_) {
            if (option->count() == 0) continue;
            const std::string origin = option->get_name();
            raw[flag->key] = {flag->is_switch ? std::vector<std::string>{"true"} : values_.at(flag->key), origin};
        }
        return raw;
    }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::pair<const SettingFlag*, CLI::Option*>> bound_;
};

// The table of subcommands: name, help, options, and the function that runs it.
struct CommandSpec {
    const char* name;
    const char* summary;
    std::function<void(CLI::App&, CommandOptions&, RawFlags&)> add_options;
    Exit (*run)(const Invocation&);
};

void add_phase(CLI::App& app, CommandOptions& options) {
    app.add_option("--phase", options.phase, "only this phase");
}

const std::vector<CommandSpec>& command_table() {
    static const std::vector<CommandSpec> commands = {
        {"generate", "write a new migration from a template and print its path",
         [](CLI::App& app, CommandOptions& options, RawFlags&) {
             app.add_option("NAME", options.name, "what the migration does, e.g. BackfillUserRoles")->required();
             app.add_option("--phase", options.phase, "phase folder (default: the first phase)");
             app.add_option("--kind", options.kind, "sql or exec")->check(CLI::IsMember({"sql", "exec"}));
             app.add_option("--batch", options.batch, "loop or range: a batched SQL template")
                 ->check(CLI::IsMember({"loop", "range"}));
         },
         run_generate},
        {"migrate", "apply pending migrations",
         [](CLI::App& app, CommandOptions& options, RawFlags& raw) {
             add_phase(app, options);
             app.add_option("--only", options.only, "apply just this pending version");
             app.add_option("--target", options.target, "stop after this version");
             app.add_option("--limit", options.limit, "apply at most N migrations");
             app.add_flag("--dry-run", options.dry_run, "print the plan, change nothing");
             raw.add(app, migrate_settings);
         },
         run_migrate},
        {"status", "list migrations and their state",
         [](CLI::App& app, CommandOptions& options, RawFlags&) {
             add_phase(app, options);
             app.add_flag("--exit-code", options.exit_code, "exit 1 when anything is pending or partial");
         },
         run_status},
        {"rollback", "run `down` of the most recently applied migrations",
         [](CLI::App& app, CommandOptions& options, RawFlags&) {
             add_phase(app, options);
             app.add_option("--steps", options.steps, "how many to roll back (default 1)");
             app.add_option("--to", options.to, "roll back everything applied after this version");
             app.add_option("--only", options.only, "roll back just this version");
             app.add_flag("--dry-run", options.dry_run, "print the plan, change nothing");
         },
         run_rollback},
        {"check", "validate the migrations tree (for CI)",
         [](CLI::App& app, CommandOptions& options, RawFlags& raw) {
             app.add_flag("--db", options.use_db, "also compare with the history table");
             app.add_flag("--strict", options.strict, "warnings are errors");
             raw.add(app, check_settings);
         },
         run_check},
        {"resolve", "settle an interrupted (running) migration",
         [](CLI::App& app, CommandOptions& options, RawFlags&) {
             app.add_option("VERSION", options.version, "the interrupted version")->required();
             auto* applied = app.add_flag("--applied", options.mark_applied, "it did its work: mark it applied");
             auto* pending = app.add_flag("--pending", options.mark_pending, "it did not: delete its row so it runs again");
             applied->excludes(pending);
         },
         run_resolve},
    };
    return commands;
}

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

    RawFlags raw;
    raw.add(app, global_settings);
    Invocation invocation;
    for (const auto& command : command_table()) {
        CLI::App* sub = app.add_subcommand(command.name, command.summary);
        command.add_options(*sub, invocation.options, raw);
        sub->parse_complete_callback([&invocation, &command] {
            invocation.command = command.name;
            invocation.run = command.run;
        });
    }

    refuse_empty_inline_values(argc, argv);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        // --help and --version are "errors" with exit code 0 that CLI11 prints itself.
        if (error.get_exit_code() == 0) {
            app.exit(error);
            return std::nullopt;
        }
        throw UsageError(std::string(error.what()) + " (see datamig --help)");
    }
    if (invocation.command == "resolve" && invocation.options.mark_applied == invocation.options.mark_pending) {
        throw UsageError("resolve needs --applied or --pending");
    }

    const GetEnv getenv = [](const char* name) -> const char* { return std::getenv(name); };
    const auto config_file = choose_config_file(config_flag, getenv);
    invocation.settings = resolve_settings(raw.collect(), settings_from_environment(getenv),
                                           config_file ? read_config_file(*config_file) : RawSettings{});
    return invocation;
}

}  // namespace datamig
