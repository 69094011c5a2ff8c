#include "datamig/exec.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "datamig/error.hpp"
#include "support/temp_dir.hpp"

using datamig::ExecRequest;
using datamig::test::TempDir;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Makes the default logger write bare messages into a string while alive.
class CapturedLog {
public:
    CapturedLog() : saved_(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_));
        logger->set_pattern("%v");
        spdlog::set_default_logger(std::move(logger));
    }
    ~CapturedLog() { spdlog::set_default_logger(saved_); }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;

    std::string text() const { return lines_.str(); }

private:
    std::ostringstream lines_;
    std::shared_ptr<spdlog::logger> saved_;
};

ExecRequest script(const TempDir& dir, const std::string& body) {
    const auto path = datamig::test::write_file(dir.path() / "program.sh", "#!/bin/sh\n" + body + "\n", true);
    return {path, {"up"}, {}, std::nullopt, "20260101000000 program"};
}

// A process that is gone or a zombie (its parent may be slow to reap it) is no longer running.
bool is_running(const std::string& pid) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto state = line.find(") ");
    return state != std::string::npos && line[state + 2] != 'Z';
}

bool all_stopped_within(const std::vector<std::string>& pids, std::chrono::milliseconds limit) {
    const auto deadline = SteadyClock::now() + limit;
    for (;;) {
        const bool any_running = std::any_of(pids.begin(), pids.end(), is_running);
        if (!any_running) return true;
        if (SteadyClock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

TEST_CASE("run_process passes output lines to the log with the prefix", "[exec]") {
    TempDir dir;
    CapturedLog log;
    const ExecRequest request = script(dir, "echo \"first $1\"\necho second >&2\nprintf 'unterminated'");
    const datamig::ExecResult result = datamig::run_process(request);
    CHECK(result.exit_status == 0);
    CHECK_FALSE(result.timed_out);
    CHECK(result.killed_by_signal == 0);
    CHECK(log.text() == "[20260101000000 program] first up\n"
                        "[20260101000000 program] second\n"
                        "[20260101000000 program] unterminated\n");
}

TEST_CASE("run_process adds the requested environment to the inherited one", "[exec]") {
    TempDir dir;
    CapturedLog log;
    ExecRequest request = script(dir, "echo \"$DATAMIG_PHASE $HOME\"");
    request.environment = {{"DATAMIG_PHASE", "post_sync"}, {"HOME", "/overridden"}};
    datamig::run_process(request);
    CHECK_THAT(log.text(), Catch::Contains("post_sync /overridden"));
}

TEST_CASE("run_process reports the exit status and signals", "[exec]") {
    TempDir dir;
    CapturedLog log;
    const ExecRequest failing = script(dir, "exit 7");
    const datamig::ExecResult failed = datamig::run_process(failing);
    CHECK(failed.exit_status == 7);
    CHECK_FALSE(failed.timed_out);
    CHECK(datamig::describe(failed, failing) == "exited with status 7");

    const ExecRequest killed = script(dir, "kill -9 $$");
    const datamig::ExecResult signalled = datamig::run_process(killed);
    CHECK(signalled.killed_by_signal == 9);
    CHECK(datamig::describe(signalled, killed) == "killed by signal 9");
}

TEST_CASE("run_process: a timeout kills the program's whole process group", "[exec]") {
    TempDir dir;
    CapturedLog log;
    const auto pids = dir.path() / "pids";
    ExecRequest request = script(dir, "sleep 30 &\necho $! > '" + pids.string() + "'\nsleep 30 &\necho $! >> '" +
                                          pids.string() + "'\necho started\nwait");
    request.timeout = std::chrono::milliseconds(500);

    const auto start = SteadyClock::now();
    const datamig::ExecResult result = datamig::run_process(request);
    CHECK(result.timed_out);
    CHECK(SteadyClock::now() - start < std::chrono::seconds(4));
    CHECK(datamig::describe(result, request) == "timed out after 500ms and was killed");
    CHECK_THAT(log.text(), Catch::Contains("started"));

    std::istringstream listed(datamig::test::read_file(pids));
    std::vector<std::string> children{std::istream_iterator<std::string>(listed), std::istream_iterator<std::string>()};
    REQUIRE(children.size() == 2);
    CHECK(all_stopped_within(children, std::chrono::seconds(2)));
}

TEST_CASE("run_process returns when the program exits, even if a child it left holds the output open", "[exec]") {
    TempDir dir;
    CapturedLog log;
    const auto pid_file = dir.path() / "pid";
    // The pause lets the last line be read while the program still runs, so that the end of
    // the program, not the end of its output, is what has to be noticed.
    const ExecRequest request = script(dir, "sleep 5 &\necho $! > '" + pid_file.string() + "'\necho done\nsleep 0.3");
    const auto start = SteadyClock::now();
    const datamig::ExecResult result = datamig::run_process(request);
    const auto took = SteadyClock::now() - start;
    CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
    CHECK(result.exit_status == 0);
    CHECK(took < std::chrono::seconds(2));
    CHECK_THAT(log.text(), Catch::Contains("done"));
    // Do not leave the sleeper behind for other tests.
    const std::string leftover = datamig::test::read_file(pid_file);
    if (!leftover.empty()) kill(std::stoi(leftover), SIGKILL);
}

TEST_CASE("run_process: a program that cannot be started is a MigrationFailed naming it", "[exec]") {
    TempDir dir;
    const ExecRequest missing{dir.path() / "missing.sh", {"up"}, {}, std::nullopt, "x"};
    CHECK_THROWS_AS(datamig::run_process(missing), datamig::MigrationFailed);
    CHECK_THROWS_WITH(datamig::run_process(missing), Catch::Contains((dir.path() / "missing.sh").string()));

    const auto not_executable = datamig::test::write_file(dir.path() / "plain.sh", "#!/bin/sh\n");
    const ExecRequest denied{not_executable, {"up"}, {}, std::nullopt, "x"};
    CHECK_THROWS_AS(datamig::run_process(denied), datamig::MigrationFailed);
}
