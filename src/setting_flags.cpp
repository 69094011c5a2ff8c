#include "datamig/setting_flags.hpp"

#include <CLI/CLI.hpp>

namespace datamig {

const std::vector<SettingFlag> global_setting_flags = {
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
    {"--statement-timeout", "statement_timeout",
     "per-statement time limit (PostgreSQL statement_timeout; default none, 2 x batch_time in a batch)"},
    {"--operator", "operator", "who runs this, recorded with each run (env DATAMIG_OPERATOR, USER)"},
    {"--context", "context", "K=V recorded with each run; repeatable", false, true},
    {"--lock-timeout", "lock_timeout", "longest wait for a lock by a migration statement, e.g. 2s"},
    {"--max-replica-lag", "max_replica_lag", "throttle batches while a standby lags more (PostgreSQL)"},
    {"--throttle-query", "throttle_query", "throttle batches while this query returns true"},
    {"--summary-file", "summary_file",
     "also write the JSON result with its exit code here when datamig ends (env DATAMIG_SUMMARY_FILE)"},
    {"--targets", "targets", "run against every database listed in FILE (env DATAMIG_TARGETS)"},
    {"--schemas", "schemas", "run in every PostgreSQL schema whose name matches this LIKE pattern"},
    {"--jobs", "jobs", "how many targets run at once (default 1)"},
    {"--shard", "shard", "take only targets whose position modulo N is I, e.g. 0/4"},
    {"--canary", "canary", "run the first N targets alone first; stop if one fails"},
};

const std::vector<SettingFlag> migrate_setting_flags = {
    {"--batch-size", "batch_size", "rows per batch for batch migrations (overrides batch_size:)"},
    {"--pause", "pause", "pause between batches, e.g. 200ms (overrides pause:)"},
    {"--batch-time", "batch_time", "adapt the batch size so a batch takes about this long (overrides batch_time:)"},
    {"--exec-timeout", "exec_timeout", "kill an exec migration that runs longer than this"},
    {"--time-budget", "time_budget", "start no batch or migration after this long; the rest resumes next run"},
};

const std::vector<SettingFlag> check_setting_flags = {
    {"--schema-dir", "schema_dir", "schema migrations folder; versions or names used there are errors"},
    {"--large-table", "large_table",
     "with --db: warn of a non-batched UPDATE/DELETE of a table estimated above N rows (default 100000)"},
};

void SettingFlags::add(CLI::App& app, const std::vector<SettingFlag>& flags) {
    for (const auto& flag : flags) {
        auto& values = values_[flag.key];
        CLI::Option* option =
            flag.is_switch ? app.add_flag(flag.flag, flag.help) : app.add_option(flag.flag, values, flag.help);
        // Bound to a vector so repeatable flags keep every value; a plain setting takes one
        // value per occurrence and the last occurrence wins.
        if (!flag.repeatable && !flag.is_switch) option->expected(1)->take_last();
        bound_.push_back({&flag, option});
    }
}

RawSettings SettingFlags::collect() const {
    RawSettings raw;
    for (const auto& [flag, option] : bound_) {
        if (option->count() == 0) continue;
        raw[flag->key] = {flag->is_switch ? std::vector<std::string>{"true"} : values_.at(flag->key),
                          option->get_name()};
    }
    return raw;
}

}  // namespace datamig
