#include "datamig/config_file.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/temp_dir.hpp"

using datamig::parse_config_text;
using datamig::RawSettings;
namespace fs = std::filesystem;

namespace {

std::string config_error(const std::string& text) {
    try {
        parse_config_text(text, "datamig.toml");
    } catch (const datamig::UsageError& error) {
        return error.what();
    }
    FAIL("expected a UsageError for: " << text);
    return {};
}

}  // namespace

TEST_CASE("config: keys, values, comments and blank lines", "[config_file]") {
    const RawSettings settings = parse_config_text(
        "# datamig settings\n"
        "\n"
        "database_url = \"postgres://app@db/app\"   # trailing comment\n"
        "  dir = 'db/data #1'\n"
        "lock-wait = \"30s\"\n"
        "batch_size = 1_000\n"
        "verbose = true\n"
        "wait=false\n"
        "phases = [\"pre_sync\", 'post_sync', \"cleanup\",]\n"
        "context = []\n",
        "datamig.toml");

    CHECK(settings.size() == 8);
    CHECK(settings.at("database_url").values == std::vector<std::string>{"postgres://app@db/app"});
    CHECK(settings.at("database_url").origin == "datamig.toml:3");
    CHECK(settings.at("dir").values == std::vector<std::string>{"db/data #1"});
    CHECK(settings.at("lock_wait").values == std::vector<std::string>{"30s"});
    CHECK(settings.at("lock_wait").origin == "datamig.toml:5");
    CHECK(settings.at("batch_size").values == std::vector<std::string>{"1000"});
    CHECK(settings.at("verbose").values == std::vector<std::string>{"true"});
    CHECK(settings.at("wait").values == std::vector<std::string>{"false"});
    CHECK(settings.at("phases").values == std::vector<std::string>{"pre_sync", "post_sync", "cleanup"});
    CHECK(settings.at("context").values.empty());
    CHECK(settings.at("context").origin == "datamig.toml:10");
}

TEST_CASE("config: basic strings understand the TOML escapes", "[config_file]") {
    const RawSettings settings = parse_config_text(R"(operator = "a\"b\\c\nd\te\u00e9\U0001F600\r\b\f")", "x.toml");
    CHECK(settings.at("operator").values.front() == "a\"b\\c\nd\te\xC3\xA9\xF0\x9F\x98\x80\r\b\f");
}

TEST_CASE("config: literal and multi-line strings", "[config_file]") {
    CHECK(parse_config_text(R"(schema_dir = 'C:\db\schema "x"')", "x.toml").at("schema_dir").values.front() ==
          R"(C:\db\schema "x")");
    CHECK(parse_config_text("dir = \"\"\"db/x\"\"\"", "x.toml").at("dir").values.front() == "db/x");
}

// toml++ 3.3.0 reached __builtin_unreachable() on these (config_file.cpp says why; the
// sanitizers of scripts/fuzz.sh and DATAMIG_SANITIZE builds stop there without the guard).
TEST_CASE("config: non-ASCII characters where whitespace may stand", "[config_file]") {
    // A line-ending backslash in a multi-line string, then U+00A7: valid TOML.
    const RawSettings settings = parse_config_text("operator = \"\"\"\\\n\xc2\xa7 ops\"\"\"\n", "datamig.toml");
    CHECK(settings.at("operator").values == std::vector<std::string>{"\xc2\xa7 ops"});
    // U+032A after a value, U+FE50 before a key: refused, naming the line.
    CHECK_THAT(config_error("batch_size = 1\xcc\xaa"), Catch::StartsWith("datamig.toml:1: "));
    CHECK_THAT(config_error("\n\xef\xb9\x90"
                            "dir = 'x'"),
               Catch::StartsWith("datamig.toml:2: "));
}

TEST_CASE("config: CRLF line ends and a byte order mark are accepted", "[config_file]") {
    const RawSettings settings =
        parse_config_text("\xEF\xBB\xBFtable = \"app.data_migrations\"\r\nformat = \"json\"\r\n", "x.toml");
    CHECK(settings.at("table").values.front() == "app.data_migrations");
    CHECK(settings.at("format").values.front() == "json");
    CHECK(settings.at("format").origin == "x.toml:2");
}

TEST_CASE("config: integers keep their sign", "[config_file]") {
    CHECK(parse_config_text("batch_size = -5", "x").at("batch_size").values.front() == "-5");
    CHECK(parse_config_text("batch_size = +5", "x").at("batch_size").values.front() == "5");
}

TEST_CASE("config: every TOML syntax error names file and line", "[config_file]") {
    // toml++ words the syntax errors; datamig puts the file and line in front of them.
    for (const auto& [text, line] : std::vector<std::pair<std::string, int>>{
             {"dir \"x\"", 1},
             {"= 'x'", 1},
             {"dir = # nothing", 1},
             {"# a\ndir = \"db/x", 2},
             {"dir = 'db/x", 1},
             {"dir = \"db\\x\"", 1},
             {"dir = \"\\uD800\"", 1},
             {"dir = \"x\" \"y\"", 1},
             {"\n\nwait = trueish", 3},
             {"dir = db/x", 1},
             {"batch_size = 1__000", 1},
             {"dir = 'a'\ndir = 'b'", 2},
             {"# fine\ndir = \"a\xff\"\n", 2},
             {std::string("exec_timeout = \"1.5\0\"\n", 22), 1},
         }) {
        INFO("text: " << text);
        CHECK_THAT(config_error(text), Catch::StartsWith("datamig.toml:" + std::to_string(line) + ": "));
    }
}

TEST_CASE("config: tables and dotted keys are refused with their line", "[config_file]") {
    CHECK(config_error("dir = 'x'\n\n[database]\nurl = 'y'\n") ==
          "datamig.toml:3: tables such as '[database]' or dotted keys are not supported; write 'key = value' lines");
    CHECK_THAT(config_error("database.url = 'y'\n"), Catch::StartsWith("datamig.toml:1: tables such as"));
}

TEST_CASE("config: a NUL escape is refused, tabs are fine", "[config_file]") {
    CHECK(config_error("operator = \"a\\u0000b\"\n") ==
          "datamig.toml:1: a NUL character (\\u0000) cannot be part of a setting");
    CHECK(parse_config_text("operator = \"tab\\there\"\t# tabs are fine\n", "datamig.toml").at("operator").values ==
          std::vector<std::string>{"tab\there"});
}

TEST_CASE("config: unknown settings list the known ones", "[config_file]") {
    CHECK(config_error("\n\ndatabase-uri = 'x'") ==
          "datamig.toml:3: unknown setting 'database-uri' (known: database_url, dir, table, phases, "
          "format, log_format, verbose, quiet, wait, wait_timeout, lock_wait, statement_timeout, "
          "operator, context, exec_timeout, batch_size, pause, schema_dir, batch_time, lock_timeout, "
          "max_replica_lag, throttle_query, time_budget, summary_file, targets, schemas, jobs, shard, canary, "
          "large_table)");
}

TEST_CASE("config: a key set twice is refused, whichever spelling, naming the later line", "[config_file]") {
    CHECK(config_error("lock_wait = '1s'\nlock-wait = '2s'") ==
          "datamig.toml:2: duplicate setting 'lock-wait' (already set at datamig.toml:1)");
    // toml::table iterates in key order ("lock-wait" < "lock_wait"): the file's order must win.
    CHECK(config_error("lock-wait = '1s'\nlock_wait = '2s'") ==
          "datamig.toml:2: duplicate setting 'lock_wait' (already set at datamig.toml:1)");
}

TEST_CASE("config: values must have the setting's type", "[config_file]") {
    CHECK(config_error("verbose = \"yes\"") == "datamig.toml:1: 'verbose' must be true or false");
    CHECK(config_error("phases = \"pre_sync\"") ==
          "datamig.toml:1: 'phases' must be an array of strings, e.g. [\"a\", \"b\"]");
    CHECK(config_error("phases = [\"a\", 1]") ==
          "datamig.toml:1: 'phases' must be an array of strings, e.g. [\"a\", \"b\"]");
    CHECK(config_error("dir = [\"a\"]") == "datamig.toml:1: 'dir' takes a single value, not an array");
    CHECK(config_error("wait_timeout = 1.5") ==
          "datamig.toml:1: fractional numbers, dates and times are not supported; write durations as strings, "
          "e.g. \"1.5s\"");
    CHECK_THAT(config_error("pause = 2026-11-30"), Catch::StartsWith("datamig.toml:1: fractional numbers, dates"));
}

TEST_CASE("read_config_file labels origins with the file's path", "[config_file]") {
    const datamig::test::TempDir directory;
    const fs::path file = datamig::test::write_file(directory.path() / "datamig.toml", "# x\ntable = 'history'\n");
    const RawSettings settings = datamig::read_config_file(file);
    CHECK(settings.at("table").values.front() == "history");
    CHECK(settings.at("table").origin == file.string() + ":2");
}

TEST_CASE("read_config_file names a file it cannot read", "[config_file]") {
    const datamig::test::TempDir directory;
    const fs::path missing = directory.path() / "missing.toml";
    CHECK_THROWS_WITH(datamig::read_config_file(missing),
                      "cannot read config file " + missing.string() + ": No such file or directory");
    CHECK_THROWS_WITH(datamig::read_config_file(directory.path()),
                      "cannot read config file " + directory.path().string() + ": it is a directory");
}
