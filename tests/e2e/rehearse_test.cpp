// migrate --rehearse (SPEC §4, §8): every planned SQL migration runs for real and is rolled back;
// what it would do is reported; nothing remains, on the suite's database.
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

void write_tree(Project& project) {
    project.execute(
        "CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);\n"
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 2000)\n"
        "INSERT INTO items (id) SELECT i FROM seq;\n");
    project.write_sql("pre_sync", "20260101000001", "bump",
                      "-- migrate:up\nUPDATE items SET n = n + 1 WHERE id <= 300;\n"
                      "-- migrate:verify\nSELECT count(*) = 300 FROM items WHERE n = 1;\n");
    // Sees what the one before did: a rehearsal runs them in order in one transaction.
    project.write_sql("pre_sync", "20260101000002", "batched",
                      "-- migrate:up batch:range key:items.id batch_size:150\n"
                      "UPDATE items SET n = n + 10 WHERE id BETWEEN :batch_start AND :batch_last AND n = 1;\n");
}

std::string result_of(const nlohmann::json& document, const std::string& version, const std::string& key) {
    for (const auto& entry : document.at("rehearsed")) {
        if (entry.at("version") == version) return entry.at(key).dump();
    }
    return "absent";
}

void check_nothing_remains(const Project& project) {
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 0") == 0);
    if (project.table_exists("data_migrations")) CHECK(project.history_rows() == 0);
    if (project.table_exists("data_migrations_events")) {
        CHECK(project.count("SELECT count(*) FROM data_migrations_events") == 0);
    }
    CHECK(project.count("SELECT count(*) FROM items") == 2000);
}

}  // namespace

TEST_CASE("--rehearse runs each SQL migration and rolls it back, reporting rows and verify", "[e2e][rehearse]") {
    Project project;
    write_tree(project);
    const RunResult result = project.run({"migrate", "--rehearse", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    const auto document = result.json();
    REQUIRE(document.at("rehearsed").size() == 2);
    CHECK(result_of(document, "20260101000001", "result") == "\"ok\"");
    CHECK(result_of(document, "20260101000001", "rows_affected") == "300");
    CHECK(result_of(document, "20260101000001", "verify") == "true");
    // The first batch stands for the rest, on what the first migration did.
    CHECK(result_of(document, "20260101000002", "rows_affected") == "150");
    CHECK(result_of(document, "20260101000002", "verify") == "null");
    CHECK(result_of(document, "20260101000002", "key_range") == "2000");
    CHECK(result_of(document, "20260101000002", "estimated_batches") == "14");
    check_nothing_remains(project);
    CHECK_FALSE(project.table_exists("data_migrations"));  // not even the history table

    const RunResult text = project.run({"migrate", "--rehearse"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("rehearsed      pre_sync/20260101000001_bump  300 rows, verify passed") != std::string::npos);
    CHECK(text.out.find("150 rows in its first batch; 2000 keys, about 14 batches") != std::string::npos);
    check_nothing_remains(project);
}

TEST_CASE("--rehearse: a failure names its file and line, the others are still rehearsed, exit 1", "[e2e][rehearse]") {
    Project project;
    write_tree(project);
    project.write_sql("post_sync", "20260102000001", "broken",
                      "-- migrate:up\nUPDATE items SET n = 5;\nUPDATE no_such_table SET x = 1;\n");
    project.write_sql("post_sync", "20260102000002", "wrong",
                      "-- migrate:up\nUPDATE items SET n = 7 WHERE id = 1;\n"
                      "-- migrate:verify\nSELECT count(*) = 0 FROM items WHERE n = 7;\n");
    project.write_sql("post_sync", "20260102000003", "concurrently",
                      "-- migrate:up transaction:false\nUPDATE items SET n = 9;\n");
    project.write("db/data_migrations/post_sync/20260102000004_enqueue.sh", "#!/bin/sh\nexit 0\n", true);
    project.write_sql("post_sync", "20260102000005", "last", "-- migrate:up\nUPDATE items SET n = 1 WHERE id = 2;\n");

    const RunResult result = project.run({"migrate", "--rehearse", "--format", "json"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 1);
    const auto document = result.json();
    REQUIRE(document.at("rehearsed").size() == 7);
    CHECK(result_of(document, "20260102000001", "result") == "\"failed\"");
    CHECK(result_of(document, "20260102000001", "error").find("_broken.sql:3: ") != std::string::npos);
    CHECK(result_of(document, "20260102000002", "result") == "\"failed\"");
    CHECK(result_of(document, "20260102000002", "verify") == "false");
    CHECK(result_of(document, "20260102000003", "result") == "\"not-rehearsed\"");
    CHECK(result_of(document, "20260102000004", "result") == "\"not-rehearsed\"");
    CHECK(result_of(document, "20260102000005", "result") == "\"ok\"");
    CHECK(result_of(document, "20260102000005", "rows_affected") == "1");
    check_nothing_remains(project);
}

TEST_CASE("--rehearse holds the runner lock: it never overlaps a real run", "[e2e][rehearse]") {
    Project project;
    write_tree(project);
    project.write_sql("pre_sync", "20260101000002", "batched",
                      "-- migrate:up batch:range key:items.id batch_size:100 pause:300ms\n"
                      "UPDATE items SET n = n + 10 WHERE id BETWEEN :batch_start AND :batch_last;\n");
    const int pid = project.spawn({"migrate"});
    REQUIRE(eventually([&] {
        return project.table_exists("data_migrations") && project.count("SELECT count(*) FROM items WHERE n >= 10") > 0;
    }));
    const RunResult rehearsal = project.run({"migrate", "--rehearse", "--lock-wait", "500ms"});
    CHECK(rehearsal.exit_code == 3);
    CHECK(rehearsal.err.find("runner lock not acquired") != std::string::npos);
    CHECK(project.wait(pid).exit_code == 0);
}

}  // namespace datamig::test
