#include "datamig/settings.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void reject(const RawSetting& raw, const std::string& what) { throw UsageError(raw.origin + ": " + what); }

const std::string& single_value(const RawSetting& raw) {
    if (raw.values.size() != 1) reject(raw, "expects a single value");
    return raw.values.front();
}

const std::string& non_empty_value(const RawSetting& raw, const std::string& what) {
    const std::string& value = single_value(raw);
    if (value.empty()) reject(raw, what + " is empty");
    return value;
}

// "" is what the command line passes for a bare flag such as --wait.
bool to_bool(const RawSetting& raw) {
    const std::string& value = single_value(raw);
    if (value == "true" || value == "1" || value.empty()) return true;
    if (value == "false" || value == "0") return false;
    reject(raw, "expected true or false, got '" + value + "'");
}

template <typename Choice>
Choice to_choice(const RawSetting& raw, const std::string& what,
                 std::initializer_list<std::pair<std::string_view, Choice>> choices) {
    const std::string& value = single_value(raw);
    std::string names;
    for (const auto& [name, choice] : choices) {
        if (name == value) return choice;
        names += (names.empty() ? "" : ", ") + std::string(name);
    }
    reject(raw, "unknown " + what + " '" + value + "' (" + names + ")");
}

std::int64_t to_positive_integer(const RawSetting& raw, const std::string& what) {
    const std::string& value = single_value(raw);
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size() || number <= 0) {
        reject(raw, what + " must be a positive integer, got '" + value + "'");
    }
    return number;
}

// "I/N" with 0 <= I < N: a Kubernetes Indexed Job's completion index and its completions.
Shard to_shard(const RawSetting& raw) {
    const std::string& value = single_value(raw);
    const std::size_t slash = value.find('/');
    Shard shard;
    const auto number = [&](std::size_t from, std::size_t to, std::int64_t& out) {
        const auto [end, error] = std::from_chars(value.data() + from, value.data() + to, out);
        return error == std::errc() && end == value.data() + to && to > from;
    };
    if (slash == std::string::npos || !number(0, slash, shard.index) || !number(slash + 1, value.size(), shard.count) ||
        shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
        reject(raw, "expects I/N with 0 <= I < N (e.g. 0/4), got '" + value + "'");
    }
    return shard;
}

bool is_phase_name(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(),
                                        [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'; });
}

std::vector<std::string> to_phases(const RawSetting& raw) {
    if (raw.values.empty()) reject(raw, "list at least one phase");
    std::vector<std::string> phases;
    for (const std::string& name : raw.values) {
        if (!is_phase_name(name)) {
            reject(raw, "invalid phase name '" + name + "' (use lowercase letters, digits and '_')");
        }
        // The migrations root holds the project's templates next to the phase folders.
        if (name == "templates") reject(raw, "'templates' is reserved for migration templates");
        if (std::find(phases.begin(), phases.end(), name) != phases.end()) {
            reject(raw, "phase '" + name + "' is listed twice");
        }
        phases.push_back(name);
    }
    return phases;
}

std::vector<std::pair<std::string, std::string>> to_context(const RawSetting& raw) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const std::string& item : raw.values) {
        const auto equals = item.find('=');
        if (equals == std::string::npos || equals == 0) {
            reject(raw, "context must be KEY=VALUE, got '" + item + "'");
        }
        pairs.emplace_back(item.substr(0, equals), item.substr(equals + 1));
    }
    return pairs;
}

// The three sources in precedence order (SPEC §4: flag > environment > config file).
class SettingSources {
public:
    SettingSources(const RawSettings& flags, const RawSettings& environment, const RawSettings& config_file)
        : flags_(flags), environment_(environment), config_file_(config_file) {}

    const RawSetting* find(const std::string& key) const {
        for (const RawSettings* source : {&flags_, &environment_, &config_file_}) {
            const auto found = source->find(key);
            if (found != source->end() && !is_only_a_default(found->second)) return &found->second;
        }
        const auto fallback = environment_.find(key);
        return fallback == environment_.end() ? nullptr : &fallback->second;
    }

    // For duration messages: flags and variables name themselves, a config line does not.
    std::string describe(const std::string& key, const RawSetting& raw) const {
        const auto in_config = config_file_.find(key);
        const bool from_config = in_config != config_file_.end() && &in_config->second == &raw;
        return from_config ? key + " (" + raw.origin + ")" : raw.origin;
    }

    // verbose and quiet are one setting: the first source that sets either decides, so -q on
    // the command line overrides `verbose = true` in the config file.
    int verbosity() const {
        for (const RawSettings* source : {&flags_, &environment_, &config_file_}) {
            const auto verbose = source->find("verbose");
            const auto quiet = source->find("quiet");
            const bool has_verbose = verbose != source->end();
            const bool has_quiet = quiet != source->end();
            if (!has_verbose && !has_quiet) continue;
            const bool louder = has_verbose && to_bool(verbose->second);
            const bool quieter = has_quiet && to_bool(quiet->second);
            if (louder && quieter) {
                throw UsageError(verbose->second.origin + ", " + quiet->second.origin +
                                 ": verbose and quiet cannot be combined");
            }
            return louder ? 1 : quieter ? -1 : 0;
        }
        return 0;
    }

private:
    // $USER is the operator's default, not a setting (SPEC §4), so the config file beats it.
    static bool is_only_a_default(const RawSetting& raw) { return raw.origin == "USER"; }

    const RawSettings& flags_;
    const RawSettings& environment_;
    const RawSettings& config_file_;
};

// Many databases (SPEC §4). Scheduling settings without a target list would be silently ignored
// (an Indexed Job's pods would all migrate the one --database-url), so they are refused.
void resolve_many_targets(const SettingSources& sources, Settings& settings) {
    if (const auto* raw = sources.find("targets")) settings.targets_file = non_empty_value(*raw, "path");
    if (const auto* raw = sources.find("schemas")) settings.schemas = non_empty_value(*raw, "schema pattern");
    if (settings.targets_file && settings.schemas) {
        reject(*sources.find("schemas"), "cannot be combined with --targets (" + sources.find("targets")->origin +
                                             "): choose one list of targets");
    }
    // Each tenant's history lives in its schema: refused before any target runs (exit 2), also
    // when no schema matches.
    if (settings.schemas && settings.table.find('.') != std::string::npos) {
        const std::string why = "names a schema; with --schemas each tenant's history table lives in its own schema";
        reject(*sources.find("table"), "'" + settings.table + "' " + why);
    }
    if (const auto* raw = sources.find("jobs")) settings.jobs = to_positive_integer(*raw, "the number of jobs");
    if (const auto* raw = sources.find("shard")) settings.shard = to_shard(*raw);
    if (const auto* raw = sources.find("canary")) {
        settings.canary = single_value(*raw) == "0" ? 0 : to_positive_integer(*raw, "the canary count");
    }
    if (settings.many_targets()) return;
    for (const char* key : {"jobs", "shard", "canary"}) {
        if (const auto* raw = sources.find(key))
            reject(*raw, "needs --targets or --schemas (a list of targets to run)");
    }
}

}  // namespace

// Who runs datamig when neither DATAMIG_OPERATOR nor USER says (a container's entrypoint
// often sets neither).
std::string login_name() {
    const passwd* entry = getpwuid(geteuid());
    return entry != nullptr && entry->pw_name != nullptr ? entry->pw_name : "unknown";
}

RawSettings settings_from_environment(GetEnv get_variable) {
    RawSettings settings;
    const auto take = [&](const char* variable, const std::string& key) {
        const char* value = get_variable(variable);
        if (value == nullptr || *value == '\0') return false;
        settings[key] = RawSetting{{value}, variable};
        return true;
    };
    take("DATABASE_URL", "database_url");
    take("DATAMIG_DIR", "dir");
    take("DATAMIG_TABLE", "table");
    take("DATAMIG_LOG_FORMAT", "log_format");
    take("DATAMIG_SUMMARY_FILE", "summary_file");
    take("DATAMIG_TARGETS", "targets");
    if (!take("DATAMIG_OPERATOR", "operator")) take("USER", "operator");
    return settings;
}

std::optional<std::filesystem::path> choose_config_file(const std::optional<std::string>& flag, GetEnv get_variable) {
    if (flag) return std::filesystem::path(*flag);
    if (const char* variable = get_variable("DATAMIG_CONFIG"); variable && *variable != '\0') {
        return std::filesystem::path(variable);
    }
    const std::filesystem::path conventional = "datamig.toml";
    std::error_code ignored;
    if (std::filesystem::exists(conventional, ignored)) return conventional;
    return std::nullopt;
}

Settings resolve_settings(const RawSettings& flags, const RawSettings& environment, const RawSettings& config_file) {
    const SettingSources sources(flags, environment, config_file);
    Settings settings;
    const auto duration = [&](const std::string& key) -> std::optional<std::chrono::milliseconds> {
        const RawSetting* raw = sources.find(key);
        if (raw == nullptr) return std::nullopt;
        return parse_duration(single_value(*raw), sources.describe(key, *raw));
    };
    // A limit of 0 would stop every batch (or, for PostgreSQL's lock_timeout, mean "none"):
    // refused rather than guessed.
    const auto positive_duration = [&](const std::string& key) -> std::optional<std::chrono::milliseconds> {
        const auto value = duration(key);
        if (value && value->count() == 0) reject(*sources.find(key), "must be more than 0");
        return value;
    };

    if (const auto* raw = sources.find("database_url")) {
        settings.database_url = non_empty_value(*raw, "database URL");
    }
    if (const auto* raw = sources.find("dir")) settings.dir = non_empty_value(*raw, "path");
    if (const auto* raw = sources.find("table")) {
        const std::string& table = single_value(*raw);
        if (!is_valid_table_name(table)) {
            reject(*raw, "'" + table + "' is not a table name (use name or schema.name)");
        }
        settings.table = table;
    }
    if (const auto* raw = sources.find("phases")) settings.phases = to_phases(*raw);
    if (const auto* raw = sources.find("format")) {
        settings.format = to_choice<OutputFormat>(
            *raw, "format",
            {{"text", OutputFormat::text}, {"json", OutputFormat::json}, {"github", OutputFormat::github}});
    }
    if (const auto* raw = sources.find("log_format")) {
        settings.log_format =
            to_choice<LogFormat>(*raw, "log format", {{"text", LogFormat::text}, {"json", LogFormat::json}});
    }
    settings.verbosity = sources.verbosity();
    if (const auto* raw = sources.find("wait")) settings.wait = to_bool(*raw);
    settings.wait_timeout = duration("wait_timeout").value_or(settings.wait_timeout);
    settings.lock_wait = duration("lock_wait").value_or(settings.lock_wait);
    settings.statement_timeout = duration("statement_timeout");
    if (const auto* raw = sources.find("operator")) settings.operator_name = single_value(*raw);
    if (settings.operator_name.empty()) settings.operator_name = login_name();
    if (const auto* raw = sources.find("context")) settings.context = to_context(*raw);
    // 0 means "no limit", as PostgreSQL's statement_timeout = 0 does.
    settings.exec_timeout = duration("exec_timeout");
    if (settings.exec_timeout && settings.exec_timeout->count() == 0) settings.exec_timeout.reset();
    if (const auto* raw = sources.find("batch_size")) {
        settings.batch_size = to_positive_integer(*raw, "batch size");
    }
    settings.pause = duration("pause");
    settings.batch_time = positive_duration("batch_time");
    settings.time_budget = positive_duration("time_budget");
    settings.lock_timeout = positive_duration("lock_timeout");
    settings.max_replica_lag = positive_duration("max_replica_lag");
    if (const auto* raw = sources.find("summary_file")) settings.summary_file = non_empty_value(*raw, "path");
    if (const auto* raw = sources.find("throttle_query")) {
        settings.throttle_query = non_empty_value(*raw, "throttle query");
    }
    if (const auto* raw = sources.find("schema_dir")) {
        settings.schema_dir = non_empty_value(*raw, "path");
    }
    if (const auto* raw = sources.find("large_table")) settings.large_table = to_positive_integer(*raw, "row count");
    resolve_many_targets(sources, settings);
    return settings;
}

void require_known_phase(const std::vector<std::string>& phases, const std::optional<std::string>& phase) {
    if (!phase || std::find(phases.begin(), phases.end(), *phase) != phases.end()) return;
    std::string known;
    for (const auto& name : phases) known += (known.empty() ? "" : ", ") + name;
    throw UsageError("--phase: unknown phase '" + *phase + "' (phases: " + known + ")");
}

std::string context_json(const Settings& settings) {
    // ordered_json keeps the pairs in the order given; assigning a repeated key replaces
    // the earlier value in place.
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto& [key, value] : settings.context) object[key] = value;
    // A context value comes straight from the command line: replace invalid UTF-8 rather
    // than fail the run over a monitoring label.
    return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace datamig
