// Settings from datamig.toml, the environment and flags, their precedence, and the log
// and output streams (SPEC §4, §8).
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

const std::string touch_items = "-- migrate:up\nUPDATE items SET v = 'x';\n";

void create_items(const Project& project) {
    project.execute("CREATE TABLE items (id integer primary key, v text); INSERT INTO items (id, v) VALUES (1, 'a');");
}

bool is_postgres() { return suite_database_kind() == "postgres"; }

// Every non-empty stderr line parses as a JSON object with a message.
void require_json_lines(const std::string& err) {
    std::istringstream lines(err);
    int count = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        CAPTURE(line);
        ++count;
        nlohmann::json entry;
        REQUIRE_NOTHROW(entry = nlohmann::json::parse(line));
        CHECK(entry.is_object());
        CHECK(entry.contains("message"));
    }
    CHECK(count > 0);
}

}  // namespace

TEST_CASE("datamig.toml in the working directory sets dir and table", "[config]") {
    Project project;
    create_items(project);
    project.write("datamig.toml", "# project settings\ndir = \"migs\"\ntable = \"custom_history\"\n");
    project.write_sql("pre_sync", "20240101000001", "ignored", touch_items);
    project.write("migs/pre_sync/20240101000002_configured.sql", touch_items);

    REQUIRE(project.run({"migrate"}).exit_code == 0);
    CHECK(project.rows("SELECT version FROM custom_history") == std::vector<std::string>{"20240101000002"});
    CHECK(project.table_exists("custom_history_events"));
    CHECK_FALSE(project.table_exists("data_migrations"));
}

TEST_CASE("the environment overrides the config file, a flag overrides both", "[config]") {
    Project project;
    create_items(project);
    project.write("datamig.toml", "table = \"from_config\"\n");
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);

    SECTION("DATAMIG_TABLE beats datamig.toml") {
        REQUIRE(project.run({"migrate"}, {{"DATAMIG_TABLE", "from_env"}}).exit_code == 0);
        CHECK(project.table_exists("from_env"));
        CHECK_FALSE(project.table_exists("from_config"));
    }
    SECTION("--table beats DATAMIG_TABLE") {
        REQUIRE(project.run({"migrate", "--table", "from_flag"}, {{"DATAMIG_TABLE", "from_env"}}).exit_code == 0);
        CHECK(project.table_exists("from_flag"));
        CHECK_FALSE(project.table_exists("from_env"));
        CHECK_FALSE(project.table_exists("from_config"));
    }
}

TEST_CASE("datamig.toml may set the database URL (with dashes in the key), the environment beats it", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    const std::string unreachable = "postgres://nobody@127.0.0.1:1/nowhere?connect_timeout=2";

    SECTION("from the file alone") {
        project.write("datamig.toml", "database-url = \"" + project.database_url() + "\"\n");
        CHECK(project.run({"migrate"}, {{"DATABASE_URL", ""}}).exit_code == 0);
        CHECK(project.value("SELECT count(*) FROM data_migrations") == "1");
    }
    SECTION("DATABASE_URL wins over the file") {
        project.write("datamig.toml", "database_url = \"" + unreachable + "\"\n");
        CHECK(project.run({"migrate"}).exit_code == 0);
        CHECK(project.value("SELECT count(*) FROM data_migrations") == "1");
    }
}

TEST_CASE("--config and DATAMIG_CONFIG name the config file", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    project.write("deploy/flag.toml", "table = \"from_flag_file\"\n");
    project.write("deploy/env.toml", "table = \"from_env_file\"\n");
    project.write("datamig.toml", "table = \"from_default_file\"\n");

    SECTION("--config") {
        REQUIRE(project.run({"migrate", "--config", "deploy/flag.toml"}, {{"DATAMIG_CONFIG", "deploy/env.toml"}})
                    .exit_code == 0);
        CHECK(project.table_exists("from_flag_file"));
    }
    SECTION("DATAMIG_CONFIG") {
        REQUIRE(project.run({"migrate"}, {{"DATAMIG_CONFIG", "deploy/env.toml"}}).exit_code == 0);
        CHECK(project.table_exists("from_env_file"));
    }
    CHECK_FALSE(project.table_exists("from_default_file"));
    CHECK(project.run({"migrate", "--config", "deploy/none.toml"}).exit_code == 2);
}

TEST_CASE("the config file may declare other phases, run in its order", "[config]") {
    Project project;
    create_items(project);
    project.execute("CREATE TABLE run_log (id integer primary key, v text);");
    project.write("datamig.toml", "phases = [\"pre_sync\", \"post_sync\", \"cleanup\"]\n");
    const auto log = [](const std::string& label) {
        return "-- migrate:up\nINSERT INTO run_log (id, v) SELECT count(*) + 1, '" + label + "' FROM run_log;\n";
    };
    project.write_sql("cleanup", "20240101000001", "tidy", log("cleanup"));
    project.write_sql("post_sync", "20240101000002", "later", log("post_sync"));
    project.write_sql("pre_sync", "20240101000003", "first", log("pre_sync"));

    REQUIRE(project.run({"migrate"}).exit_code == 0);
    CHECK(project.rows("SELECT v FROM run_log ORDER BY id") ==
          std::vector<std::string>{"pre_sync", "post_sync", "cleanup"});
    CHECK(project.value("SELECT phase FROM data_migrations WHERE version = '20240101000001'") == "cleanup");
    const auto generated = project.run({"generate", "more_cleanup", "--phase", "cleanup"});
    CHECK(generated.exit_code == 0);
    CHECK(generated.out.find("cleanup/") != std::string::npos);
}

TEST_CASE("DATAMIG_OPERATOR beats USER, --operator beats both", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    project.write_sql("pre_sync", "20240101000002", "two", touch_items);
    REQUIRE(project.run({"migrate", "--limit", "1"}, {{"DATAMIG_OPERATOR", "argo"}}).exit_code == 0);
    REQUIRE(project.run({"migrate", "--operator", "alice"}, {{"DATAMIG_OPERATOR", "argo"}}).exit_code == 0);
    CHECK(project.rows("SELECT operator FROM data_migrations ORDER BY version") ==
          std::vector<std::string>{"argo", "alice"});
}

TEST_CASE("-q leaves only warnings and errors on stderr", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    const auto result = project.run({"migrate", "-q"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.find("info") == std::string::npos);
    CHECK(result.err.find("applying") == std::string::npos);
}

TEST_CASE("--database-url beats DATABASE_URL", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    const auto result = project.run({"migrate", "--database-url", project.database_url()},
                                    {{"DATABASE_URL", "postgres://nobody@127.0.0.1:1/nowhere?connect_timeout=2"}});
    CHECK(result.exit_code == 0);
    CHECK(project.value("SELECT count(*) FROM data_migrations") == "1");
}

TEST_CASE("global flags may stand before or after the command", "[config]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    const auto after = project.run({"status", "--format", "json", "--table", "history"});
    const auto before = project.run({"--format", "json", "--table", "history", "status"});
    REQUIRE(after.exit_code == 0);
    REQUIRE(before.exit_code == 0);
    CHECK(after.json() == before.json());
    CHECK(after.json().at("pending") == 1);

    create_items(project);
    REQUIRE(project.run({"--table", "history", "migrate", "--format", "json"}).exit_code == 0);
    CHECK(project.value("SELECT count(*) FROM history") == "1");
}

TEST_CASE("--table may name a schema", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    const std::string schema = is_postgres() ? "audit" : "main";
    if (is_postgres()) project.execute("CREATE SCHEMA audit;");

    REQUIRE(project.run({"migrate", "--table", schema + ".history"}).exit_code == 0);
    CHECK(project.value("SELECT version FROM " + schema + ".history") == "20240101000001");
    CHECK(project.value("SELECT event FROM " + schema + ".history_events") == "apply");
    CHECK(project.run({"status", "--table", schema + ".history", "--exit-code"}).exit_code == 0);
}

TEST_CASE("bad settings are usage errors", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);

    SECTION("a table name that is not an identifier") {
        const auto result = project.run({"migrate", "--table", "x;drop"});
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("x;drop") != std::string::npos);
    }
    SECTION("an unknown flag") { CHECK(project.run({"migrate", "--frobnicate"}).exit_code == 2); }
    SECTION("an unknown command") { CHECK(project.run({"frobnicate"}).exit_code == 2); }
    SECTION("an unknown key in datamig.toml, named with file and line") {
        project.write("datamig.toml", "dir = \"db/data_migrations\"\nfrobnicate = true\n");
        const auto result = project.run({"migrate"});
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("datamig.toml:2") != std::string::npos);
        CHECK(result.err.find("frobnicate") != std::string::npos);
    }
    SECTION("an unsupported URL scheme") {
        CHECK(project.run({"migrate", "--database-url", "mysql://localhost/x"}).exit_code == 2);
    }
    SECTION("a malformed --context") { CHECK(project.run({"migrate", "--context", "no-equals-sign"}).exit_code == 2); }
    SECTION("--format github outside check") { CHECK(project.run({"migrate", "--format", "github"}).exit_code == 2); }
    SECTION("--limit 0") { CHECK(project.run({"migrate", "--limit", "0"}).exit_code == 2); }
    SECTION("a duration too long to represent, which once wrapped around to none") {
        for (const auto& [flag, value] : {std::pair{"--pause", "2562048h"}, {"--lock-wait", "9223372036854775807ms"}}) {
            const auto result = project.run({"migrate", flag, value});
            INFO(result.err);
            CHECK(result.exit_code == 2);
            CHECK(result.err.find(std::string(flag) + " is too long") != std::string::npos);
        }
    }
    SECTION("an empty value names the flag, also written --flag= before the command") {
        for (const auto& args : {std::vector<std::string>{"migrate", "--lock-wait", ""},
                                 std::vector<std::string>{"--lock-wait", "", "migrate"},
                                 std::vector<std::string>{"--lock-wait=", "migrate"}}) {
            const auto result = project.run(args);
            INFO(result.err);
            CHECK(result.exit_code == 2);
            CHECK(result.err.find("--lock-wait") != std::string::npos);
            CHECK(result.err.find("empty value") != std::string::npos);
        }
    }
    SECTION("a missing migrations directory") {
        const auto result = project.run({"migrate", "--dir", "no/such/dir"});
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("no/such/dir") != std::string::npos);
    }
    if (project.table_exists("data_migrations")) CHECK(project.value("SELECT count(*) FROM data_migrations") == "0");
    CHECK(project.value("SELECT v FROM items") == "a");
}

TEST_CASE("--log-format json writes one JSON object per stderr line", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);

    SECTION("on success") {
        const auto result = project.run({"migrate", "--log-format", "json", "-v"});
        REQUIRE(result.exit_code == 0);
        require_json_lines(result.err);
    }
    SECTION("from DATAMIG_LOG_FORMAT") {
        const auto result = project.run({"migrate"}, {{"DATAMIG_LOG_FORMAT", "json"}});
        REQUIRE(result.exit_code == 0);
        require_json_lines(result.err);
    }
    SECTION("on failure, the final error too") {
        project.write_sql("pre_sync", "20240101000002", "broken", "-- migrate:up\nUPDATE no_such_table SET v = 'x';\n");
        const auto result = project.run({"migrate", "--log-format", "json"});
        CHECK(result.exit_code == 1);
        require_json_lines(result.err);
    }
}

TEST_CASE("logs never reach stdout", "[config]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", touch_items);
    const auto result = project.run({"migrate", "--format", "json", "-v"});
    REQUIRE(result.exit_code == 0);
    CHECK_FALSE(result.err.empty());
    CHECK(result.json().at("applied").size() == 1);

    // A failed run still prints one document: what it applied before the failure.
    project.write_sql("pre_sync", "20240101000002", "two", touch_items);
    project.write_sql("pre_sync", "20240101000003", "broken", "-- migrate:up\nUPDATE no_such_table SET v = 'x';\n");
    const auto failed = project.run({"migrate", "--format", "json", "-v"});
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("no_such_table") != std::string::npos);
    const auto document = failed.json();
    REQUIRE(document.at("applied").size() == 1);
    CHECK(document.at("applied").at(0).at("version") == "20240101000002");
}

}  // namespace datamig::test
