// Faults, concurrency and bad input (SPEC §6, §7): what happens when several runners start at
// once, when a runner is killed or stopped midway, and when files, flags or URLs are wrong.
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using datamig::test::Project;
using datamig::test::RunResult;
using SteadyClock = std::chrono::steady_clock;
using datamig::test::eventually;
using datamig::test::seconds_since;

bool on_postgres() { return datamig::test::suite_database_kind() == "postgres"; }

std::size_t occurrences(const std::string& text, const std::string& fragment) {
    std::size_t count = 0;
    for (auto at = text.find(fragment); at != std::string::npos; at = text.find(fragment, at + fragment.size()))
        ++count;
    return count;
}

void wait_for_log(const Project& project, int pid, const std::string& fragment) {
    const bool logged = eventually([&] { return project.stderr_so_far(pid).find(fragment) != std::string::npos; });
    INFO("stderr: " << project.stderr_so_far(pid));
    REQUIRE(logged);
}

// A table the migrations below write to: their observable side effect.
void create_effects(const Project& project) { project.execute("CREATE TABLE effects (version TEXT NOT NULL);"); }

int effects(const Project& project) { return project.count("SELECT count(*) FROM effects"); }

// A statement whose run time the test controls through the table `slowness`: long while the
// test signals the runner, short for the rerun that must complete. PostgreSQL sleeps that many
// seconds; SQLite counts to that number, a CPU-bound loop sqlite3_interrupt can stop.
std::string slow_statement() {
    return on_postgres() ? "SELECT pg_sleep((SELECT amount FROM slowness));\n"
                         : "WITH RECURSIVE counter(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counter\n"
                           "  WHERE n < (SELECT amount FROM slowness))\nSELECT count(*) FROM counter;\n";
}

void set_slowness(const Project& project, bool slow) {
    const int amount = on_postgres() ? (slow ? 20 : 0) : (slow ? 60000000 : 1);
    project.execute(fmt::format("DELETE FROM slowness; INSERT INTO slowness (amount) VALUES ({});", amount));
}

constexpr const char* slow_version = "20261122093000";

// One pre_sync migration that records its side effect, then runs the slow statement, all in
// the transaction that also records its history row.
void write_slow_migration(Project& project) {
    create_effects(project);
    project.execute("CREATE TABLE slowness (amount INTEGER NOT NULL);");
    set_slowness(project, true);
    project.write_sql(
        "pre_sync", slow_version, "slow_effect",
        fmt::format("-- migrate:up\nINSERT INTO effects (version) VALUES ('{}');\n{}", slow_version, slow_statement()));
}

// "applying" is logged just before the transaction starts; a signal only tests stopping a
// statement once that statement runs, so wait for evidence that the section is under way.
void wait_until_inside_slow_statement(const Project& project, int pid) {
    wait_for_log(project, pid, "applying");
    if (on_postgres()) {
        REQUIRE(eventually([&] {
            return project.count(
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                       "state = 'active' AND query LIKE '%pg_sleep((SELECT amount%' AND "
                       "pid <> pg_backend_pid()") > 0;
        }));
    } else {
        // SQLite creates its rollback journal when the transaction first writes, i.e. once the
        // INSERT before the slow statement has run; it is deleted again at commit or rollback.
        const fs::path journal = project.database_url().substr(std::string("sqlite:").size()) + "-journal";
        REQUIRE(eventually([&] { return fs::exists(journal); }));
    }
}

void check_refused(const RunResult& result, int exit_code, const std::vector<std::string>& fragments) {
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    CHECK(result.exit_code == exit_code);
    CHECK(occurrences(result.err, "error:") == 1);
    for (const auto& fragment : fragments) CHECK(result.err.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("eight concurrent migrate runs apply each of twenty migrations exactly once", "[e2e][faults]") {
    Project project;
    create_effects(project);
    for (int i = 0; i < 20; ++i) {
        const std::string version = fmt::format("202611220930{:02d}", i);
        project.write_sql(i < 10 ? "pre_sync" : "post_sync", version, fmt::format("effect_{}", i),
                          fmt::format("-- migrate:up\nINSERT INTO effects (version) VALUES ('{}');\n", version));
    }

    std::vector<int> runners;
    for (int i = 0; i < 8; ++i) runners.push_back(project.spawn({"migrate"}));
    for (const int pid : runners) {
        const RunResult result = project.wait(pid);
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 0);
    }

    CHECK(effects(project) == 20);
    CHECK(project.count("SELECT count(DISTINCT version) FROM effects") == 20);
    CHECK(project.count("SELECT count(*) FROM data_migrations WHERE status = 'applied'") == 20);
    CHECK(project.events("apply") == 20);
}

TEST_CASE("a runner killed inside a transactional migration leaves nothing; the rerun applies it once",
          "[e2e][faults]") {
    Project project;
    write_slow_migration(project);
    const int pid = project.spawn({"migrate"});
    wait_until_inside_slow_statement(project, pid);

    kill(pid, SIGKILL);
    CHECK(project.wait(pid).exit_code == 128 + SIGKILL);
    CHECK(project.history_rows() == 0);
    CHECK(effects(project) == 0);

    // SPEC §6: the lock dies with its holder, so the rerun does not wait for the killed run's
    // statement to end.
    set_slowness(project, false);
    const auto start = SteadyClock::now();
    const RunResult rerun = project.run({"migrate", "--lock-wait", "3s"});
    INFO("stderr: " << rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(seconds_since(start) < 10);
    CHECK(effects(project) == 1);
    CHECK(project.count("SELECT count(*) FROM data_migrations WHERE status = 'applied'") == 1);
}

TEST_CASE("SIGTERM and SIGINT during a transactional migration roll it back and exit 143 / 130", "[e2e][faults]") {
    // The third row: a second, different signal while datamig is already stopping (kubectl
    // deleting a Job twice) changes neither the outcome nor the exit code.
    const auto [signal_number, second_signal, expected_exit] =
        GENERATE(table<int, int, int>({{SIGTERM, 0, 143}, {SIGINT, 0, 130}, {SIGTERM, SIGINT, 143}}));
    Project project;
    write_slow_migration(project);
    const int pid = project.spawn({"migrate"});
    wait_until_inside_slow_statement(project, pid);

    const auto start = SteadyClock::now();
    kill(pid, signal_number);
    if (second_signal != 0) {
        // Only once the first is taken: two signals pending together arrive lowest number first.
        wait_for_log(project, pid, "SIGTERM received");
        kill(pid, second_signal);
    }
    const RunResult stopped = project.wait(pid);
    INFO("signal " << signal_number << ", stderr: " << stopped.err);
    CHECK(stopped.exit_code == expected_exit);
    CHECK(seconds_since(start) < 10);
    CHECK(project.count("SELECT count(*) FROM data_migrations WHERE version = '" + std::string(slow_version) + "'") ==
          0);
    CHECK(effects(project) == 0);

    set_slowness(project, false);
    const RunResult rerun = project.run({"migrate"});
    INFO("rerun stderr: " << rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(effects(project) == 1);
    CHECK(project.count("SELECT count(*) FROM data_migrations WHERE status = 'applied'") == 1);
}

TEST_CASE("a second runner waits for the runner lock up to --lock-wait", "[e2e][faults]") {
    Project project;
    // Holds the runner lock until the test creates `release`.
    project.write("db/data_migrations/post_sync/20261122093000_hold_lock.sh",
                  "#!/bin/sh\necho \"$1\" >> calls.log\ntouch started\n"
                  "while [ ! -f release ]; do sleep 0.05; done\n",
                  true);
    const int holder = project.spawn({"migrate"});
    REQUIRE(eventually([&] { return fs::exists(project.root() / "started"); }));

    const RunResult impatient = project.run({"migrate", "--lock-wait", "1s"});
    check_refused(impatient, 3, {"runner lock"});

    const int patient = project.spawn({"migrate", "--lock-wait", "60s", "--format", "json"});
    wait_for_log(project, patient, "runner lock");
    project.write("release", "");

    const RunResult held = project.wait(holder);
    INFO("holder stderr: " << held.err);
    CHECK(held.exit_code == 0);
    const RunResult waited = project.wait(patient);
    INFO("patient stderr: " << waited.err);
    CHECK(waited.exit_code == 0);
    CHECK(waited.json()["applied"].empty());
    CHECK(project.read("calls.log") == "up\n");
    CHECK(project.history_rows() == 1);
}

namespace {

constexpr const char* interrupted_version = "20261122093000";

// Leaves a `running` row the way a crash does: the runner is killed while its exec migration
// runs. The script hangs only while the file `hang` exists, so a later run completes.
void leave_interrupted_exec_migration(Project& project) {
    project.write(fmt::format("db/data_migrations/post_sync/{}_enqueue_jobs.sh", interrupted_version),
                  "#!/bin/sh\necho \"$1\" >> calls.log\n"
                  "if [ -f hang ]; then echo $$ > child.pid; exec sleep 60; fi\n",
                  true);
    project.write("hang", "");
    const int pid = project.spawn({"migrate"});
    const fs::path pid_file = project.root() / "child.pid";
    REQUIRE(
        eventually([&] { return fs::exists(pid_file) && project.read("child.pid").find('\n') != std::string::npos; }));
    kill(pid, SIGKILL);
    CHECK(project.wait(pid).exit_code == 128 + SIGKILL);
    kill(std::stoi(project.read("child.pid")), SIGKILL);
    fs::remove(project.root() / "hang");
    REQUIRE(project.value(fmt::format("SELECT status FROM data_migrations WHERE version = '{}'",
                                      interrupted_version)) == "running");
}

}  // namespace

TEST_CASE("an interrupted exec migration blocks migrate until resolve settles it", "[e2e][faults]") {
    Project project;
    leave_interrupted_exec_migration(project);
    const std::string row_status =
        fmt::format("SELECT status FROM data_migrations WHERE version = '{}'", interrupted_version);

    SECTION("migrate refuses with exit 4 and names datamig resolve and the version") {
        const RunResult blocked = project.run({"migrate"});
        check_refused(blocked, 4, {"datamig resolve", interrupted_version});
        CHECK(project.read("calls.log") == "up\n");
    }
    SECTION("resolve --pending deletes the row and the next migrate runs it again") {
        const RunResult resolved = project.run({"resolve", interrupted_version, "--pending"});
        INFO("stderr: " << resolved.err);
        CHECK(resolved.exit_code == 0);
        CHECK(project.history_rows() == 0);
        CHECK(project.events("resolve") == 1);

        const RunResult rerun = project.run({"migrate"});
        INFO("stderr: " << rerun.err);
        CHECK(rerun.exit_code == 0);
        CHECK(project.read("calls.log") == "up\nup\n");
        CHECK(project.value(row_status) == "applied");
    }
    SECTION("resolve --applied marks it applied and migrate does not run it again") {
        const RunResult resolved = project.run({"resolve", interrupted_version, "--applied"});
        INFO("stderr: " << resolved.err);
        CHECK(resolved.exit_code == 0);
        CHECK(project.value(row_status) == "applied");
        CHECK(project.events("resolve") == 1);

        CHECK(project.run({"migrate"}).exit_code == 0);
        CHECK(project.read("calls.log") == "up\n");

        // Only `running` rows can be resolved.
        check_refused(project.run({"resolve", interrupted_version, "--pending"}), 2, {interrupted_version});
        check_refused(project.run({"resolve", "20991231235959", "--applied"}), 2, {"20991231235959"});
        CHECK(project.value(row_status) == "applied");
        CHECK(project.events("resolve") == 1);
    }
}

// --- Bad input: one clear message, the exit code of SPEC §7, nothing half-written. ---

TEST_CASE("a missing migrations directory is a usage error", "[e2e][faults][input]") {
    Project project;
    check_refused(project.run({"migrate", "--dir", "does/not/exist"}), 2, {"does/not/exist"});
    CHECK(project.history_rows() == 0);
}

TEST_CASE("an unreadable phase folder is refused", "[e2e][faults][input]") {
    Project project;
    project.write_sql("pre_sync", "20261122093000", "anything", "-- migrate:up\nSELECT 1;\n");
    const fs::path phase = project.root() / "db/data_migrations/pre_sync";
    fs::permissions(phase, fs::perms::none);
    const RunResult result = project.run_as_nobody({"migrate"});  // root would read it anyway
    fs::permissions(phase, fs::perms::owner_all);
    check_refused(result, 2, {"pre_sync"});
    CHECK(project.history_rows() == 0);
}

TEST_CASE("file names that almost match are check errors and stop migrate", "[e2e][faults][input]") {
    Project project;
    create_effects(project);
    const std::vector<std::string> bad_names = {"2026112209300_short_version.sql", "20261122093000_with space.sql",
                                                "20261122093001missing_underscore.sql"};
    for (const auto& name : bad_names)
        project.write("db/data_migrations/pre_sync/" + name, "-- migrate:up\nSELECT 1;\n");
    project.write_sql("pre_sync", "20261122093002", "valid",
                      "-- migrate:up\nINSERT INTO effects (version) VALUES ('valid');\n");

    const RunResult check = project.run({"check"});
    INFO("check stdout: " << check.out << "\nstderr: " << check.err);
    CHECK(check.exit_code == 1);
    for (const auto& name : bad_names) CHECK(check.out.find(name) != std::string::npos);

    const RunResult migrate = project.run({"migrate"});
    check_refused(migrate, 2, bad_names);
    CHECK(project.history_rows() == 0);
    CHECK(effects(project) == 0);
}

TEST_CASE("malformed SQL migration files are refused before anything runs", "[e2e][faults][input]") {
    struct BadFile {
        std::string what;
        std::string content;
        std::vector<std::string> fragments;  // beyond the file name
    };
    const std::string binary_garbage = [] {
        std::string bytes;
        for (int i = 0; i < 4096; ++i) bytes += static_cast<char>((i * 7919) % 256);
        return bytes;
    }();
    const auto bad = GENERATE_COPY(values<BadFile>({
        {"empty file", "", {"up"}},
        {"no up section", "-- migrate:down\nDELETE FROM effects;\n", {"up"}},
        {"unknown marker", "-- migrate:up\nSELECT 1;\n-- migrate:sideways\nSELECT 2;\n", {":3", "sideways"}},
        {"unknown option", "-- migrate:up fancy:yes\nSELECT 1;\n", {":1", "fancy"}},
        {"invalid UTF-8", "-- migrate:up\nUPDATE effects SET version = 'caf\xe9';\n", {":2", "UTF-8"}},
        {"binary garbage", binary_garbage, {}},
    }));
    INFO(bad.what);
    Project project;
    create_effects(project);
    project.write_sql("pre_sync", "20261122093000", "bad_file", bad.content);

    auto fragments = bad.fragments;
    fragments.push_back("20261122093000_bad_file.sql");
    check_refused(project.run({"migrate"}), 2, fragments);
    CHECK(project.run({"check"}).exit_code == 1);
    CHECK(project.history_rows() == 0);
}

TEST_CASE("a 50 MB migration of comments and one UPDATE is applied", "[e2e][faults][input]") {
    Project project;
    create_effects(project);
    project.execute("INSERT INTO effects (version) VALUES ('before');");
    std::string content = "-- migrate:up\n";
    const std::string filler = "-- " + std::string(96, 'x') + "\n";
    content.reserve(50 * 1024 * 1024 + 200);
    while (content.size() < 50u * 1024 * 1024) content += filler;
    content += "UPDATE effects SET version = 'after';\n";
    project.write_sql("pre_sync", "20261122093000", "huge_file", content);

    const RunResult result = project.run({"migrate"});
    INFO("stderr: " << result.err.substr(0, 2000));
    CHECK(result.exit_code == 0);
    CHECK(project.value("SELECT version FROM effects") == "after");
    CHECK(project.count("SELECT count(*) FROM data_migrations WHERE status = 'applied'") == 1);
}

TEST_CASE("an SQL error is reported with file and line and leaves nothing", "[e2e][faults][input]") {
    Project project;
    create_effects(project);
    project.write_sql("pre_sync", "20261122093000", "syntax_error",
                      "-- migrate:up\nINSERT INTO effects (version) VALUES ('x');\n"
                      "UPDTE effects SET version = 'y';\n");
    const RunResult result = project.run({"migrate"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("20261122093000_syntax_error.sql") != std::string::npos);
    CHECK((result.err.find(":3") != std::string::npos || result.err.find("line 3") != std::string::npos));
    CHECK(project.history_rows() == 0);
    CHECK(effects(project) == 0);
    CHECK(project.events("fail") == 1);
}

TEST_CASE("bad database URLs and settings are refused with the setting named", "[e2e][faults][input]") {
    Project project;
    project.write_sql("pre_sync", "20261122093000", "anything", "-- migrate:up\nSELECT 1;\n");

    SECTION("unknown URL scheme") {
        check_refused(project.run({"migrate", "--database-url", "mysql://x"}), 2, {"mysql"});
    }
    SECTION("unreachable server: exit 3 quickly, password hidden") {
        const auto start = SteadyClock::now();
        const RunResult result = project.run({"migrate", "--database-url", "postgres://u:pw@127.0.0.1:1/db"});
        check_refused(result, 3, {"127.0.0.1"});
        CHECK(seconds_since(start) < 10);
        CHECK(result.err.find("pw") == std::string::npos);
        CHECK(result.out.find("pw") == std::string::npos);
    }
    SECTION("--wait gives up after --wait-timeout") {
        const auto start = SteadyClock::now();
        const RunResult result = project.run(
            {"migrate", "--database-url", "postgres://u:pw@127.0.0.1:1/db", "--wait", "--wait-timeout", "2s"});
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 3);
        CHECK(seconds_since(start) >= 1.5);
        CHECK(seconds_since(start) < 10);
        CHECK(result.err.find("pw") == std::string::npos);
    }
    SECTION("history table name with SQL in it") {
        check_refused(project.run({"migrate", "--table", "x;drop table y"}), 2, {"--table"});
    }
    CHECK(project.history_rows() == 0);
}

TEST_CASE("a wrong PostgreSQL password is refused without showing it", "[e2e][faults][input]") {
    if (!on_postgres()) {
        WARN("skipped: SQLite has no password");
        return;
    }
    Project project;
    project.write_sql("pre_sync", "20261122093000", "anything", "-- migrate:up\nSELECT 1;\n");
    const std::string& url = project.database_url();
    const auto user_start = url.find("://") + 3;
    const auto password_start = url.find(':', user_start) + 1;
    const auto password_end = url.find('@', password_start);
    REQUIRE(password_end != std::string::npos);
    const std::string real_password = url.substr(password_start, password_end - password_start);
    const std::string wrong_password = "NotTheSecret42";
    const std::string wrong_url = url.substr(0, password_start) + wrong_password + url.substr(password_end);

    const RunResult result = project.run({"migrate", "--database-url", wrong_url});
    check_refused(result, 3, {});
    for (const auto& secret : {wrong_password, real_password}) {
        CHECK(result.err.find(secret) == std::string::npos);
        CHECK(result.out.find(secret) == std::string::npos);
    }
    CHECK(project.history_rows() == 0);
}

namespace {

// A text column read back as hex, so quotes, semicolons and newlines survive the trip intact.
std::string column_text(const Project& project, const std::string& column, const std::string& table) {
    const std::string hex =
        project.value(on_postgres() ? fmt::format("SELECT encode(convert_to({}, 'UTF8'), 'hex') FROM {}", column, table)
                                    : fmt::format("SELECT hex({}) FROM {}", column, table));
    std::string text;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        text += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return text;
}

}  // namespace

TEST_CASE("operator and context values with quotes, semicolons and newlines are stored verbatim",
          "[e2e][faults][input]") {
    Project project;
    project.write_sql("pre_sync", "20261122093000", "anything", "-- migrate:up\nSELECT 1;\n");
    const std::string operator_name = "o'brien\"; DROP TABLE data_migrations; --\nsecond line";
    const std::string note = "it's \"quoted\"; DELETE FROM x;\nnext line";

    const RunResult result =
        project.run({"migrate", "--operator", operator_name, "--context", "note=" + note, "--context", "ticket=OPS-1"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);

    for (const std::string table : {"data_migrations", "data_migrations_events"}) {
        INFO(table);
        CHECK(column_text(project, "operator", table) == operator_name);
        const auto context = nlohmann::json::parse(column_text(project, "context", table));
        CHECK(context == nlohmann::json{{"note", note}, {"ticket", "OPS-1"}});
    }
}

TEST_CASE("a symlink leading outside the migrations root is refused", "[e2e][faults][input]") {
    Project project;
    create_effects(project);
    const fs::path outside = project.write("elsewhere/20261122093000_outside.sql",
                                           "-- migrate:up\nINSERT INTO effects (version) VALUES ('x');\n");
    const fs::path link = project.root() / "db/data_migrations/pre_sync/20261122093000_outside.sql";
    fs::create_symlink(fs::absolute(outside), link);

    const RunResult check = project.run({"check"});
    INFO("check stdout: " << check.out);
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("20261122093000_outside.sql") != std::string::npos);

    check_refused(project.run({"migrate"}), 2, {"20261122093000_outside.sql"});
    CHECK(project.history_rows() == 0);
    CHECK(effects(project) == 0);
}
