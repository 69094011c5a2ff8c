// Batches under live traffic (SPEC §2): keys of any ordered type, adaptive batch sizes, lock
// timeouts with retries, throttling on the database's health, and what the run reports, on the
// suite's database (and on PostgreSQL where the SPEC says PostgreSQL).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"
#include "e2e/items_table.hpp"
#include "support/test_databases.hpp"

namespace datamig::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* version = "20260101000000";
constexpr int item_count = 1000;

bool on_postgres() { return suite_database_kind() == "postgres"; }

// `keyed` has `item_count` rows whose key is an SQL expression of i = 0 .. item_count - 1;
// `spans` records the keys of each committed batch.
void create_keyed(const Project& project, const std::string& key_type, const std::string& key_of_i) {
    project.execute(
        fmt::format("CREATE TABLE keyed (k {} PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);\n"
                    "CREATE TABLE spans (first_key TEXT NOT NULL, last_key TEXT NOT NULL);\n"
                    "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {})\n"
                    "INSERT INTO keyed (k) SELECT {} FROM seq;\n",
                    key_type, item_count - 1, key_of_i));
    REQUIRE(project.count("SELECT count(*) FROM keyed") == item_count);
}

std::string keyset_up(const std::string& options) {
    return fmt::format(
        "-- migrate:up batch:range key:keyed.k {}\n"
        "UPDATE keyed SET n = n + 1 WHERE k BETWEEN :batch_start AND :batch_last;\n"
        "INSERT INTO spans (first_key, last_key) VALUES (:batch_start, :batch_last);\n",
        options);
}

std::string history_row(const Project& project) {
    const auto rows = project.rows(
        fmt::format("SELECT status, rows_affected, batch_cursor FROM data_migrations WHERE version = '{}'", version));
    REQUIRE(rows.size() == 1);
    return rows.front();
}

// Another session holding a lock on the database from a child process (psql or the sqlite3
// shell, never datamig's own code) for `seconds`: PostgreSQL a row lock on items id 100, SQLite
// the write lock of the file. Held once the constructor returns.
class LockHolder {
public:
    LockHolder(const Project& project, int seconds) {
        const fs::path marker = project.root() / "lock-held";
        const std::string& url = project.database_url();
        const std::string script =
            on_postgres()
                ? fmt::format(
                      "psql -q -X '{}' >/dev/null <<'EOF'\nBEGIN;\nSELECT 1 FROM items WHERE id = 100 FOR UPDATE;\n"
                      "\\! touch {}\nSELECT pg_sleep({});\nCOMMIT;\nEOF\n",
                      url, marker.string(), seconds)
                : fmt::format(
                      "sqlite3 '{}' >/dev/null <<'EOF'\nBEGIN IMMEDIATE;\nUPDATE items SET n = n WHERE id = 100;\n"
                      ".shell touch {}\n.shell sleep {}\nCOMMIT;\nEOF\n",
                      url.substr(url.find(':') + 1), marker.string(), seconds);
        pid_ = fork();
        if (pid_ == 0) {
            execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        REQUIRE(pid_ > 0);
        REQUIRE(eventually([&] { return fs::exists(marker); }));
    }
    ~LockHolder() {
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    LockHolder(const LockHolder&) = delete;
    LockHolder& operator=(const LockHolder&) = delete;

private:
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("batch:range walks keys of any ordered type in batch_size rows, quoting them safely", "[e2e][live][keyset]") {
    // The key types of each database, as `type | expression of i`. Text keys hold a quote.
    const std::vector<std::pair<std::string, std::string>> sqlite_keys = {
        {"TEXT", "'it''s-' || printf('%05d', i)"},
        {"TEXT", "strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || (i * 61.5) || ' seconds')"},
    };
    const std::vector<std::pair<std::string, std::string>> postgres_keys = {
        {"uuid", "md5(i::text)::uuid"},
        {"text", "'it''s-' || lpad(i::text, 5, '0')"},
        {"varchar(40)", "'O''Brien ' || i"},
        {"timestamptz", "timestamptz '2026-01-01 00:00:00+00' + i * interval '61.5 seconds'"},
        {"date", "date '2000-01-01' + i"},
        {"numeric(12,2)", "i * 1.25"},
    };
    const auto& keys = on_postgres() ? postgres_keys : sqlite_keys;
    const auto index = GENERATE(range(0, 6));
    if (static_cast<std::size_t>(index) >= keys.size()) return;
    const auto& [type, expression] = keys[static_cast<std::size_t>(index)];
    INFO("key type " << type << " = " << expression);
    Project project;
    create_keyed(project, type, expression);
    project.write_sql("pre_sync", version, "keyset", keyset_up("batch_size:70"));

    const RunResult result = project.run({"migrate", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(project.count("SELECT count(*) FROM keyed WHERE n <> 1") == 0);
    CHECK(project.count("SELECT count(*) FROM spans") == 15);  // 14 batches of 70 rows and one of 20
    CHECK(result.json().at("applied").at(0).at("batches") == 15);
    // The checkpoint is the last key, as text; :batch_start and :batch_last were real keys.
    CHECK(project.value("SELECT batch_cursor FROM data_migrations") ==
          project.value("SELECT k FROM keyed ORDER BY k DESC LIMIT 1"));
    CHECK(project.count("SELECT count(*) FROM spans s WHERE NOT EXISTS (SELECT 1 FROM keyed WHERE k = "
                        "s.first_key" +
                        std::string(on_postgres() ? "::" + type : "") + ")") == 0);
}

TEST_CASE("a keyset walk stopped midway resumes after its checkpoint, no row skipped or done twice",
          "[e2e][live][keyset]") {
    Project project;
    create_keyed(project, on_postgres() ? "uuid" : "TEXT",
                 on_postgres() ? "md5(i::text)::uuid" : "'it''s-' || printf('%05d', i)");
    project.write_sql("pre_sync", version, "keyset", keyset_up("batch_size:50 pause:100ms"));

    const int pid = project.spawn({"migrate"});
    REQUIRE(eventually([&] { return project.count("SELECT count(*) FROM spans") >= 4; }));
    kill(pid, SIGTERM);
    const RunResult stopped = project.wait(pid);
    INFO("stopped stderr: " << stopped.err);
    CHECK(stopped.exit_code == 143);
    const int done = project.count("SELECT count(*) FROM keyed WHERE n = 1");
    CHECK(done >= 200);
    CHECK(done < item_count);
    CHECK(history_row(project).rfind("running|", 0) == 0);
    const std::string cursor = project.value("SELECT batch_cursor FROM data_migrations");

    const RunResult rerun = project.run({"migrate", "--pause", "0s"});
    INFO("rerun stderr: " << rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(rerun.err.find("from key " + cursor) != std::string::npos);
    CHECK(project.count("SELECT count(*) FROM keyed WHERE n <> 1") == 0);
    CHECK(project.count("SELECT count(*) FROM spans") == item_count / 50);
}

TEST_CASE(":batch_end with a key that is no integer is refused before any batch runs", "[e2e][live][keyset]") {
    Project project;
    create_keyed(project, on_postgres() ? "text" : "TEXT", "'k' || i");
    project.write_sql("pre_sync", version, "keyset",
                      "-- migrate:up batch:range key:keyed.k\n"
                      "UPDATE keyed SET n = n + 1 WHERE k >= :batch_start AND k < :batch_end;\n");

    const RunResult result = project.run({"migrate"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("_keyset.sql:1: :batch_end needs an integer key, and keyed.k is") != std::string::npos);
    CHECK(project.count("SELECT count(*) FROM keyed WHERE n <> 0") == 0);
    CHECK(project.count("SELECT count(*) FROM data_migrations") == 0);
}

TEST_CASE("batch_time adapts the size: x2 per step while batches are quick, up to batch_size_max",
          "[e2e][live][adaptive]") {
    Project project;
    create_items(project, 3000);
    // Every batch here takes a few milliseconds, far below 5 s: each next one doubles.
    project.write_sql("pre_sync", version, "adaptive", items_up("batch_size:10 batch_time:5s batch_size_max:300"));

    const RunResult result = project.run({"migrate", "-v", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    const auto sizes = batch_sizes(project);
    REQUIRE(sizes.size() >= 6);
    CHECK(std::vector<long long>(sizes.begin(), sizes.begin() + 6) == std::vector<long long>{10, 20, 40, 80, 160, 300});
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
    CHECK(result.err.find("batch 6 of pre_sync/20260101000000_adaptive: size 300, ") != std::string::npos);
    CHECK(result.err.find(", size 300, ") != std::string::npos);  // the progress line
    CHECK(result.json().at("applied").at(0).at("batches") == static_cast<long long>(sizes.size()));

    // --batch-time overrides the file: a fixed-size migration adapts when asked to.
    Project flagged;
    create_items(flagged, 700);
    flagged.write_sql("pre_sync", version, "adaptive", items_up("batch_size:100"));
    REQUIRE(flagged.run({"migrate", "--batch-time", "5s"}).exit_code == 0);
    CHECK(batch_sizes(flagged) == std::vector<long long>{100, 200, 400});
}

TEST_CASE("batch_time shrinks the size of slow batches by at most /4 a step, never below 1",
          "[e2e][live][adaptive][postgres]") {
    if (!on_postgres()) return;  // a slow statement needs pg_sleep
    Project project;
    create_items(project, 400);
    project.write_sql("pre_sync", version, "adaptive",
                      items_up("batch_size:256 batch_time:20ms", "SELECT pg_sleep(0.15);\n"));
    // Without a limit of the user's, every one of these 150 ms batches would run past the 100 ms
    // one derived from batch_time; "0" is the user's "no limit".
    const RunResult result = project.run({"migrate", "--statement-timeout", "0", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    const auto sizes = batch_sizes(project);
    REQUIRE(sizes.size() >= 6);
    CHECK(std::vector<long long>(sizes.begin(), sizes.begin() + 6) == std::vector<long long>{256, 64, 16, 4, 1, 1});
}

// Runs `migrate args` on a two-batch migration of `items` and takes the lock for `seconds`
// during the pause after the first batch, so the second batch meets it (bookkeeping writes
// before the first batch would otherwise wait for it under --lock-wait).
RunResult migrate_into_lock(const Project& project, const std::vector<std::string>& args, int seconds) {
    const int pid = project.spawn(args);
    REQUIRE(eventually(
        [&] { return project.table_exists("batches") && project.count("SELECT count(*) FROM batches") >= 1; }));
    const LockHolder holder(project, seconds);
    return project.wait(pid);
}

TEST_CASE("a batch that waits past --lock-timeout is rolled back and retried with back-off", "[e2e][live][retry]") {
    Project project;
    create_items(project, 100);
    project.write_sql("pre_sync", version, "locked", items_up("batch_size:50 pause:1s batch_retries:8"));
    const auto start = std::chrono::steady_clock::now();
    const RunResult result = migrate_into_lock(project, {"migrate", "--lock-timeout", "200ms", "--format", "json"}, 2);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(seconds_since(start) < 15);
    const auto document = result.json();
    const auto& applied = document.at("applied").at(0);
    CHECK(applied.at("retries") >= 1);
    CHECK(applied.at("batches") == 2);
    CHECK(project.events("retry") == applied.at("retries"));
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
    CHECK(project.count("SELECT count(*) FROM batches") == 2);
    CHECK(result.err.find("batch rolled back, retry 1 of 8 in 100ms") != std::string::npos);
    CHECK(project.value("SELECT error FROM data_migrations_events WHERE event = 'retry' ORDER BY id LIMIT 1")
              .find("_locked.sql:") != std::string::npos);
}

TEST_CASE("when the retries run out the migration fails and stays resumable", "[e2e][live][retry]") {
    Project project;
    create_items(project, 100);
    project.write_sql("pre_sync", version, "locked", items_up("batch_size:50 pause:1s batch_retries:1"));
    const RunResult failed = migrate_into_lock(project, {"migrate", "--lock-timeout", "100ms"}, 3);
    INFO("stderr: " << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("gave up after 1 retries") != std::string::npos);
    CHECK(project.events("retry") == 1);
    CHECK(project.events("fail") == 1);
    CHECK(history_row(project) == "running|51|51");  // the first batch, kept for the next run
    CHECK(project.run({"status", "--format", "json"}).json().at("migrations").at(0).at("state") == "partial");

    const RunResult rerun = project.run({"migrate"});
    INFO("rerun stderr: " << rerun.err);
    REQUIRE(rerun.exit_code == 0);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
    CHECK(history_row(project).rfind("applied|", 0) == 0);
}

TEST_CASE("a batch cut by the statement timeout is retried at half the size", "[e2e][live][retry][postgres]") {
    if (!on_postgres()) return;  // statement_timeout is PostgreSQL's
    Project project;
    create_items(project, 32);
    // A batch of more than 8 keys takes 2 s; the timeout is 500 ms.
    project.write_sql(
        "pre_sync", version, "slow",
        items_up("batch_size:32", "SELECT pg_sleep(CASE WHEN :batch_last - :batch_start >= 8 THEN 2 ELSE 0 END);\n"));
    const RunResult result = project.run({"migrate", "--statement-timeout", "500ms", "--format", "json"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(batch_sizes(project) == std::vector<long long>{8, 8, 8, 8});  // 32 -> 16 -> 8
    CHECK(result.json().at("applied").at(0).at("retries") == 2);
    CHECK(project.events("retry") == 2);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
}

TEST_CASE("--throttle-query holds every batch while it returns true", "[e2e][live][throttle]") {
    Project project;
    create_items(project, 100);
    project.execute("CREATE TABLE incident (open INTEGER NOT NULL);\nINSERT INTO incident VALUES (1);\n");
    project.write_sql("pre_sync", version, "throttled", items_up("batch_size:50"));

    const int pid = project.spawn({"migrate", "--format", "json", "--throttle-query", "SELECT count(*) FROM incident"});
    REQUIRE(eventually([&] { return project.stderr_so_far(pid).find("throttled") != std::string::npos; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    CHECK(project.count("SELECT count(*) FROM batches") == 0);
    project.execute("DELETE FROM incident;\n");
    const auto healthy = std::chrono::steady_clock::now();
    const RunResult result = project.wait(pid);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(seconds_since(healthy) < 5);
    CHECK(result.err.find("no batch starts while --throttle-query returns 1") != std::string::npos);
    CHECK(result.err.find("healthy again after") != std::string::npos);
    CHECK(result.json().at("applied").at(0).at("throttled_ms") >= 2500);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
}

TEST_CASE("a throttle query the database rejects is a usage error naming the flag", "[e2e][live][throttle]") {
    Project project;
    create_items(project, 10);
    project.write_sql("pre_sync", version, "throttled", items_up("batch_size:50"));
    const RunResult result = project.run({"migrate", "--throttle-query", "SELECT FROM nowhere_at_all"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--throttle-query: ") != std::string::npos);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 0") == 0);
}

TEST_CASE("--max-replica-lag on SQLite is refused before anything runs", "[e2e][live][throttle]") {
    if (on_postgres()) return;
    Project project;
    create_items(project, 10);
    project.write_sql("pre_sync", version, "throttled", items_up("batch_size:50"));
    const RunResult result = project.run({"migrate", "--max-replica-lag", "1s"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--max-replica-lag: only PostgreSQL") != std::string::npos);
    CHECK(project.history_rows() == 0);
}

TEST_CASE("--max-replica-lag: no batch starts while a real standby lags, work resumes once it catches up",
          "[e2e][live][throttle][postgres]") {
    if (!on_postgres()) return;
    const std::string standby = standby_url();
    REQUIRE_FALSE(standby.empty());
    Project project;
    create_items(project, 200);
    project.write_sql("pre_sync", version, "lagged", items_up("batch_size:50"));

    ReplayPaused paused(standby);
    // Writes the standby cannot replay: the primary's replay_lag grows past the limit.
    const auto lagging = [&] {
        project.execute("UPDATE items SET n = n WHERE id = 1;\n");
        return project.value("SELECT count(*) FROM pg_stat_replication WHERE replay_lag > interval '1 second'") != "0";
    };
    REQUIRE(eventually(lagging, std::chrono::seconds(30)));

    const int pid = project.spawn({"migrate", "--max-replica-lag", "1s", "--format", "json"});
    REQUIRE(eventually([&] { return project.stderr_so_far(pid).find("throttled") != std::string::npos; }));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    CHECK(project.count("SELECT count(*) FROM batches") == 0);
    paused.resume();
    const auto resumed = std::chrono::steady_clock::now();
    const RunResult result = project.wait(pid);
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(seconds_since(resumed) < 10);
    CHECK(result.err.find("a standby replays more than 1s") != std::string::npos);
    CHECK(result.json().at("applied").at(0).at("throttled_ms") >= 3000);
    CHECK(project.count("SELECT count(*) FROM items WHERE n <> 1") == 0);
}

}  // namespace datamig::test
