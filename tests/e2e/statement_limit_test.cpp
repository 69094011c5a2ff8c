// The statement limit a batch gets from batch_time when the user set no --statement-timeout
// (docs/decisions.md, "Batches under live traffic"): on PostgreSQL a batch that runs past it is
// cut off and retried at half the size without spending a retry, and the limit ends with the
// batch's transaction; the user's own --statement-timeout replaces it; SQLite has none.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"
#include "e2e/items_table.hpp"

namespace datamig::test {
namespace {

constexpr const char* version = "20260101000000";

bool on_postgres() { return suite_database_kind() == "postgres"; }

// 700 items; updating one above id 300 takes 5 ms (a trigger), one below next to nothing. With
// batch_time:100ms (a limit of 200 ms) the size grows 100, 200, 400 over the cheap rows, and the
// batch of 400 meets 400 costly ones: 2 s.
void create_uneven_items(Project& project) {
    create_items(project, 700);
    project.execute(
        "CREATE FUNCTION slow_items() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    IF NEW.id > 300 THEN PERFORM pg_sleep(0.005); END IF;\n"
        "    RETURN NEW;\n"
        "END $$;\n"
        "CREATE TRIGGER slow_items BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION slow_items();\n");
    project.write_sql("pre_sync", version, "backfill", items_up("batch_size:100 batch_time:100ms batch_retries:1"));
}

}  // namespace

TEST_CASE("batch_time: a batch that runs past twice its target is cut off and retried at half the size, for free",
          "[e2e][live][retry][postgres]") {
    if (!on_postgres()) return;  // statement_timeout is PostgreSQL's
    Project project;
    create_uneven_items(project);
    // Longer than the limit, after the batches: the limit ended with their transactions.
    project.write_sql("pre_sync", "20260101000001", "after", "-- migrate:up\nSELECT pg_sleep(0.4);\n");

    const RunResult result = project.run({"migrate", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    const auto document = result.json();
    REQUIRE(document.at("applied").size() == 2);
    // 400, 200 and 100 costly rows take 2 s, 1 s and 500 ms: each cut off at 200 ms. More
    // halvings than batch_retries:1 allows, and the migration did not fail.
    const auto retries = document.at("applied").at(0).at("retries").get<int>();
    CHECK(retries >= 3);
    CHECK(project.events("retry") == retries);
    CHECK(result.err.find("batch of size 400 cut off, retry at size 200") != std::string::npos);
    CHECK(result.err.find("batch of size 200 cut off, retry at size 100") != std::string::npos);
    CHECK(result.err.find("batch of size 100 cut off, retry at size 50") != std::string::npos);
    CHECK(result.err.find("retry 1 of 1") == std::string::npos);  // no retry was spent
    CHECK(project.value("SELECT error FROM data_migrations_events WHERE event = 'retry' ORDER BY id LIMIT 1")
              .find("(the 200ms limit derived from batch_time)") != std::string::npos);
    // Only what committed is in `batches`: the two cheap batches, then small ones.
    const auto sizes = batch_sizes(project);
    REQUIRE(sizes.size() >= 4);
    CHECK(std::vector<long long>(sizes.begin(), sizes.begin() + 2) == std::vector<long long>{100, 200});
    for (std::size_t i = 2; i < sizes.size(); ++i) CHECK(sizes[i] <= 50);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);  // every row once
    CHECK(project.count("SELECT count(*) FROM data_migrations WHERE status = 'applied'") == 2);
}

TEST_CASE("batch_time: the user's --statement-timeout replaces the derived limit", "[e2e][live][retry][postgres]") {
    if (!on_postgres()) return;
    Project project;
    create_uneven_items(project);

    const RunResult result = project.run({"migrate", "--statement-timeout", "5s", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.json().at("applied").at(0).at("retries") == 0);
    // The batch of 400 costly rows (the last 400 keys) ran its 2 s to the end.
    CHECK(batch_sizes(project) == std::vector<long long>{100, 200, 400});
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
}

TEST_CASE("batch_time on SQLite: no statement limit, the size adapts as before", "[e2e][live][adaptive]") {
    if (on_postgres()) return;
    Project project;
    create_items(project, 200);
    // A count SQLite takes a while to make, 20,000 rows per key of the batch: the first batch of
    // 100 keys runs well past 100 ms, the limit PostgreSQL would have given it.
    project.write_sql("pre_sync", version, "backfill",
                      items_up("batch_size:100 batch_time:40ms",
                               "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c\n"
                               "    WHERE x < (:batch_last - :batch_start + 1) * 20000) SELECT count(*) FROM c;\n"));

    const RunResult result = project.run({"migrate", "-v", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.json().at("applied").at(0).at("retries") == 0);
    CHECK(project.events("retry") == 0);
    const auto sizes = batch_sizes(project);
    REQUIRE(sizes.size() >= 3);
    CHECK(std::vector<long long>(sizes.begin(), sizes.begin() + 2) == std::vector<long long>{100, 25});  // /4
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
}

}  // namespace datamig::test
