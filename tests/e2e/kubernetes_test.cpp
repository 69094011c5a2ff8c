// Running under Kubernetes (SPEC §2 time budgets, pause and resume, §4/§8 --summary-file), on
// the suite's database: what a hook Job, a CronJob and an operator during an incident rely on.
#include <signal.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

constexpr const char* version = "20260101000000";
constexpr const char* later = "20260102000000";

// 2,000 items walked in batches of 100 with a pause: about 4 s of work, long enough to be cut
// short by a budget or a pause, with a later plain migration behind it.
void write_project(Project& project, const std::string& pause = "200ms") {
    project.execute(
        "CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);\n"
        "CREATE TABLE later_ran (x INTEGER);\n"
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 2000)\n"
        "INSERT INTO items (id) SELECT i FROM seq;\n");
    project.write_sql("post_sync", version, "backfill",
                      fmt::format("-- migrate:up batch:range key:items.id batch_size:100 pause:{}\n"
                                  "UPDATE items SET n = n + 1 WHERE id BETWEEN :batch_start AND :batch_last;\n",
                                  pause));
    project.write_sql("post_sync", later, "after", "-- migrate:up\nINSERT INTO later_ran VALUES (1);\n");
}

int done_items(const Project& project) { return project.count("SELECT count(*) FROM items WHERE n = 1"); }

std::string state_of(const Project& project, const std::string& which) {
    const auto document = project.run({"status", "--format", "json"}).json();
    for (const auto& entry : document.at("migrations")) {
        if (entry.at("version") == which) return entry.at("state");
    }
    return "";
}

void check_finishes_later(const Project& project) {
    const RunResult rerun = project.run({"migrate", "--pause", "0s", "--format", "json"});
    INFO("rerun stderr: " << rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
    CHECK(project.count("SELECT count(*) FROM later_ran") == 1);
    CHECK(rerun.json().at("partial").empty());
    CHECK(project.run({"status", "--exit-code"}).exit_code == 0);
}

}  // namespace

TEST_CASE("--time-budget: no batch starts after it, the migration stays partial, the run exits 0",
          "[e2e][kubernetes][budget]") {
    Project project;
    write_project(project);
    const auto start = std::chrono::steady_clock::now();
    const RunResult result = project.run({"migrate", "--time-budget", "1s", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(seconds_since(start) < 3.5);
    const auto document = result.json();
    CHECK(document.at("applied").empty());
    REQUIRE(document.at("partial").size() == 1);
    const auto& partial = document.at("partial").at(0);
    CHECK(partial.at("version") == version);
    CHECK(partial.at("reason") == "time-budget");
    CHECK(partial.at("rows_affected") == done_items(project));
    CHECK(partial.at("batch_cursor") == project.value("SELECT batch_cursor FROM data_migrations"));
    CHECK(done_items(project) > 0);
    CHECK(done_items(project) < 2000);
    // Later migrations of the run are not started; the cut one is partial.
    CHECK(project.count("SELECT count(*) FROM later_ran") == 0);
    CHECK(project.count(fmt::format("SELECT count(*) FROM data_migrations WHERE version = '{}'", later)) == 0);
    CHECK(state_of(project, version) == "partial");
    CHECK(project.events("fail") == 0);

    // Text output says so too; with the budget already spent nothing starts.
    const RunResult text = project.run({"migrate", "--time-budget", "1ms"});
    INFO("text stderr: " << text.err);
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("partial  post_sync/20260101000000_backfill") != std::string::npos);
    CHECK(text.out.find("time-budget") != std::string::npos);
    check_finishes_later(project);
}

TEST_CASE("pause from another process stops a running backfill; migrate waits for resume", "[e2e][kubernetes][pause]") {
    Project project;
    write_project(project);
    const int pid = project.spawn({"migrate", "--format", "json"});
    REQUIRE(eventually([&] { return project.table_exists("data_migrations") && done_items(project) >= 300; }));
    const RunResult paused = project.run({"pause", version});
    INFO("pause stderr: " << paused.err);
    REQUIRE(paused.exit_code == 0);
    CHECK(paused.out == fmt::format("paused {}\n", version));
    const RunResult stopped = project.wait(pid);
    INFO("runner stderr: " << stopped.err);
    REQUIRE(stopped.exit_code == 0);
    const auto document = stopped.json();
    REQUIRE(document.at("partial").size() == 1);
    CHECK(document.at("partial").at(0).at("reason") == "paused");
    const int done = done_items(project);
    CHECK(done < 2000);
    CHECK(project.count("SELECT count(*) FROM later_ran") == 0);
    CHECK(state_of(project, version) == "paused");
    CHECK(project.run({"status", "--exit-code"}).exit_code == 1);
    CHECK(project.events("pause") == 1);
    // A second pause changes nothing.
    CHECK(project.run({"pause", version}).exit_code == 0);
    CHECK(project.events("pause") == 1);

    // While paused, migrate does not start it and stops the run there.
    const RunResult held = project.run({"migrate", "--format", "json"});
    INFO("held stderr: " << held.err);
    CHECK(held.exit_code == 0);
    CHECK(held.err.find("is paused") != std::string::npos);
    CHECK(held.json().at("partial").at(0).at("reason") == "paused");
    CHECK(done_items(project) == done);
    CHECK(project.count("SELECT count(*) FROM later_ran") == 0);

    const RunResult resumed = project.run({"resume", version, "--format", "json"});
    CHECK(resumed.exit_code == 0);
    CHECK(resumed.json().at("resumed") == version);
    CHECK(project.events("resume") == 1);
    CHECK(state_of(project, version) == "partial");
    check_finishes_later(project);
}

TEST_CASE("pause and resume refuse what is not a started batch migration", "[e2e][kubernetes][pause]") {
    Project project;
    write_project(project);
    for (const char* which : {version, later, "20991231235959"}) {
        INFO("version " << which);
        const RunResult result = project.run({"pause", which});
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("only a batch migration that has started") != std::string::npos);
    }
    REQUIRE(project.run({"migrate", "--pause", "0s"}).exit_code == 0);
    const RunResult applied = project.run({"resume", version});
    CHECK(applied.exit_code == 2);
    CHECK(applied.err.find("it is applied") != std::string::npos);
    CHECK(project.events("pause") == 0);
}

TEST_CASE("a history table of the previous release gains paused_at on first use, keeping its rows",
          "[e2e][kubernetes][pause]") {
    Project project;
    write_project(project);
    REQUIRE(project.run({"migrate", "--time-budget", "1s"}).exit_code == 0);
    // The previous release's table: today's schema without the new column.
    project.execute("ALTER TABLE data_migrations DROP COLUMN paused_at;\n");
    const std::string before = project.value(
        "SELECT status || ' ' || rows_affected || ' ' || batch_cursor FROM "
        "data_migrations");

    CHECK(state_of(project, version) == "partial");  // status reads it as it is, changing nothing
    const RunResult paused = project.run({"pause", version});
    INFO("pause stderr: " << paused.err);
    REQUIRE(paused.exit_code == 0);
    CHECK(project.value("SELECT status || ' ' || rows_affected || ' ' || batch_cursor FROM data_migrations") == before);
    CHECK(project.count("SELECT count(*) FROM data_migrations WHERE paused_at IS NOT NULL") == 1);
    CHECK(state_of(project, version) == "paused");
    REQUIRE(project.run({"resume", version}).exit_code == 0);
    check_finishes_later(project);
}

TEST_CASE("--summary-file holds the command's document and exit code, whatever the outcome",
          "[e2e][kubernetes][summary]") {
    Project project;
    write_project(project, "0s");
    const std::string summary = (project.root() / "summary.json").string();

    SECTION("success, also from DATAMIG_SUMMARY_FILE") {
        const RunResult result = project.run({"migrate"}, {{"DATAMIG_SUMMARY_FILE", summary}});
        REQUIRE(result.exit_code == 0);
        const auto document = nlohmann::json::parse(project.read("summary.json"));
        CHECK(document.at("exit_code") == 0);
        CHECK_FALSE(document.contains("error"));
        CHECK(document.at("applied").size() == 2);
        CHECK(document.at("partial").empty());
    }
    SECTION("a usage error after the flag was read") {
        const RunResult result = project.run({"migrate", "--summary-file", summary, "--batch-size", "many"});
        CHECK(result.exit_code == 2);
        const auto document = nlohmann::json::parse(project.read("summary.json"));
        CHECK(document.at("exit_code") == 2);
        CHECK(document.at("error").get<std::string>().find("--batch-size") != std::string::npos);
    }
    SECTION("a connection that fails, the password never shown") {
        const RunResult result = project.run({"status", "--summary-file", summary, "--database-url",
                                              "postgres://app:s3cret-pw@127.0.0.1:1/app?connect_timeout=2"});
        CHECK(result.exit_code == 3);
        const std::string text = project.read("summary.json");
        CHECK(text.find("s3cret-pw") == std::string::npos);
        const auto document = nlohmann::json::parse(text);
        CHECK(document.at("exit_code") == 3);
        CHECK_FALSE(document.at("error").get<std::string>().empty());
    }
    SECTION("SIGTERM during a batch migration") {
        project.write_sql("post_sync", version, "backfill",
                          "-- migrate:up batch:range key:items.id batch_size:100 pause:200ms\n"
                          "UPDATE items SET n = n + 1 WHERE id BETWEEN :batch_start AND :batch_last;\n");
        const int pid = project.spawn({"migrate", "--summary-file", summary});
        REQUIRE(eventually([&] { return project.table_exists("data_migrations") && done_items(project) >= 200; }));
        kill(pid, SIGTERM);
        CHECK(project.wait(pid).exit_code == 143);
        const auto document = nlohmann::json::parse(project.read("summary.json"));
        CHECK(document.at("exit_code") == 143);
        CHECK(document.at("error").get<std::string>().find("SIGTERM") != std::string::npos);
    }
}

}  // namespace datamig::test
