// Batched migrations (SPEC §2 `batch:loop` / `batch:range`, §5 `batch_cursor`, §6 signals):
// every row processed exactly once, in batches of the chosen size, across stops, crashes,
// failures and resumes, on the suite's database.
#include <signal.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

extern char** environ;

namespace datamig::test {
namespace {

namespace fs = std::filesystem;

enum class Mode { loop, range };

std::string mode_name(Mode mode) { return mode == Mode::loop ? "loop" : "range"; }

constexpr const char* version = "20260101000000";
constexpr const char* label = "pre_sync/20260101000000_batched";
constexpr int item_count = 10000;

// `items` is the data a migration walks; `batches` gets one row [start_key, end_key) per
// committed batch, written inside that batch's transaction, so it shows exactly which batches
// took effect and nothing else.
void create_tables(const Project& project) {
    project.execute(
        "CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0);\n"
        "CREATE TABLE batches (start_key BIGINT NOT NULL, end_key BIGINT NOT NULL);\n");
}

// `key_of_i` maps i = 0 .. item_count - 1 to an id; the cast keeps PostgreSQL from
// overflowing a 32-bit integer when ids are large.
void fill_items(const Project& project, const std::string& key_of_i = "i + 1") {
    project.execute(
        fmt::format("WITH RECURSIVE seq(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM seq "
                    "WHERE i < {})\nINSERT INTO items (id) SELECT {} FROM seq;\n",
                    item_count - 1, key_of_i));
    REQUIRE(project.count("SELECT count(*) FROM items") == item_count);
}

// A migration that adds 1 to `n` of every item, batch by batch, and records each batch.
// Loop mode takes the lowest unprocessed ids, so its batches are key ranges too; its record
// comes first, while the rows of the batch are still unprocessed, and inserts nothing once
// none are left, so the loop can end. `before` goes first in the section (a tripwire).
std::string batched_up(Mode mode, const std::string& options, const std::string& before = "") {
    if (mode == Mode::range) {
        return fmt::format(
            "-- migrate:up batch:range key:items.id {}\n{}"
            "UPDATE items SET n = n + 1 WHERE id >= :batch_start AND id < :batch_end;\n"
            "INSERT INTO batches (start_key, end_key) VALUES (:batch_start, :batch_end);\n",
            options, before);
    }
    return fmt::format(
        "-- migrate:up batch:loop {}\n{}"
        "INSERT INTO batches (start_key, end_key) SELECT lo, hi + 1 FROM (SELECT min(id) AS lo, max(id) AS hi FROM "
        "(SELECT id FROM items WHERE done = 0 ORDER BY id LIMIT :batch_size) AS pick) AS batch WHERE lo IS NOT NULL;\n"
        "UPDATE items SET n = n + 1, done = 1 WHERE id IN "
        "(SELECT id FROM items WHERE done = 0 ORDER BY id LIMIT :batch_size);\n",
        options, before);
}

// True only once every item has been processed; were verify run after each batch, it would fail.
constexpr const char* verify_all_processed = "\n-- migrate:verify\nSELECT count(*) = 0 FROM items WHERE n <> 1;\n";

fs::path write_batched(Project& project, const std::string& content) {
    return project.write_sql("pre_sync", version, "batched", content);
}

// "status|rows_affected|batch_cursor" of the migration's history row.
std::string history_row(const Project& project) {
    const auto rows = project.rows(
        fmt::format("SELECT status, rows_affected, batch_cursor FROM data_migrations WHERE version = '{}'", version));
    REQUIRE(rows.size() == 1);
    return rows.front();
}

int batch_count(const Project& project) { return project.count("SELECT count(*) FROM batches"); }

// Rows a completed run reports: each item once, plus the record of each batch.
std::string expected_rows(const Project& project) { return std::to_string(item_count + batch_count(project)); }

void check_each_item_once(const Project& project) {
    CHECK(project.count("SELECT count(*) FROM items") == item_count);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
}

// Recorded batches follow each other without gap or overlap from the first key to past the
// last: no range skipped and none run twice, whatever stopped and resumed in between.
void check_contiguous_batches(const Project& project, std::int64_t first_key, std::int64_t past_last_key) {
    const auto rows = project.rows("SELECT start_key, end_key FROM batches ORDER BY start_key");
    REQUIRE_FALSE(rows.empty());
    std::int64_t expected_start = first_key;
    for (const auto& row : rows) {
        INFO("batch " << row);
        const auto bar = row.find('|');
        CHECK(std::stoll(row.substr(0, bar)) == expected_start);
        expected_start = std::stoll(row.substr(bar + 1));
    }
    CHECK(expected_start == past_last_key);
}

// Work and checkpoint commit together, so at any moment the history row's running total
// matches what the committed batches did. One query: one snapshot, even while a killed
// PostgreSQL session may still be finishing.
void check_checkpoint_matches_work(const Project& project) {
    CHECK(project.value(fmt::format("SELECT (SELECT rows_affected FROM data_migrations WHERE version = '{}') - "
                                    "(SELECT count(*) FROM items WHERE n = 1) - (SELECT count(*) FROM batches)",
                                    version)) == "0");
    CHECK(project.count("SELECT count(*) FROM items WHERE n > 1") == 0);
}

void check_partial(const Project& project) {
    CHECK(history_row(project).rfind("running|", 0) == 0);
    const RunResult text = project.run({"status"});
    INFO("status: " << text.out << text.err);
    CHECK(text.out.find("partial") != std::string::npos);
    const auto document = project.run({"status", "--format", "json"}).json();
    REQUIRE(document.at("migrations").size() == 1);
    CHECK(document.at("migrations").at(0).at("state") == "partial");
    CHECK(project.run({"status", "--exit-code"}).exit_code == 1);
}

// After a resume has finished: the row is applied with the run total, and only one apply.
void check_completed(const Project& project, Mode mode) {
    check_each_item_once(project);
    check_contiguous_batches(project, 1, item_count + 1);
    const std::string cursor = mode == Mode::range ? std::to_string(item_count + 1) : "<null>";
    CHECK(history_row(project) == "applied|" + expected_rows(project) + "|" + cursor);
    CHECK(project.events("apply") == 1);
    CHECK(project.run({"status", "--exit-code"}).exit_code == 0);
}

}  // namespace

TEST_CASE("a batched migration processes every row exactly once in batches of batch_size", "[e2e][batch]") {
    const Mode mode = GENERATE(Mode::loop, Mode::range);
    INFO("batch:" << mode_name(mode));
    Project project;
    create_tables(project);
    fill_items(project);
    write_batched(project, batched_up(mode, "batch_size:1000") + verify_all_processed);

    const RunResult result = project.run({"migrate", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    check_each_item_once(project);
    CHECK(batch_count(project) == 10);
    check_contiguous_batches(project, 1, item_count + 1);
    const std::string cursor = mode == Mode::range ? "10001" : "<null>";
    CHECK(history_row(project) == "applied|10010|" + cursor);
    CHECK(project.events("apply") == 1);
    CHECK(project.events("fail") == 0);
    CHECK(project.value("SELECT rows_affected FROM data_migrations_events WHERE event = 'apply'") == "10010");
    CHECK(result.json().at("applied").at(0).at("rows_affected") == 10010);

    // Not a terminal: no live line, but a closing log line with the totals.
    CHECK(result.err.find('\r') == std::string::npos);
    CHECK(result.err.find(fmt::format("datamig: info: {}: ", label)) != std::string::npos);
    CHECK(result.err.find("10010 rows") != std::string::npos);
    CHECK(result.err.find("done in") != std::string::npos);
    if (mode == Mode::range)
        CHECK(result.err.find(fmt::format("{}: 10 batches, 10010 rows", label)) != std::string::npos);
}

TEST_CASE("--batch-size and --pause override the file's batch_size and pause", "[e2e][batch]") {
    const Mode mode = GENERATE(Mode::loop, Mode::range);
    INFO("batch:" << mode_name(mode));
    Project project;
    create_tables(project);
    fill_items(project);
    // With the file's pause the run would take at least 30 s.
    write_batched(project, batched_up(mode, "batch_size:1000 pause:10s"));

    const auto start = std::chrono::steady_clock::now();
    const RunResult result = project.run({"migrate", "--batch-size", "2500", "--pause", "0s"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(seconds_since(start) < 8);
    CHECK(batch_count(project) == 4);
    check_completed(project, mode);
}

TEST_CASE("a batched migration over an empty table is applied with no batches", "[e2e][batch]") {
    const Mode mode = GENERATE(Mode::loop, Mode::range);
    INFO("batch:" << mode_name(mode));
    Project project;
    create_tables(project);
    write_batched(project, batched_up(mode, "batch_size:1000"));

    const RunResult result = project.run({"migrate"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(history_row(project) == "applied|0|<null>");
    CHECK(batch_count(project) == 0);
    CHECK(project.events("apply") == 1);
    CHECK(result.err.find("done in") != std::string::npos);
}

TEST_CASE("batch:range skips gaps between keys instead of running empty batches", "[e2e][batch]") {
    Project project;
    create_tables(project);
    // Ten clusters of 1,000 consecutive ids, 10^9 apart: walking every range of 500 keys
    // would take some 18 million batches.
    fill_items(project, "(i / 1000) * 1000000000 + i % 1000");
    write_batched(project, batched_up(Mode::range, "batch_size:500"));

    const RunResult result = project.run({"migrate"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    check_each_item_once(project);
    CHECK(batch_count(project) >= 20);
    CHECK(batch_count(project) <= 30);
    CHECK(project.count("SELECT count(*) FROM batches b WHERE NOT EXISTS "
                        "(SELECT 1 FROM items WHERE id = b.start_key)") == 0);
    CHECK(history_row(project).rfind("applied|" + expected_rows(project) + "|", 0) == 0);
}

TEST_CASE("a batched migration stopped midway resumes where it stopped and processes every row once",
          "[e2e][batch][faults]") {
    const auto [mode, signal_number, expected_exit] = GENERATE(table<Mode, int, int>({
        {Mode::range, SIGKILL, 128 + SIGKILL},
        {Mode::range, SIGTERM, 143},
        {Mode::loop, SIGTERM, 143},
        {Mode::loop, SIGINT, 130},
    }));
    INFO("batch:" << mode_name(mode) << ", signal " << strsignal(signal_number));
    Project project;
    create_tables(project);
    fill_items(project);
    // 50 batches with pauses: a few seconds, long enough to be stopped in the middle.
    write_batched(project, batched_up(mode, "batch_size:200 pause:50ms"));

    const int pid = project.spawn({"migrate"});
    const bool underway = eventually([&] {
        return project.history_rows() > 0 &&
               project.count("SELECT count(*) FROM data_migrations WHERE rows_affected >= 1000") > 0;
    });
    INFO("stderr so far: " << project.stderr_so_far(pid));
    REQUIRE(underway);
    kill(pid, signal_number);
    const RunResult stopped = project.wait(pid);
    INFO("stopped stderr: " << stopped.err);
    CHECK(stopped.exit_code == expected_exit);

    const int processed = project.count("SELECT count(*) FROM items WHERE n = 1");
    CHECK(processed >= 1000);
    CHECK(processed < item_count);
    check_checkpoint_matches_work(project);
    check_partial(project);
    const std::string cursor =
        project.value(fmt::format("SELECT batch_cursor FROM data_migrations WHERE version = '{}'", version));
    if (mode == Mode::range) {
        CHECK(cursor == project.value("SELECT max(end_key) FROM batches"));
    } else {
        CHECK(cursor == "<null>");
    }
    // A stop is a failure on record; a kill leaves no chance to record anything.
    CHECK(project.events("fail") == (signal_number == SIGKILL ? 0 : 1));
    CHECK(project.events("apply") == 0);

    const RunResult rerun = project.run({"migrate", "--pause", "0s"});
    INFO("rerun stderr: " << rerun.err);
    REQUIRE(rerun.exit_code == 0);
    const std::string resumed =
        mode == Mode::range ? fmt::format("resuming {} from key {}", label, cursor) : fmt::format("resuming {}", label);
    CHECK(rerun.err.find(resumed) != std::string::npos);
    check_completed(project, mode);
}

TEST_CASE("verify runs after the last batch; when it fails the migration stays partial", "[e2e][batch]") {
    const Mode mode = GENERATE(Mode::loop, Mode::range);
    INFO("batch:" << mode_name(mode));
    Project project;
    create_tables(project);
    fill_items(project);
    write_batched(project, batched_up(mode, "batch_size:1000") +
                               "\n-- migrate:verify\nSELECT count(*) = 0 FROM items WHERE n = 1;\n");

    const RunResult failed = project.run({"migrate"});
    INFO("stderr: " << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("verify failed") != std::string::npos);
    CHECK(failed.err.find(fmt::format("{}_batched.sql", version)) != std::string::npos);
    // The batches committed one by one; verify cannot take them back, only hold the row open.
    check_each_item_once(project);
    check_checkpoint_matches_work(project);
    check_partial(project);
    CHECK(project.events("fail") == 1);
    CHECK(project.events("apply") == 0);

    // A corrected verify completes the migration without running any batch twice.
    write_batched(project, batched_up(mode, "batch_size:1000") + verify_all_processed);
    const RunResult fixed = project.run({"migrate"});
    INFO("rerun stderr: " << fixed.err);
    REQUIRE(fixed.exit_code == 0);
    CHECK(batch_count(project) == 10);
    check_completed(project, mode);
}

TEST_CASE("an SQL error in a later batch keeps the earlier batches and their checkpoint", "[e2e][batch]") {
    const Mode mode = GENERATE(Mode::loop, Mode::range);
    INFO("batch:" << mode_name(mode));
    Project project;
    create_tables(project);
    fill_items(project);
    // A duplicate key fails on both databases (SQLite's division by zero would only give NULL);
    // the tripwire fires in the sixth batch, once 5,000 items are done.
    project.execute("CREATE TABLE tripwire (id INTEGER PRIMARY KEY); INSERT INTO tripwire (id) VALUES (1);");
    const std::string tripwire = mode == Mode::range
                                     ? "INSERT INTO tripwire (id) SELECT 1 WHERE :batch_start >= 5001;\n"
                                     : "INSERT INTO tripwire (id) SELECT 1 WHERE (SELECT count(*) FROM items "
                                       "WHERE done = 1) >= 5000;\n";
    write_batched(project, batched_up(mode, "batch_size:1000", tripwire));

    const RunResult failed = project.run({"migrate"});
    INFO("stderr: " << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find(fmt::format("db/data_migrations/pre_sync/{}_batched.sql:2:", version)) != std::string::npos);
    CHECK(project.count("SELECT count(*) FROM items WHERE n = 1 AND id <= 5000") == 5000);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 0 AND id > 5000") == 0);
    check_contiguous_batches(project, 1, 5001);
    CHECK(history_row(project) == "running|5005|" + std::string(mode == Mode::range ? "5001" : "<null>"));
    CHECK(project.events("fail") == 1);
    CHECK(project.count(
              "SELECT count(*) FROM data_migrations_events WHERE event = 'fail' AND error LIKE '%tripwire%'") == 1);

    write_batched(project, batched_up(mode, "batch_size:1000"));
    const RunResult fixed = project.run({"migrate"});
    INFO("rerun stderr: " << fixed.err);
    REQUIRE(fixed.exit_code == 0);
    check_completed(project, mode);
}

namespace {

// Runs datamig in the project with stderr and stdout on a pseudo-terminal, through
// util-linux `script`; the harness only runs datamig itself, on files. Returns the exit
// status and everything the terminal showed.
std::pair<int, std::string> run_on_terminal(const Project& project, const std::string& arguments) {
    // The same environment as the harness gives datamig: none of the suite's own settings.
    std::string unset;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        if (text.rfind("DATAMIG_", 0) == 0) unset += " -u " + text.substr(0, text.find('='));
    }
    const fs::path output = project.root() / "terminal.out";
    const std::string command =
        fmt::format("cd '{}' && env{} DATABASE_URL='{}' USER=e2e script -qec '{} {}' /dev/null </dev/null >'{}' 2>&1",
                    project.root().string(), unset, project.database_url(), DATAMIG_BINARY, arguments, output.string());
    const int status = std::system(command.c_str());
    const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return {exit_code, project.read("terminal.out")};
}

}  // namespace

TEST_CASE("on a terminal a batch:range run redraws one live progress line with an ETA", "[e2e][batch]") {
    Project project;
    create_tables(project);
    fill_items(project);
    // Ten batches about 100 ms apart: several redraws of the line before the last one.
    write_batched(project, batched_up(Mode::range, "batch_size:1000 pause:100ms"));

    const auto [exit_code, shown] = run_on_terminal(project, "migrate");
    INFO("terminal: " << shown);
    REQUIRE(exit_code == 0);
    check_completed(project, Mode::range);
    const std::string redraw = fmt::format("\r\033[K{}: ", label);
    std::size_t redraws = 0;
    for (auto at = shown.find(redraw); at != std::string::npos; at = shown.find(redraw, at + 1)) ++redraws;
    CHECK(redraws >= 3);
    CHECK(shown.find("%, ETA ") != std::string::npos);
    CHECK(shown.find(fmt::format("\r\033[K{}: 10 batches, 10010 rows", label)) != std::string::npos);
    CHECK(shown.find("done in") != std::string::npos);
}

}  // namespace datamig::test
