#include "datamig/settings.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include "support/temp_dir.hpp"

#include "datamig/error.hpp"

using datamig::RawSetting;
using datamig::RawSettings;
using datamig::Settings;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

namespace {

// settings_from_environment takes a plain function pointer, so the fake reads a global.
std::map<std::string, std::string> fake_environment;

const char* fake_getenv(const char* name) {
    const auto found = fake_environment.find(name);
    return found == fake_environment.end() ? nullptr : found->second.c_str();
}

template <typename Action>
std::string usage_error_of(Action action) {
    try {
        action();
    } catch (const datamig::UsageError& error) {
        return error.what();
    }
    FAIL("expected a UsageError");
    return {};
}

std::string resolve_error(const RawSettings& flags, const RawSettings& environment = {},
                          const RawSettings& config = {}) {
    return usage_error_of([&] { datamig::resolve_settings(flags, environment, config); });
}

Settings resolve(const RawSettings& flags, const RawSettings& environment = {}, const RawSettings& config = {}) {
    return datamig::resolve_settings(flags, environment, config);
}

RawSettings one(const std::string& key, const std::string& value, const std::string& origin) {
    return {{key, RawSetting{{value}, origin}}};
}

class WorkingDirectoryGuard {
public:
    explicit WorkingDirectoryGuard(const fs::path& directory) : previous_(fs::current_path()) {
        fs::current_path(directory);
    }
    ~WorkingDirectoryGuard() {
        std::error_code ignored;
        fs::current_path(previous_, ignored);
    }
    WorkingDirectoryGuard(const WorkingDirectoryGuard&) = delete;
    WorkingDirectoryGuard& operator=(const WorkingDirectoryGuard&) = delete;

private:
    fs::path previous_;
};

}  // namespace

// --- environment and config file choice -------------------------------------------------

TEST_CASE("environment: the variables of SPEC 4, named as origins", "[settings]") {
    fake_environment = {{"DATABASE_URL", "postgres://x"},   {"DATAMIG_DIR", "migrations"},
                        {"DATAMIG_TABLE", "history"},       {"DATAMIG_LOG_FORMAT", "json"},
                        {"DATAMIG_OPERATOR", "deploy-bot"}, {"USER", "alice"},
                        {"DATAMIG_FORMAT", "json"}};
    const RawSettings settings = datamig::settings_from_environment(fake_getenv);
    CHECK(settings.size() == 5);
    CHECK(settings.at("database_url").values.front() == "postgres://x");
    CHECK(settings.at("database_url").origin == "DATABASE_URL");
    CHECK(settings.at("dir").values.front() == "migrations");
    CHECK(settings.at("dir").origin == "DATAMIG_DIR");
    CHECK(settings.at("table").origin == "DATAMIG_TABLE");
    CHECK(settings.at("log_format").origin == "DATAMIG_LOG_FORMAT");
    CHECK(settings.at("operator").values.front() == "deploy-bot");
    CHECK(settings.at("operator").origin == "DATAMIG_OPERATOR");
}

TEST_CASE("environment: USER is the operator when DATAMIG_OPERATOR is unset", "[settings]") {
    fake_environment = {{"DATAMIG_OPERATOR", ""}, {"USER", "alice"}};
    const RawSettings settings = datamig::settings_from_environment(fake_getenv);
    CHECK(settings.at("operator").values.front() == "alice");
    CHECK(settings.at("operator").origin == "USER");
}

TEST_CASE("environment: empty variables count as unset", "[settings]") {
    fake_environment = {{"DATABASE_URL", ""}, {"DATAMIG_DIR", ""}, {"USER", ""}};
    CHECK(datamig::settings_from_environment(fake_getenv).empty());
}

TEST_CASE("choose_config_file: --config, then DATAMIG_CONFIG, then ./datamig.toml", "[settings]") {
    const datamig::test::TempDir directory;
    const WorkingDirectoryGuard inside(directory.path());
    fake_environment = {};
    CHECK(datamig::choose_config_file(std::nullopt, fake_getenv) == std::nullopt);

    datamig::test::write_file(directory.path() / "datamig.toml", "");
    CHECK(datamig::choose_config_file(std::nullopt, fake_getenv) == fs::path("datamig.toml"));

    fake_environment = {{"DATAMIG_CONFIG", "ci/datamig.toml"}};
    CHECK(datamig::choose_config_file(std::nullopt, fake_getenv) == fs::path("ci/datamig.toml"));

    CHECK(datamig::choose_config_file(std::string("other.toml"), fake_getenv) == fs::path("other.toml"));

    fake_environment = {{"DATAMIG_CONFIG", ""}};
    CHECK(datamig::choose_config_file(std::nullopt, fake_getenv) == fs::path("datamig.toml"));
}

TEST_CASE("choose_config_file returns --config even when the file is missing", "[settings]") {
    // read_config_file then reports it: a named config file that is absent is an error.
    fake_environment = {};
    CHECK(datamig::choose_config_file(std::string("/nonexistent/datamig.toml"), fake_getenv) ==
          fs::path("/nonexistent/datamig.toml"));
}

// --- resolve_settings ---------------------------------------------------------------------

TEST_CASE("resolve: defaults when no source sets anything", "[settings]") {
    const Settings settings = resolve({});
    CHECK(settings.database_url == "sqlite:db/datamig.sqlite3");
    CHECK(settings.dir == fs::path("db/data_migrations"));
    CHECK(settings.table == "data_migrations");
    CHECK(settings.phases == std::vector<std::string>{"pre_sync", "post_sync"});
    CHECK(settings.format == datamig::OutputFormat::text);
    CHECK(settings.log_format == datamig::LogFormat::text);
    CHECK(settings.verbosity == 0);
    CHECK_FALSE(settings.wait);
    CHECK(settings.wait_timeout == milliseconds(60'000));
    CHECK(settings.lock_wait == milliseconds(60'000));
    CHECK_FALSE(settings.statement_timeout);
    CHECK(settings.operator_name == datamig::login_name());
    CHECK(settings.context.empty());
    CHECK_FALSE(settings.exec_timeout);
    CHECK_FALSE(settings.batch_size);
    CHECK_FALSE(settings.pause);
    CHECK_FALSE(settings.schema_dir);
    CHECK(settings.large_table == 100'000);
}

TEST_CASE("resolve: flag beats environment beats config file", "[settings]") {
    const std::pair<std::string, std::string> keys[] = {
        {"database_url", "sqlite:"}, {"dir", "dir_"}, {"table", "table_"}, {"operator", "op_"}};
    for (const auto& [key, prefix] : keys) {
        INFO("key: " << key);
        const RawSettings flags = one(key, prefix + "flag", "--flag");
        const RawSettings environment = one(key, prefix + "env", "ENV");
        const RawSettings config = one(key, prefix + "config", "datamig.toml:1");
        const auto value_of = [&](const Settings& settings) -> std::string {
            if (key == "database_url") return settings.database_url;
            if (key == "dir") return settings.dir.string();
            if (key == "table") return settings.table;
            return settings.operator_name;
        };
        CHECK(value_of(resolve(flags, environment, config)) == prefix + "flag");
        CHECK(value_of(resolve({}, environment, config)) == prefix + "env");
        CHECK(value_of(resolve({}, {}, config)) == prefix + "config");
    }
}

TEST_CASE("resolve: precedence holds for converted settings too", "[settings]") {
    const RawSettings flags = one("lock_wait", "2s", "--lock-wait");
    const RawSettings config = one("lock_wait", "5m", "datamig.toml:1");
    CHECK(resolve(flags, {}, config).lock_wait == milliseconds(2000));
    CHECK(resolve({}, {}, config).lock_wait == milliseconds(300'000));

    const RawSettings environment = one("log_format", "json", "DATAMIG_LOG_FORMAT");
    CHECK(resolve(one("log_format", "text", "--log-format"), environment).log_format == datamig::LogFormat::text);
    CHECK(resolve({}, environment, one("log_format", "text", "datamig.toml:1")).log_format == datamig::LogFormat::json);
}

TEST_CASE("resolve: a config operator beats $USER, DATAMIG_OPERATOR beats the config", "[settings]") {
    const RawSettings config = one("operator", "ci", "datamig.toml:1");
    CHECK(resolve({}, one("operator", "alice", "USER"), config).operator_name == "ci");
    CHECK(resolve({}, one("operator", "alice", "USER")).operator_name == "alice");
    CHECK(resolve({}, one("operator", "bot", "DATAMIG_OPERATOR"), config).operator_name == "bot");
    CHECK(resolve(one("operator", "", "--operator")).operator_name == datamig::login_name());
}

TEST_CASE("resolve: converts every kind of setting", "[settings]") {
    const RawSettings flags = {
        {"format", {{"github"}, "--format"}},
        {"wait", {{""}, "--wait"}},
        {"wait_timeout", {{"90"}, "--wait-timeout"}},
        {"statement_timeout", {{"1.5s"}, "--statement-timeout"}},
        {"exec_timeout", {{"10m"}, "--exec-timeout"}},
        {"pause", {{"200ms"}, "--pause"}},
        {"batch_size", {{"500"}, "--batch-size"}},
        {"schema_dir", {{"db/migrate"}, "--schema-dir"}},
        {"context", {{"ticket=OPS-1", "query=a=b"}, "--context"}},
        {"phases", {{"pre_sync", "post_sync", "cleanup_2"}, "datamig.toml:2"}},
    };
    const Settings settings = resolve(flags);
    CHECK(settings.format == datamig::OutputFormat::github);
    CHECK(settings.wait);
    CHECK(settings.wait_timeout == milliseconds(90'000));
    CHECK(settings.statement_timeout == milliseconds(1500));
    CHECK(settings.exec_timeout == milliseconds(600'000));
    CHECK(settings.pause == milliseconds(200));
    CHECK(settings.batch_size == 500);
    CHECK(settings.schema_dir == fs::path("db/migrate"));
    CHECK(settings.phases == std::vector<std::string>{"pre_sync", "post_sync", "cleanup_2"});
    CHECK(settings.context == std::vector<std::pair<std::string, std::string>>{{"ticket", "OPS-1"}, {"query", "a=b"}});
}

TEST_CASE("resolve: booleans accept true/false/1/0", "[settings]") {
    CHECK(resolve(one("wait", "true", "datamig.toml:1")).wait);
    CHECK(resolve(one("wait", "1", "--wait")).wait);
    CHECK_FALSE(resolve(one("wait", "false", "datamig.toml:1")).wait);
    CHECK_FALSE(resolve(one("wait", "0", "--wait")).wait);
    CHECK(resolve_error(one("wait", "maybe", "--wait")) == "--wait: expected true or false, got 'maybe'");
}

TEST_CASE("resolve: verbose and quiet", "[settings]") {
    CHECK(resolve(one("verbose", "true", "--verbose")).verbosity == 1);
    CHECK(resolve(one("quiet", "true", "--quiet")).verbosity == -1);
    CHECK(resolve({}, {}, one("verbose", "false", "datamig.toml:1")).verbosity == 0);
    // The command line overrides the config file as a whole, not flag by flag.
    CHECK(resolve(one("quiet", "true", "--quiet"), {}, one("verbose", "true", "datamig.toml:1")).verbosity == -1);
    const RawSettings both = {{"verbose", {{"true"}, "--verbose"}}, {"quiet", {{"true"}, "--quiet"}}};
    CHECK(resolve_error(both) == "--verbose, --quiet: verbose and quiet cannot be combined");
}

TEST_CASE("resolve: every bad value names its origin", "[settings]") {
    CHECK(resolve_error(one("format", "yaml", "--format")) == "--format: unknown format 'yaml' (text, json, github)");
    CHECK(resolve_error({}, one("log_format", "xml", "DATAMIG_LOG_FORMAT")) ==
          "DATAMIG_LOG_FORMAT: unknown log format 'xml' (text, json)");
    CHECK(resolve_error({}, {}, one("log_format", "github", "datamig.toml:7")) ==
          "datamig.toml:7: unknown log format 'github' (text, json)");
    CHECK(resolve_error(one("table", "x;y", "--table")) ==
          "--table: 'x;y' is not a table name (use name or schema.name)");
    CHECK(resolve_error({}, one("table", "a.b.c", "DATAMIG_TABLE")) ==
          "DATAMIG_TABLE: 'a.b.c' is not a table name (use name or schema.name)");
    CHECK(resolve_error(one("database_url", "", "--database-url")) == "--database-url: database URL is empty");
    CHECK(resolve_error(one("dir", "", "--dir")) == "--dir: path is empty");
    CHECK(resolve_error(one("batch_size", "0", "--batch-size")) ==
          "--batch-size: batch size must be a positive integer, got '0'");
    CHECK(resolve_error(one("batch_size", "-3", "datamig.toml:4")) ==
          "datamig.toml:4: batch size must be a positive integer, got '-3'");
    CHECK(resolve_error(one("batch_size", "12abc", "--batch-size")) ==
          "--batch-size: batch size must be a positive integer, got '12abc'");
    CHECK(resolve_error(one("large_table", "0", "--large-table")) ==
          "--large-table: row count must be a positive integer, got '0'");
    CHECK(resolve_error(one("large_table", "1e6", "datamig.toml:2")) ==
          "datamig.toml:2: row count must be a positive integer, got '1e6'");
    CHECK(datamig::resolve_settings(one("large_table", "2500", "--large-table"), {}, {}).large_table == 2500);
    CHECK(resolve_error(RawSettings{{"format", {{"json", "text"}, "--format"}}}) == "--format: expects a single value");
}

TEST_CASE("resolve: bad durations name the flag, or the key and line of the config", "[settings]") {
    CHECK(resolve_error(one("lock_wait", "soon", "--lock-wait")) ==
          "invalid duration 'soon' for --lock-wait: use e.g. 200ms, 2s, 5m");
    CHECK(resolve_error({}, {}, one("pause", "5 minutes", "datamig.toml:4")) ==
          "invalid duration '5 minutes' for pause (datamig.toml:4): use e.g. 200ms, 2s, 5m");
    for (const char* key : {"wait_timeout", "statement_timeout", "exec_timeout"}) {
        CHECK_THROWS_AS(resolve(one(key, "-1s", "--x")), datamig::UsageError);
    }
}

TEST_CASE("resolve: phases must be unique lowercase names", "[settings]") {
    const auto phases = [](std::vector<std::string> names) {
        return RawSettings{{"phases", {std::move(names), "datamig.toml:3"}}};
    };
    CHECK(resolve_error(phases({})) == "datamig.toml:3: list at least one phase");
    CHECK(resolve_error(phases({"pre_sync", "PostSync"})) ==
          "datamig.toml:3: invalid phase name 'PostSync' (use lowercase letters, digits and '_')");
    CHECK(resolve_error(phases({"pre-sync"})) ==
          "datamig.toml:3: invalid phase name 'pre-sync' (use lowercase letters, digits and '_')");
    CHECK(resolve_error(phases({""})) ==
          "datamig.toml:3: invalid phase name '' (use lowercase letters, digits and '_')");
    CHECK(resolve_error(phases({"a", "b", "a"})) == "datamig.toml:3: phase 'a' is listed twice");
    CHECK(resolve_error(phases({"templates"})) == "datamig.toml:3: 'templates' is reserved for migration templates");
}

TEST_CASE("resolve: context pairs need a key", "[settings]") {
    const auto context = [](std::vector<std::string> items) {
        return RawSettings{{"context", {std::move(items), "--context"}}};
    };
    CHECK(resolve_error(context({"ticket"})) == "--context: context must be KEY=VALUE, got 'ticket'");
    CHECK(resolve_error(context({"=x"})) == "--context: context must be KEY=VALUE, got '=x'");
    const Settings settings = resolve(context({"empty=", "multi=line\nvalue", "q=\"x\""}));
    CHECK(settings.context ==
          std::vector<std::pair<std::string, std::string>>{{"empty", ""}, {"multi", "line\nvalue"}, {"q", "\"x\""}});
}

// --- context_json -------------------------------------------------------------------------

TEST_CASE("context_json: an empty context is an empty object", "[settings]") {
    CHECK(datamig::context_json(Settings{}) == "{}");
}

TEST_CASE("context_json keeps order and escapes quotes, newlines and semicolons", "[settings]") {
    Settings settings;
    settings.context = {{"ticket", "OPS-1"}, {"note", "say \"hi\"\nthen; DROP TABLE x; --"}, {"path", "C:\\tmp"}};
    const std::string json = datamig::context_json(settings);
    CHECK(json == R"({"ticket":"OPS-1","note":"say \"hi\"\nthen; DROP TABLE x; --","path":"C:\\tmp"})");
    const auto parsed = nlohmann::json::parse(json);
    CHECK(parsed.at("note") == "say \"hi\"\nthen; DROP TABLE x; --");
}

TEST_CASE("context_json: a later duplicate key overrides the earlier value", "[settings]") {
    Settings settings;
    settings.context = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    CHECK(datamig::context_json(settings) == R"({"a":"3","b":"2"})");
}

TEST_CASE("context_json replaces invalid UTF-8 instead of failing", "[settings]") {
    Settings settings;
    settings.context = {{"k", "bad\xFF"}};
    CHECK(datamig::context_json(settings) == "{\"k\":\"bad\xEF\xBF\xBD\"}");
}

TEST_CASE("resolve: an exec timeout of 0 means no limit", "[settings]") {
    CHECK_FALSE(resolve(one("exec_timeout", "0", "--exec-timeout")).exec_timeout.has_value());
    CHECK(resolve(one("exec_timeout", "2s", "--exec-timeout")).exec_timeout == std::chrono::milliseconds(2000));
}

TEST_CASE("require_known_phase names the phases when --phase is unknown", "[settings]") {
    const std::vector<std::string> phases = {"pre_sync", "post_sync"};
    CHECK_NOTHROW(datamig::require_known_phase(phases, std::nullopt));
    CHECK_NOTHROW(datamig::require_known_phase(phases, std::string("post_sync")));
    CHECK_THROWS_WITH(datamig::require_known_phase(phases, std::string("cleanup")),
                      "--phase: unknown phase 'cleanup' (phases: pre_sync, post_sync)");
}

TEST_CASE("resolve: many-target settings, and scheduling refused without a target list", "[settings]") {
    RawSettings flags = one("targets", "tenants.txt", "--targets");
    flags["jobs"] = RawSetting{{"8"}, "--jobs"};
    flags["shard"] = RawSetting{{"2/4"}, "--shard"};
    flags["canary"] = RawSetting{{"3"}, "--canary"};
    const Settings settings = resolve(flags);
    CHECK(settings.targets_file == fs::path("tenants.txt"));
    CHECK(settings.many_targets());
    CHECK(settings.jobs == 8);
    CHECK(settings.shard.index == 2);
    CHECK(settings.shard.count == 4);
    CHECK(settings.canary == 3);
    CHECK(resolve({}, one("targets", "t.txt", "DATAMIG_TARGETS")).targets_file == fs::path("t.txt"));
    CHECK(resolve(one("schemas", "tenant_%", "--schemas")).schemas == "tenant_%");

    for (const char* bad : {"4/4", "1", "a/2", "-1/2", "0/0", "1/2/3", "/2"}) {
        CAPTURE(bad);
        RawSettings with_shard = one("targets", "t.txt", "--targets");
        with_shard["shard"] = RawSetting{{bad}, "--shard"};
        CHECK(resolve_error(with_shard) ==
              std::string("--shard: expects I/N with 0 <= I < N (e.g. 0/4), got '") + bad + "'");
    }
    RawSettings zero_jobs = one("schemas", "t_%", "--schemas");
    zero_jobs["jobs"] = RawSetting{{"0"}, "--jobs"};
    CHECK(resolve_error(zero_jobs) == "--jobs: the number of jobs must be a positive integer, got '0'");
    CHECK(resolve_error(one("jobs", "4", "--jobs")) ==
          "--jobs: needs --targets or --schemas (a list of targets to run)");
    CHECK(resolve_error(one("shard", "0/2", "datamig.toml:3")) ==
          "datamig.toml:3: needs --targets or --schemas (a list of targets to run)");
    RawSettings qualified = one("schemas", "t_%", "--schemas");
    qualified["table"] = RawSetting{{"ops.data_migrations"}, "DATAMIG_TABLE"};
    CHECK(resolve_error(qualified) ==
          "DATAMIG_TABLE: 'ops.data_migrations' names a schema; with --schemas each "
          "tenant's history table lives in its own schema");
    RawSettings both = one("targets", "t.txt", "--targets");
    both["schemas"] = RawSetting{{"t_%"}, "--schemas"};
    CHECK(resolve_error(both) ==
          "--schemas: cannot be combined with --targets (--targets): choose one list of targets");
}
