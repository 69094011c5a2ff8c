#pragma once
// Settings from flags, environment and datamig.toml, with the precedence of SPEC §4:
// flag > environment > config file > default. Each source is reduced to raw strings keyed by
// the long flag name with '_' (so "lock-wait" and "lock_wait" are one key); resolve_settings
// then converts once, naming the source of a bad value in its error.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace datamig {

enum class OutputFormat { text, json, github };

// --shard I/N (SPEC §4, many databases): this process takes the targets whose 0-based position
// modulo `count` is `index`.
struct Shard {
    std::int64_t index = 0;
    std::int64_t count = 1;
};
enum class LogFormat { text, json };

struct Settings {
    std::string database_url = "sqlite:db/datamig.sqlite3";
    std::filesystem::path dir = "db/data_migrations";
    std::string table = "data_migrations";
    std::vector<std::string> phases = {"pre_sync", "post_sync"};
    OutputFormat format = OutputFormat::text;
    LogFormat log_format = LogFormat::text;
    int verbosity = 0;  // -1 quiet, 0 normal, 1 verbose
    bool wait = false;
    std::chrono::milliseconds wait_timeout{60'000};
    std::chrono::milliseconds lock_wait{60'000};
    std::optional<std::chrono::milliseconds> statement_timeout;
    std::string operator_name;
    std::vector<std::pair<std::string, std::string>> context;  // --context K=V, in order
    std::optional<std::chrono::milliseconds> exec_timeout;
    std::optional<std::int64_t> batch_size;
    std::optional<std::chrono::milliseconds> pause;
    std::optional<std::chrono::milliseconds> batch_time;   // --batch-time: adaptive batch size
    std::optional<std::chrono::milliseconds> time_budget;  // migrate --time-budget (SPEC §2)
    // Batches under live traffic (SPEC §2).
    std::optional<std::chrono::milliseconds> lock_timeout;
    std::optional<std::chrono::milliseconds> max_replica_lag;
    std::optional<std::string> throttle_query;
    std::optional<std::filesystem::path> summary_file;  // --summary-file (SPEC §4, §8)
    std::optional<std::filesystem::path> schema_dir;
    // check --db: a non-batched UPDATE/DELETE of a table estimated above this many rows is
    // large-unbatched (SPEC §4).
    std::int64_t large_table = 100'000;
    // Many databases (SPEC §4): where the targets come from, and how they are run.
    std::optional<std::filesystem::path> targets_file;  // --targets, DATAMIG_TARGETS
    std::optional<std::string> schemas;                 // --schemas: a LIKE pattern
    std::int64_t jobs = 1;
    Shard shard;
    std::int64_t canary = 0;
    // Of one target of a --schemas run: the schema its connection's search_path is set to.
    std::optional<std::string> search_path;

    bool many_targets() const { return targets_file.has_value() || schemas.has_value(); }
};

// One raw value and where it came from ("--lock-wait", "DATAMIG_DIR", "datamig.toml:3").
struct RawSetting {
    std::vector<std::string> values;  // one element, or several for arrays/repeated flags
    std::string origin;
};
using RawSettings = std::map<std::string, RawSetting>;  // key: "lock_wait", "database_url", ...

// The environment variables of SPEC §4 that are set: DATABASE_URL, DATAMIG_DIR,
// DATAMIG_TABLE, DATAMIG_LOG_FORMAT, DATAMIG_SUMMARY_FILE, DATAMIG_TARGETS, DATAMIG_OPERATOR
// (falling back to USER).
// `getenv` is injectable for tests.
using GetEnv = const char* (*)(const char*);
RawSettings settings_from_environment(GetEnv getenv);

// The login name of the effective user ("unknown" if there is none): the operator when neither
// --operator, DATAMIG_OPERATOR nor USER names one.
std::string login_name();

// Which config file to read: --config, else DATAMIG_CONFIG, else "datamig.toml" when it
// exists in the working directory. nullopt: none.
std::optional<std::filesystem::path> choose_config_file(const std::optional<std::string>& flag, GetEnv getenv);

// Merges flag > env > config over the defaults and converts. Throws UsageError naming the
// origin of the first bad value (unknown format, bad duration, bad table name, ...).
Settings resolve_settings(const RawSettings& flags, const RawSettings& environment, const RawSettings& config_file);

// Throws UsageError naming the known phases when `phase` (a --phase value) is set and not one
// of `phases`.
void require_known_phase(const std::vector<std::string>& phases, const std::optional<std::string>& phase);

// The context pairs as a JSON object text, e.g. {"ticket":"OPS-1"}.
std::string context_json(const Settings& settings);

}  // namespace datamig
