// `datamig rollback`: apply order, --steps/--to/--only, irreversible migrations, events and
// dry runs (SPEC §2, §4, §5).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

// Each migration adds its label to `marks` on the way up and removes it on the way down.
std::string reversible(const std::string& label) {
    return "-- migrate:up\nINSERT INTO marks (v) VALUES ('" + label +
           "');\n\n"
           "-- migrate:down\nDELETE FROM marks WHERE v = '" +
           label + "';\n";
}

std::string irreversible(const std::string& label) {
    return "-- migrate:up\nINSERT INTO marks (v) VALUES ('" + label + "');\n";
}

// Three applied migrations, oldest version first, applied in version order.
void three_applied(Project& project) {
    project.execute("CREATE TABLE marks (v text primary key);");
    project.write_sql("pre_sync", "20240101000001", "one", reversible("one"));
    project.write_sql("pre_sync", "20240101000002", "two", reversible("two"));
    project.write_sql("post_sync", "20240101000003", "three", reversible("three"));
    REQUIRE(project.run({"migrate"}).exit_code == 0);
}

std::vector<std::string> marks(const Project& project) { return project.rows("SELECT v FROM marks ORDER BY v"); }

std::vector<std::string> recorded(const Project& project) {
    return project.rows("SELECT version FROM data_migrations ORDER BY version");
}

std::vector<std::string> rolled_back(const RunResult& result) {
    std::vector<std::string> versions;
    const auto document = result.json();
    for (const auto& entry : document.at("rolled_back")) versions.push_back(entry.at("version").get<std::string>());
    return versions;
}

}  // namespace

TEST_CASE("rollback undoes the last applied migration, in apply order not version order", "[rollback]") {
    Project project;
    project.execute("CREATE TABLE marks (v text primary key);");
    project.write_sql("pre_sync", "20240101000001", "older", reversible("older"));
    project.write_sql("pre_sync", "20240101000002", "newer", reversible("newer"));
    REQUIRE(project.run({"migrate", "--only", "20240101000002"}).exit_code == 0);
    REQUIRE(project.run({"migrate", "--only", "20240101000001"}).exit_code == 0);

    const auto result = project.run({"rollback", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(rolled_back(result) == std::vector<std::string>{"20240101000001"});
    const auto document = result.json();
    CHECK(document.at("dry_run") == false);
    const auto& entry = document.at("rolled_back").at(0);
    CHECK(entry.at("phase") == "pre_sync");
    CHECK(entry.at("name") == "older");
    CHECK(entry.at("rows_affected") == 1);
    CHECK(entry.size() == 5);
    CHECK(marks(project) == std::vector<std::string>{"newer"});
    CHECK(recorded(project) == std::vector<std::string>{"20240101000002"});
    CHECK(project.rows("SELECT event, version FROM data_migrations_events WHERE event = 'rollback'") ==
          std::vector<std::string>{"rollback|20240101000001"});
    CHECK(project.value("SELECT count(*) FROM data_migrations_events WHERE event = 'rollback' AND operator = 'e2e' "
                        "AND at IS NOT NULL") == "1");
}

TEST_CASE("rollback --steps, --to and --only choose what is undone", "[rollback]") {
    Project project;
    three_applied(project);

    SECTION("--steps 2 undoes the last two") {
        const auto result = project.run({"rollback", "--steps", "2", "--format", "json"});
        REQUIRE(result.exit_code == 0);
        CHECK(rolled_back(result) == std::vector<std::string>{"20240101000003", "20240101000002"});
        CHECK(marks(project) == std::vector<std::string>{"one"});
        CHECK(recorded(project) == std::vector<std::string>{"20240101000001"});
        CHECK(project.value("SELECT count(*) FROM data_migrations_events WHERE event = 'rollback'") == "2");
    }
    SECTION("--to V undoes everything after V and leaves V applied") {
        REQUIRE(project.run({"rollback", "--to", "20240101000001"}).exit_code == 0);
        CHECK(marks(project) == std::vector<std::string>{"one"});
        CHECK(recorded(project) == std::vector<std::string>{"20240101000001"});
    }
    SECTION("--only V undoes just V") {
        REQUIRE(project.run({"rollback", "--only", "20240101000002"}).exit_code == 0);
        CHECK(marks(project) == std::vector<std::string>{"one", "three"});
        CHECK(recorded(project) == std::vector<std::string>{"20240101000001", "20240101000003"});
    }
    SECTION("--phase limits the choice to one phase") {
        REQUIRE(project.run({"rollback", "--phase", "pre_sync"}).exit_code == 0);
        CHECK(recorded(project) == std::vector<std::string>{"20240101000001", "20240101000003"});
    }
    SECTION("a rolled-back migration is pending again and migrate re-applies it") {
        REQUIRE(project.run({"rollback"}).exit_code == 0);
        const auto again = project.run({"migrate", "--format", "json"});
        REQUIRE(again.exit_code == 0);
        CHECK(again.json().at("applied").at(0).at("version") == "20240101000003");
        CHECK(marks(project) == std::vector<std::string>{"one", "three", "two"});
    }
}

TEST_CASE("rollback --dry-run shows the plan and changes nothing", "[rollback]") {
    Project project;
    three_applied(project);
    const auto result = project.run({"rollback", "--steps", "2", "--dry-run", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.json().at("dry_run") == true);
    CHECK(rolled_back(result) == std::vector<std::string>{"20240101000003", "20240101000002"});
    CHECK(marks(project) == std::vector<std::string>{"one", "three", "two"});
    CHECK(recorded(project).size() == 3);
    CHECK(project.value("SELECT count(*) FROM data_migrations_events WHERE event = 'rollback'") == "0");
}

TEST_CASE("an irreversible migration is refused and nothing is rolled back", "[rollback]") {
    Project project;
    project.execute("CREATE TABLE marks (v text primary key);");

    SECTION("when it is the one to roll back") {
        project.write_sql("pre_sync", "20240101000001", "one", reversible("one"));
        project.write_sql("pre_sync", "20240101000002", "final", irreversible("final"));
        REQUIRE(project.run({"migrate"}).exit_code == 0);
        const auto result = project.run({"rollback"});
        CHECK(result.exit_code == 1);
        CHECK(result.err.find("irreversible") != std::string::npos);
        CHECK(result.err.find("20240101000002_final.sql") != std::string::npos);
    }
    SECTION("when it is the second of --steps 2") {
        project.write_sql("pre_sync", "20240101000001", "final", irreversible("final"));
        project.write_sql("pre_sync", "20240101000002", "one", reversible("one"));
        REQUIRE(project.run({"migrate"}).exit_code == 0);
        const auto result = project.run({"rollback", "--steps", "2"});
        CHECK(result.exit_code == 1);
        CHECK(result.err.find("20240101000001_final.sql") != std::string::npos);
    }
    CHECK(marks(project) == std::vector<std::string>{"final", "one"});
    CHECK(recorded(project).size() == 2);
    CHECK(project.value("SELECT count(*) FROM data_migrations_events WHERE event = 'rollback'") == "0");
}

TEST_CASE("a failing down keeps the migration applied and records a failure", "[rollback]") {
    Project project;
    project.execute("CREATE TABLE marks (v text primary key);");
    project.write_sql("pre_sync", "20240101000001", "bad_down",
                      "-- migrate:up\nINSERT INTO marks (v) VALUES ('bad_down');\n\n"
                      "-- migrate:down\nDELETE FROM marks;\nDELETE FROM no_such_table;\n");
    REQUIRE(project.run({"migrate"}).exit_code == 0);
    const auto result = project.run({"rollback"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("20240101000001_bad_down.sql:6") != std::string::npos);
    CHECK(marks(project) == std::vector<std::string>{"bad_down"});
    CHECK(recorded(project) == std::vector<std::string>{"20240101000001"});
    CHECK(project.rows("SELECT event FROM data_migrations_events ORDER BY id") ==
          std::vector<std::string>{"apply", "fail"});
}

TEST_CASE("rollback refuses conflicting selectors", "[rollback]") {
    Project project;
    three_applied(project);
    CHECK(project.run({"rollback", "--steps", "2", "--to", "20240101000001"}).exit_code == 2);
    CHECK(project.run({"rollback", "--steps", "0"}).exit_code == 2);
    CHECK(recorded(project).size() == 3);
}

TEST_CASE("rolling back a version that is not applied is refused", "[rollback]") {
    Project project;
    three_applied(project);
    const auto result = project.run({"rollback", "--only", "20250101000000"});
    CHECK(result.exit_code != 0);
    CHECK(result.err.find("20250101000000") != std::string::npos);
    CHECK(recorded(project).size() == 3);
}

TEST_CASE("rollback with nothing applied does nothing", "[rollback]") {
    Project project;
    const auto result = project.run({"rollback", "--format", "json"});
    CHECK(result.exit_code == 0);
    CHECK(result.json().at("rolled_back") == nlohmann::json::array());
}

}  // namespace datamig::test
