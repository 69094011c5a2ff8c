#include "datamig/exec.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <stdlib.h>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "datamig/error.hpp"
#include "datamig/stop.hpp"
#include "support/temp_dir.hpp"

using datamig::ExecRequest;
using datamig::test::TempDir;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Makes the default logger write bare messages into a string while alive.
class CapturedLog {
public:
    CapturedLog() : saved_(spdlog::default_logger()) {
        auto logger =
            std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_));
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

// Stops the run, as SIGINT/SIGTERM would, once the program has created `marker`: from another
// thread, as the signal watcher does. The stop is forgotten at the end of the scope.
class StopOnceStarted {
public:
    StopOnceStarted(const std::filesystem::path& marker, int signal_number)
        : waiter_([this, marker, signal_number] {
              const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
              while (!std::filesystem::exists(marker) && SteadyClock::now() < deadline) {
                  std::this_thread::sleep_for(std::chrono::milliseconds(10));
              }
              stop_.arrive(signal_number);
          }) {}
    ~StopOnceStarted() { waiter_.join(); }
    StopOnceStarted(const StopOnceStarted&) = delete;
    StopOnceStarted& operator=(const StopOnceStarted&) = delete;

private:
    datamig::SimulatedStop stop_;
    std::thread waiter_;
};

// The pid a script wrote to `file` with `echo $$ >`, once the line is complete.
std::string pid_written_to(const std::filesystem::path& file) {
    const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
    std::string text;
    while ((text = datamig::test::read_file(file)).find('\n') == std::string::npos && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(text.find('\n') != std::string::npos);
    return text.substr(0, text.find('\n'));
}

}  // namespace

TEST_CASE("migration_request runs `<file> up|down` with the DATAMIG_ environment and --exec-timeout", "[exec]") {
    datamig::Settings settings;
    settings.database_url = "sqlite:app.sqlite3";
    settings.operator_name = "ops-bot";
    settings.exec_timeout = std::chrono::milliseconds(1500);
    const datamig::MigrationFile file{"20260102000000", "enqueue", "post_sync", "post_sync/20260102000000_enqueue.sh",
                                      datamig::Kind::exec};
    const ExecRequest request = datamig::migration_request(file, false, settings);
    CHECK(request.program == std::filesystem::current_path() / "post_sync/20260102000000_enqueue.sh");
    CHECK(request.arguments == std::vector<std::string>{"down"});
    using Variables = std::vector<std::pair<std::string, std::string>>;
    CHECK(request.environment == Variables{{"DATABASE_URL", "sqlite:app.sqlite3"},
                                           {"DATAMIG_VERSION", "20260102000000"},
                                           {"DATAMIG_NAME", "enqueue"},
                                           {"DATAMIG_PHASE", "post_sync"},
                                           {"DATAMIG_DIRECTION", "down"},
                                           {"DATAMIG_OPERATOR", "ops-bot"}});
    CHECK(request.timeout == std::chrono::milliseconds(1500));
    CHECK(request.log_prefix == "20260102000000 enqueue");
    CHECK(request.stop_grace == datamig::default_stop_grace);
}

TEST_CASE("migration_request: a --schemas target's program learns its schema (PGOPTIONS, DATAMIG_SCHEMA)", "[exec]") {
    datamig::Settings settings;
    settings.database_url = "postgres://app@db/saas";
    settings.search_path = "tenant one";
    const datamig::MigrationFile file{"20260102000000", "enqueue", "post_sync", "post_sync/20260102000000_enqueue.sh",
                                      datamig::Kind::exec};
    unsetenv("PGOPTIONS");
    auto request = datamig::migration_request(file, true, settings);
    using Variable = std::pair<std::string, std::string>;
    CHECK(request.environment[6] == Variable{"PGOPTIONS", "-c search_path=tenant\\ one"});
    CHECK(request.environment[7] == Variable{"DATAMIG_SCHEMA", "tenant one"});
    setenv("PGOPTIONS", "-c work_mem=64MB", 1);
    request = datamig::migration_request(file, true, settings);
    unsetenv("PGOPTIONS");
    CHECK(request.environment[6] == Variable{"PGOPTIONS", "-c work_mem=64MB -c search_path=tenant\\ one"});
}

TEST_CASE("run_process passes output lines to the log with the prefix", "[exec]") {
    TempDir dir;
    CapturedLog log;
    const ExecRequest request = script(dir, "echo \"first $1\"\necho second >&2\nprintf 'unterminated'");
    const datamig::ExecResult result = datamig::run_process(request);
    CHECK(result.exit_status == 0);
    CHECK_FALSE(result.timed_out);
    CHECK(result.killed_by_signal == 0);
    CHECK(log.text() ==
          "[20260101000000 program] first up\n"
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

TEST_CASE("run_process passes a stop signal on to the program's group and reports how it ended", "[exec]") {
    struct Case {
        int signal_number;
        std::string on_signal;  // the script's trap, if any
        std::string described;
        bool succeeded;
    };
    const Case c = GENERATE(values<Case>({
        {SIGTERM, "trap 'echo finishing; exit 0' TERM", "exited with status 0 after SIGTERM", true},
        {SIGTERM, "trap 'exit 3' TERM", "exited with status 3 after SIGTERM", false},
        {SIGTERM, "", "killed by signal 15 after SIGTERM", false},
        {SIGINT, "", "killed by signal 2 after SIGINT", false},
    }));
    INFO(c.described);
    TempDir dir;
    CapturedLog log;
    const auto started = dir.path() / "started";
    const ExecRequest request =
        script(dir, c.on_signal + "\ntouch '" + started.string() + "'\nwhile :; do sleep 0.05; done");
    datamig::ExecResult result;
    {
        const StopOnceStarted stop(started, c.signal_number);
        result = datamig::run_process(request);
    }
    CHECK(result.stop_signal == c.signal_number);
    CHECK(datamig::describe(result, request) == c.described);
    CHECK(datamig::succeeded(result) == c.succeeded);
    if (c.succeeded) CHECK_THAT(log.text(), Catch::Contains("finishing"));  // its output after the signal is kept
}

TEST_CASE("run_process: a program still running at the end of the stop grace is killed with its group", "[exec]") {
    TempDir dir;
    CapturedLog log;
    const auto started = dir.path() / "started";
    const auto sleeper = dir.path() / "sleeper";
    ExecRequest request = script(
        dir, "trap '' TERM\nsleep 30 &\necho $! > '" + sleeper.string() + "'\ntouch '" + started.string() + "'\nwait");
    request.stop_grace = std::chrono::milliseconds(300);
    const auto start = SteadyClock::now();
    datamig::ExecResult result;
    {
        const StopOnceStarted stop(started, SIGTERM);
        result = datamig::run_process(request);
    }
    CHECK(SteadyClock::now() - start < std::chrono::seconds(4));
    CHECK(result.outlived_grace);
    CHECK_FALSE(datamig::succeeded(result));
    CHECK(datamig::describe(result, request) == "still running 300ms after SIGTERM and was killed");
    CHECK(all_stopped_within({pid_written_to(sleeper)}, std::chrono::seconds(2)));
}

TEST_CASE("run_process: the program dies with the process that started it", "[exec]") {
    TempDir dir;
    const auto pid_file = dir.path() / "pid";
    const ExecRequest request = script(dir, "echo $$ > '" + pid_file.string() + "'\nwhile :; do sleep 0.05; done");
    // A runner of its own, killed as the kubelet would kill datamig. No other thread runs here,
    // so the forked copy may run ordinary code.
    const pid_t runner = fork();
    REQUIRE(runner >= 0);
    if (runner == 0) {
        try {
            datamig::run_process(request);
        } catch (...) {
        }
        _exit(0);
    }
    const std::string program = pid_written_to(pid_file);
    kill(runner, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(runner, &status, 0) == runner);
    const bool died = all_stopped_within({program}, std::chrono::seconds(2));
    if (!died) kill(std::stoi(program), SIGKILL);  // do not leave it behind for other tests
    CHECK(died);
}
