#include "datamig/fleet.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "datamig/stop.hpp"
#include "datamig/summary.hpp"
#include "support/temp_dir.hpp"

using datamig::Exit;
using datamig::Target;
using datamig::TargetResult;
using nlohmann::ordered_json;

namespace {

// The command the fleet runs, a plain function as in the command table: it reads its target's
// URL to decide what to do, and counts how many run at once.
std::atomic<int> running{0};
std::atomic<int> most_at_once{0};
std::atomic<int> runs{0};

Exit fake_command(const datamig::Invocation& invocation) {
    ++runs;
    const int now = ++running;
    for (int seen = most_at_once.load(); now > seen && !most_at_once.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --running;
    const std::string& url = invocation.settings.database_url;
    if (url.find("fail") != std::string::npos) throw datamig::MigrationFailed("boom in " + url);
    if (url.find("down") != std::string::npos) throw datamig::Unavailable("cannot connect");
    if (url.find("stop") != std::string::npos) datamig::simulate_stop(SIGTERM);
    *invocation.out << "applied 1\nrows 2\n";
    datamig::remember_document({{"applied", ordered_json::array({{{"version", "1"}}})}});
    return Exit::ok;
}

std::vector<Target> targets_of(const std::vector<std::string>& files) {
    std::vector<Target> targets;
    for (const auto& file : files) targets.push_back({file, "sqlite:" + file + ".db", std::nullopt});
    return targets;
}

datamig::Invocation fleet(std::int64_t jobs, std::int64_t canary = 0) {
    datamig::Invocation invocation;
    invocation.command = "migrate";
    invocation.run = fake_command;
    invocation.per_target = datamig::PerTarget::each;
    invocation.settings.targets_file = "targets.txt";
    invocation.settings.jobs = jobs;
    invocation.settings.canary = canary;
    running = 0;
    most_at_once = 0;
    runs = 0;
    return invocation;
}

// The log is not under test here (a many-target run configures its own logger: it is put back).
class QuietLog {
public:
    QuietLog() : logger_(spdlog::default_logger()), level_(logger_->level()) { logger_->set_level(spdlog::level::off); }
    ~QuietLog() {
        logger_->set_level(level_);
        spdlog::set_default_logger(logger_);
    }
    QuietLog(const QuietLog&) = delete;
    QuietLog& operator=(const QuietLog&) = delete;

private:
    std::shared_ptr<spdlog::logger> logger_;
    spdlog::level::level_enum level_;
};

}  // namespace

TEST_CASE("fleet: every target runs; a failing one does not stop the others; results in target order", "[fleet]") {
    const QuietLog quiet;
    std::vector<std::string> finished;
    const auto results = datamig::run_targets(fleet(3), targets_of({"a", "fail", "b", "down", "c"}),
                                              [&](const TargetResult& result) { finished.push_back(result.name); });
    REQUIRE(results.size() == 5);
    CHECK(finished.size() == 5);
    CHECK(runs == 5);
    CHECK(results[0].name == "a");
    CHECK(results[0].exit == Exit::ok);
    CHECK(results[0].output == "applied 1\nrows 2\n");
    CHECK(results[0].document == ordered_json{{"applied", ordered_json::array({{{"version", "1"}}})}});
    CHECK(results[1].exit == Exit::failed);
    CHECK(results[1].error == "boom in sqlite:fail.db");
    CHECK(results[3].exit == Exit::unavailable);
    CHECK(results[3].error == "cannot connect");
    CHECK(results[4].exit == Exit::ok);
}

TEST_CASE("fleet: --jobs bounds how many targets run at once", "[fleet]") {
    const QuietLog quiet;
    const auto targets = targets_of({"a", "b", "c", "d", "e", "f", "g", "h"});
    datamig::run_targets(fleet(1), targets, [](const TargetResult&) {});
    CHECK(most_at_once == 1);
    datamig::run_targets(fleet(3), targets, [](const TargetResult&) {});
    CHECK(most_at_once <= 3);
    CHECK(most_at_once >= 2);
    CHECK(runs == 8);
}

TEST_CASE("fleet: canaries run alone first, and a failing canary stops every other target", "[fleet]") {
    const QuietLog quiet;
    const auto stopped =
        datamig::run_targets(fleet(4, 2), targets_of({"a", "fail", "b", "c"}), [](const TargetResult&) {});
    CHECK(runs == 2);
    CHECK(most_at_once == 1);
    CHECK(stopped[1].exit == Exit::failed);
    CHECK_FALSE(stopped[2].exit.has_value());
    CHECK(stopped[2].error == "not run: canary fail failed");
    CHECK_FALSE(stopped[3].exit.has_value());

    const auto passed =
        datamig::run_targets(fleet(4, 2), targets_of({"a", "b", "fail", "c"}), [](const TargetResult&) {});
    CHECK(runs == 4);  // the canaries passed: a later failure stops nothing
    CHECK(passed[2].exit == Exit::failed);
    CHECK(passed[3].exit == Exit::ok);
}

TEST_CASE("fleet: after a stop signal no target starts; the one it stopped says so", "[fleet]") {
    const QuietLog quiet;
    const datamig::SimulatedStop stop;
    const auto results = datamig::run_targets(fleet(1), targets_of({"a", "stop", "b"}), [](const TargetResult&) {});
    CHECK(results[0].exit == Exit::ok);
    CHECK(results[1].exit == Exit::ok);  // it finished its work: main() turns the run's code into 143
    CHECK_FALSE(results[2].exit.has_value());
    CHECK(results[2].error == "not run: datamig was stopped first");
    CHECK(runs == 2);
}

TEST_CASE("fleet: run_command prints each target's lines under its name and a summary, or one JSON document",
          "[fleet]") {
    const QuietLog quiet;
    datamig::test::TempDir dir;
    const auto file = dir.path() / "targets.txt";
    setenv("DATAMIG_FLEET_TEST_PASSWORD", "s3cret", 1);
    std::ofstream(file) << "a sqlite:a.db\nfail postgres://app:${DATAMIG_FLEET_TEST_PASSWORD}@127.0.0.1:1/fail\n"
                           "down sqlite:down.db\nb sqlite:b.db\n";
    datamig::Invocation invocation = fleet(1);
    invocation.settings.targets_file = file;
    invocation.settings.verbosity = -1;  // the run's own logger: warnings and errors only
    std::ostringstream text;
    invocation.out = &text;
    // Targets failed with errors: the run fails with the summary as its error (log, summary file).
    CHECK_THROWS_WITH(datamig::run_command(invocation), "4 targets: 2 migrated, 1 failed, 1 could not connect");
    CHECK(text.str() ==
          "a: applied 1\na: rows 2\nb: applied 1\nb: rows 2\n"
          "4 targets: 2 migrated, 1 failed, 1 could not connect\n"
          "failed: fail (exit 1)\ncould not connect: down (exit 3)\n");

    invocation.settings.format = datamig::OutputFormat::json;
    invocation.settings.shard = {1, 2};
    std::ostringstream json;
    invocation.out = &json;
    CHECK_THROWS_AS(datamig::run_command(invocation), datamig::MigrationFailed);
    const auto document = ordered_json::parse(json.str());
    REQUIRE(document.at("targets").size() == 2);  // positions 1 and 3 of 4
    CHECK(document["targets"][0] ==
          ordered_json{{"target", "fail"}, {"exit_code", 1}, {"error", "boom in postgres://app:***@127.0.0.1:1/fail"}});
    CHECK(document["targets"][1] == ordered_json{{"target", "b"},
                                                 {"exit_code", 0},
                                                 {"error", nullptr},
                                                 {"applied", ordered_json::array({{{"version", "1"}}})}});
}

// The command of status --exit-code: it answers 1 without an error when something is pending.
Exit pending_command(const datamig::Invocation& invocation) {
    return invocation.settings.database_url == "sqlite:pending.db" ? Exit::failed : Exit::ok;
}

TEST_CASE("fleet: targets that answer 1 without an error end the run with 1, not with an error", "[fleet]") {
    const QuietLog quiet;
    datamig::test::TempDir dir;
    std::ofstream(dir.path() / "targets.txt") << "done sqlite:done.db\npending sqlite:pending.db\n";
    datamig::Invocation invocation = fleet(2);
    invocation.command = "status";
    invocation.run = pending_command;
    invocation.settings.targets_file = dir.path() / "targets.txt";
    invocation.settings.verbosity = -1;
    std::ostringstream text;
    invocation.out = &text;
    CHECK(datamig::run_command(invocation) == Exit::failed);
    CHECK(text.str() == "2 targets: 1 ok, 1 unfinished\nunfinished: pending (exit 1)\n");
}

TEST_CASE("fleet: without a target list the command runs once; pause and resume refuse a list", "[fleet]") {
    datamig::Invocation once = fleet(1);
    once.settings.targets_file.reset();
    std::ostringstream out;
    once.out = &out;
    CHECK(datamig::run_command(once) == Exit::ok);
    CHECK(runs == 1);
    CHECK(out.str() == "applied 1\nrows 2\n");

    datamig::Invocation pause = fleet(1);
    pause.command = "pause";
    pause.per_target = datamig::PerTarget::refused;
    CHECK_THROWS_AS(datamig::run_command(pause), datamig::UsageError);
    CHECK(runs == 0);
}
