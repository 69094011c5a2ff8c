// Exec migrations (SPEC §3): how the program is started, what it sees, and what a failure,
// a timeout, a rollback or a stop signal does to it and to the history.
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

constexpr const char* version = "20261122093000";
constexpr const char* script_path = "db/data_migrations/post_sync/20261122093000_enqueue_jobs.sh";

// A zombie counts as gone: it has stopped running, whoever reaps it.
bool is_running(int pid) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto state_at = line.rfind(") ");
    return state_at != std::string::npos && state_at + 2 < line.size() && line[state_at + 2] != 'Z' &&
           line[state_at + 2] != 'X';
}

// The pid a script wrote to `file` (relative to the project root), once it is complete.
int pid_written_to(const Project& project, const std::string& file) {
    REQUIRE(eventually(
        [&] { return fs::exists(project.root() / file) && project.read(file).find('\n') != std::string::npos; }));
    return std::stoi(project.read(file));
}

// The line of datamig's log that carries `text` from the program's output.
std::string log_line_with(const std::string& log, const std::string& text) {
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (line.find(text) != std::string::npos) return line;
    }
    return "";
}

}  // namespace

TEST_CASE("an exec migration runs as `<file> up` in the start directory with the DATAMIG_ environment", "[e2e][exec]") {
    Project project;
    // Relative output path: the file lands in the working directory the program was given.
    project.write(script_path,
                  "#!/bin/sh\n"
                  "{\n"
                  "  echo \"args=$*\"\n"
                  "  echo \"cwd=$(pwd -P)\"\n"
                  "  echo \"DATABASE_URL=$DATABASE_URL\"\n"
                  "  echo \"DATAMIG_VERSION=$DATAMIG_VERSION\"\n"
                  "  echo \"DATAMIG_NAME=$DATAMIG_NAME\"\n"
                  "  echo \"DATAMIG_PHASE=$DATAMIG_PHASE\"\n"
                  "  echo \"DATAMIG_DIRECTION=$DATAMIG_DIRECTION\"\n"
                  "  echo \"DATAMIG_OPERATOR=$DATAMIG_OPERATOR\"\n"
                  "} > seen.txt\n"
                  "echo enqueued-on-stdout\n"
                  "echo warned-on-stderr >&2\n",
                  true);

    const RunResult result = project.run({"migrate", "--operator", "alice"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(project.read("seen.txt") == fmt::format("args=up\n"
                                                  "cwd={}\n"
                                                  "DATABASE_URL={}\n"
                                                  "DATAMIG_VERSION={}\n"
                                                  "DATAMIG_NAME=enqueue_jobs\n"
                                                  "DATAMIG_PHASE=post_sync\n"
                                                  "DATAMIG_DIRECTION=up\n"
                                                  "DATAMIG_OPERATOR=alice\n",
                                                  fs::canonical(project.root()).string(), project.database_url(),
                                                  version));

    // Passed through to the log, each line prefixed with the migration it came from.
    for (const std::string output : {"enqueued-on-stdout", "warned-on-stderr"}) {
        const std::string line = log_line_with(result.err, output);
        CHECK(line.find(version) != std::string::npos);
        CHECK(line.find(version) < line.find(output));
    }
    CHECK(project.value("SELECT status FROM data_migrations") == "applied");
}

TEST_CASE("a failing exec migration leaves no row, records a fail event and is retried", "[e2e][exec]") {
    Project project;
    project.write(script_path,
                  "#!/bin/sh\necho \"$1\" >> calls.log\n"
                  "if [ -f broken ]; then echo 'queue unreachable' >&2; exit 3; fi\n",
                  true);
    project.write("broken", "");

    const RunResult failed = project.run({"migrate"});
    INFO("stderr: " << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("20261122093000_enqueue_jobs.sh") != std::string::npos);
    CHECK(project.history_rows() == 0);
    CHECK(project.events("fail") == 1);

    fs::remove(project.root() / "broken");
    const RunResult retried = project.run({"migrate"});
    INFO("retry stderr: " << retried.err);
    CHECK(retried.exit_code == 0);
    CHECK(project.read("calls.log") == "up\nup\n");
    CHECK(project.value("SELECT status FROM data_migrations") == "applied");
}

TEST_CASE("--exec-timeout kills a program that runs too long and fails the migration", "[e2e][exec]") {
    Project project;
    // The sleep runs in the background so that killing the script alone would not end it.
    project.write(script_path, "#!/bin/sh\nsleep 30 &\necho $! > sleep.pid\nwait\n", true);

    const auto start = SteadyClock::now();
    const RunResult result = project.run({"migrate", "--exec-timeout", "1s"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 1);
    CHECK(seconds_since(start) < 10);
    CHECK((result.err.find("timeout") != std::string::npos || result.err.find("timed out") != std::string::npos));
    CHECK(project.history_rows() == 0);
    CHECK(project.events("fail") == 1);
    const int sleeper = pid_written_to(project, "sleep.pid");
    CHECK(eventually([&] { return !is_running(sleeper); }, 10s));
}

TEST_CASE("rollback runs `<file> down` and deletes the row", "[e2e][exec]") {
    Project project;
    project.write(script_path, "#!/bin/sh\necho \"$1 $DATAMIG_DIRECTION\" >> calls.log\n", true);
    REQUIRE(project.run({"migrate"}).exit_code == 0);

    const RunResult result = project.run({"rollback"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 0);
    CHECK(project.read("calls.log") == "up up\ndown down\n");
    CHECK(project.history_rows() == 0);
    CHECK(project.events("rollback") == 1);
}

TEST_CASE("SIGTERM to datamig stops the running exec program and exits 143", "[e2e][exec]") {
    Project project;
    project.write(script_path, "#!/bin/sh\necho $$ > script.pid\nsleep 60 &\necho $! > sleep.pid\nwait\n", true);
    const int runner = project.spawn({"migrate"});
    const int script = pid_written_to(project, "script.pid");
    const int sleeper = pid_written_to(project, "sleep.pid");

    kill(runner, SIGTERM);
    const RunResult stopped = project.wait(runner);
    INFO("stderr: " << stopped.err);
    CHECK(stopped.exit_code == 143);
    CHECK(eventually([&] { return !is_running(script) && !is_running(sleeper); }, 10s));
}
