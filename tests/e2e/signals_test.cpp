// Exactly-once at the edges (SPEC §3, §6): what a stop signal or a kill leaves behind when the
// work runs outside a transaction (an exec program, a transaction:false section), and what a
// batch migration leaves when it fails before any batch. An effect whose outcome is unknown
// keeps its `running` row for `datamig resolve`; one that certainly did nothing leaves no row.
#include <signal.h>

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using datamig::test::eventually;
using datamig::test::Project;
using datamig::test::RunResult;

constexpr const char* version = "20261122093000";
constexpr const char* exec_path = "db/data_migrations/post_sync/20261122093000_enqueue_jobs.sh";

bool on_postgres() { return datamig::test::suite_database_kind() == "postgres"; }

std::string row_status(const Project& project) {
    return project.value(fmt::format("SELECT status FROM data_migrations WHERE version = '{}'", version));
}

// Starts `migrate` and waits until the exec program has written `started`, i.e. it runs. The
// programs below wait while the file `hold` exists, so that a run which should never have
// happened (a rerun) ends on its own instead of waiting for a stop.
int spawn_until_program_runs(Project& project) {
    project.write("hold", "");
    const int pid = project.spawn({"migrate"});
    const bool started = eventually([&] { return fs::exists(project.root() / "started"); });
    INFO("stderr so far: " << project.stderr_so_far(pid));
    REQUIRE(started);
    return pid;
}

// SIGTERM to the runner, whose program is held; lets the program go once the runner is done.
RunResult stop_runner(const Project& project, int pid) {
    kill(pid, SIGTERM);
    const RunResult stopped = project.wait(pid);
    fs::remove(project.root() / "hold");
    return stopped;
}

// Lines the program appended to effects.log: its side effect, counted.
int effects_logged(const Project& project) {
    if (!fs::exists(project.root() / "effects.log")) return 0;
    const std::string log = project.read("effects.log");
    return static_cast<int>(std::count(log.begin(), log.end(), '\n'));
}

// The next migrate refuses the interrupted migration (exit 4), naming `datamig resolve`.
void check_blocked(const Project& project) {
    const RunResult blocked = project.run({"migrate"}, {}, 30s);
    INFO("rerun stderr: " << blocked.err);
    CHECK(blocked.exit_code == 4);
    CHECK(blocked.err.find("datamig resolve") != std::string::npos);
    CHECK(blocked.err.find(version) != std::string::npos);
}

}  // namespace

TEST_CASE("SIGTERM to datamig: an exec program that traps it and finishes its work is recorded applied, once",
          "[e2e][signals]") {
    Project project;
    // Works until told to stop, then does its last step and exits 0, as a well-behaved job does.
    project.write(exec_path,
                  "#!/bin/sh\nstopping=\ntrap 'stopping=1' TERM\ntouch started\n"
                  "while [ -z \"$stopping\" ] && [ -f hold ]; do sleep 0.05; done\necho up >> effects.log\n",
                  true);
    const int pid = spawn_until_program_runs(project);

    const RunResult stopped = stop_runner(project, pid);
    INFO("stderr: " << stopped.err);
    CHECK(stopped.exit_code == 143);
    CHECK(stopped.out.find(version) != std::string::npos);  // listed as applied, though the run stopped
    CHECK(effects_logged(project) == 1);
    CHECK(row_status(project) == "applied");
    CHECK(project.events("apply") == 1);
    CHECK(project.events("fail") == 0);

    const RunResult rerun = project.run({"migrate"});
    INFO("rerun stderr: " << rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(effects_logged(project) == 1);
    CHECK(project.events("apply") == 1);
}

TEST_CASE("SIGTERM to datamig: an exec program it kills, or that fails after it, keeps its row `running`",
          "[e2e][signals]") {
    // Both have done part of their work (one line) before the signal: deleting the row would
    // run them again.
    const auto [what, on_term] = GENERATE(table<std::string, std::string>({
        {"killed by the signal", ""},
        {"exits 3 after the signal", "trap 'exit 3' TERM\n"},
    }));
    INFO(what);
    Project project;
    project.write(exec_path,
                  "#!/bin/sh\n" + on_term +
                      "echo first-half >> effects.log\ntouch started\n"
                      "while [ -f hold ]; do sleep 0.05; done\n",
                  true);
    const int pid = spawn_until_program_runs(project);

    const RunResult stopped = stop_runner(project, pid);
    INFO("stderr: " << stopped.err);
    CHECK(stopped.exit_code == 143);
    CHECK(stopped.err.find(fmt::format("datamig resolve {}", version)) != std::string::npos);
    REQUIRE(row_status(project) == "running");
    CHECK(project.events("fail") == 1);
    CHECK(project.events("apply") == 0);

    check_blocked(project);
    CHECK(effects_logged(project) == 1);

    // The operator saw the half-done work and finished it by hand.
    REQUIRE(project.run({"resolve", version, "--applied"}).exit_code == 0);
    CHECK(project.run({"migrate"}).exit_code == 0);
    CHECK(effects_logged(project) == 1);
}

TEST_CASE("datamig killed with SIGKILL: its exec program dies with it and does nothing more", "[e2e][signals]") {
    Project project;
    // Would do its work once `hold` is gone, if it still ran.
    project.write(exec_path,
                  "#!/bin/sh\ntouch started\nwhile [ -f hold ]; do sleep 0.05; done\necho up >> effects.log\n", true);
    const int pid = spawn_until_program_runs(project);

    kill(pid, SIGKILL);
    CHECK(project.wait(pid).exit_code == 128 + SIGKILL);
    fs::remove(project.root() / "hold");
    CHECK_FALSE(eventually([&] { return effects_logged(project) > 0; }, 2s));
    REQUIRE(row_status(project) == "running");
    check_blocked(project);
}

TEST_CASE("SIGTERM during a transaction:false section keeps its row `running`; an SQL error deletes it",
          "[e2e][signals]") {
    Project project;
    project.execute("CREATE TABLE effects (version TEXT NOT NULL);");
    // The INSERT commits on its own; the statement after it runs until datamig cancels it.
    const std::string endless = on_postgres() ? "SELECT pg_sleep(60);\n"
                                              : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                                "WHERE i < 10000000000) SELECT count(*) FROM n;\n";
    const auto effects = [&] { return project.count("SELECT count(*) FROM effects"); };

    SECTION("a signal: the effect is unknown") {
        project.write_sql("pre_sync", version, "no_transaction",
                          "-- migrate:up transaction:false\nINSERT INTO effects (version) VALUES ('x');\n" + endless);
        const int pid = project.spawn({"migrate"});
        const bool inserted = eventually([&] { return effects() == 1; });
        INFO("stderr so far: " << project.stderr_so_far(pid));
        REQUIRE(inserted);

        kill(pid, SIGTERM);
        const RunResult stopped = project.wait(pid);
        INFO("stderr: " << stopped.err);
        CHECK(stopped.exit_code == 143);
        REQUIRE(row_status(project) == "running");
        CHECK(project.events("fail") == 1);
        check_blocked(project);
        CHECK(effects() == 1);
    }
    SECTION("an SQL error and no signal: a known failure, retried by the next migrate") {
        project.write_sql("pre_sync", version, "no_transaction",
                          "-- migrate:up transaction:false\nINSERT INTO effects (version) VALUES ('x');\n"
                          "INSERT INTO missing_table (version) VALUES ('x');\n");
        const RunResult failed = project.run({"migrate"});
        INFO("stderr: " << failed.err);
        CHECK(failed.exit_code == 1);
        CHECK(project.history_rows() == 0);
        CHECK(project.events("fail") == 1);
        CHECK(effects() == 1);
    }
}

namespace {

// A batch:range migration over `items` that adds 1 to n of every item, 10 keys a batch.
void write_range_migration(Project& project, const std::string& before = "") {
    project.write_sql("pre_sync", version, "backfill",
                      "-- migrate:up batch:range key:items.id batch_size:10\n" + before +
                          "UPDATE items SET n = n + 1 WHERE id >= :batch_start AND id < :batch_end;\n");
}

std::string status_state(const Project& project) {
    const auto document = project.run({"status", "--format", "json"}).json();
    REQUIRE(document.at("migrations").size() == 1);
    return document.at("migrations").at(0).at("state");
}

}  // namespace

TEST_CASE("a batch migration that fails before any batch committed leaves no row, only its fail event",
          "[e2e][signals][batch]") {
    const auto [what, setup, migration] = GENERATE(table<std::string, std::string, std::string>({
        {"missing key table", "",
         "-- migrate:up batch:range key:items.id batch_size:10\nUPDATE items SET n = 1 WHERE id >= :batch_start;\n"},
        {"key near the 64-bit limit",
         "CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);\n"
         "INSERT INTO items (id) VALUES (1), (9223372036854775000);\n",
         "-- migrate:up batch:range key:items.id batch_size:1000\nUPDATE items SET n = 1 WHERE id >= :batch_start;\n"},
        {"an SQL error in the first batch",
         "CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);\n"
         "INSERT INTO items (id) VALUES (1), (2);\n",
         "-- migrate:up batch:loop\nUPDATE items SET n = 1 WHERE id IN (SELECT id FROM missing_table);\n"},
    }));
    INFO(what);
    Project project;
    if (!setup.empty()) project.execute(setup);
    project.write_sql("pre_sync", version, "backfill", migration);

    const RunResult failed = project.run({"migrate"});
    INFO("stderr: " << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(project.history_rows() == 0);
    CHECK(project.events("fail") == 1);
    CHECK(status_state(project) == "pending");
}

TEST_CASE("a resumed batch migration that fails before its next batch keeps its row and checkpoint",
          "[e2e][signals][batch]") {
    Project project;
    project.execute(
        "CREATE TABLE items (id BIGINT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);\n"
        "INSERT INTO items (id) VALUES (1), (2), (11), (12), (21), (22);\n"
        "CREATE TABLE tripwire (id INTEGER PRIMARY KEY); INSERT INTO tripwire (id) VALUES (1);\n");
    // Fails in its third batch, after two have committed.
    write_range_migration(project, "INSERT INTO tripwire (id) SELECT 1 WHERE :batch_start >= 21;\n");
    REQUIRE(project.run({"migrate"}).exit_code == 1);
    REQUIRE(status_state(project) == "partial");

    // The resumed run fails before any batch: the key table is gone.
    project.execute("ALTER TABLE items RENAME TO items_elsewhere;");
    write_range_migration(project);
    const RunResult failed = project.run({"migrate"});
    INFO("stderr: " << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(project.value(fmt::format("SELECT status || ' ' || batch_cursor FROM data_migrations WHERE version = '{}'",
                                    version)) == "running 21");
    CHECK(project.events("fail") == 2);
    CHECK(status_state(project) == "partial");

    project.execute("ALTER TABLE items_elsewhere RENAME TO items;");
    const RunResult resumed = project.run({"migrate"});
    INFO("stderr: " << resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(project.count("SELECT count(*) FROM items WHERE n = 1") == 6);
}
