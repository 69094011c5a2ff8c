// Many databases (SPEC §4, §6-§8), end to end: the real binary over 50 PostgreSQL databases of
// the test cluster (many_targets.hpp), each target run as a single-database run. A failing target
// and an unreachable one do not stop the others; canaries do; shards split the list; overlapping
// runs apply each migration once per database; SIGTERM rolls every target's work back; the
// password never shows; status, rollback, resolve and check --db run per target.
#include <signal.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"
#include "e2e/many_targets.hpp"

namespace datamig::test::fleet {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* v1 = "20261201000000";
constexpr const char* v2 = "20261201000100";

std::vector<std::string> all_equal(std::size_t count, const std::string& value) {
    return std::vector<std::string>(count, value);
}

// Each stdout line but the summary's starts with a target's name; every target printed some.
void check_prefixed(const RunResult& result, const std::vector<std::string>& names, std::size_t summary_lines) {
    const auto all = lines(result.out);
    REQUIRE(all.size() > summary_lines);
    std::set<std::string> seen;
    for (std::size_t i = 0; i + summary_lines < all.size(); ++i) {
        const std::string name = all[i].substr(0, all[i].find(": "));
        INFO("line: " << all[i]);
        CHECK(std::find(names.begin(), names.end(), name) != names.end());
        seen.insert(name);
    }
    CHECK(seen.size() == names.size());
}

std::vector<std::string> target_names(const json& document) {
    std::vector<std::string> names;
    for (const auto& entry : document.at("targets")) names.push_back(entry.at("target"));
    return names;
}

}  // namespace

TEST_CASE("--targets --jobs 8 migrates 50 PostgreSQL databases: lines per target, a summary, one JSON document",
          "[e2e][many]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    const TargetList list = write_targets(project, "jobs", 0, database_count);
    project.write_sql("pre_sync", v1, "first", tagged_sql("jobs-1"));

    const RunResult text = project.run({"migrate", "--targets", "targets.txt", "--jobs", "8"}, all.env());
    INFO("stdout:\n" << text.out << "\nstderr:\n" << text.err);
    REQUIRE(text.exit_code == 0);
    CHECK(lines(text.out).back() == "50 targets: 50 migrated");
    check_prefixed(text, list.names, 1);
    CHECK(all.in_each(list.databases, count_sql("dm_jobs")) == all_equal(50, "1"));
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'jobs-1'")) == all_equal(50, "1"));

    project.write_sql("post_sync", v2, "second", tagged_sql("jobs-2"));
    const RunResult run = project.run(
        {"migrate", "--targets", "targets.txt", "--jobs", "8", "--format", "json", "--summary-file", "summary.json"},
        all.env());
    REQUIRE(run.exit_code == 0);
    const json document = run.json();
    REQUIRE(document.at("targets").size() == 50);
    CHECK(target_names(document) == list.names);
    for (const auto& entry : document.at("targets")) {
        CHECK(entry.at("exit_code") == 0);
        CHECK(entry.at("error").is_null());
        REQUIRE(entry.at("applied").size() == 1);
        CHECK(entry.at("applied")[0].at("version") == v2);
    }
    json summary = json::parse(project.read("summary.json"));
    CHECK(summary.at("exit_code") == 0);
    CHECK_FALSE(summary.contains("error"));
    summary.erase("exit_code");
    CHECK(summary == document);
    CHECK(all.in_each(list.databases, count_sql("dm_jobs")) == all_equal(50, "2"));
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'jobs-2'")) == all_equal(50, "1"));
}

TEST_CASE("a failing and an unreachable target: the others are migrated, exit 1, and the password never shows",
          "[e2e][many]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    use_table(project, "fail");
    TargetList list = target_list(10, 10);
    const std::string failing = list.names[3];
    // Nothing listens on port 1; the URL carries the password all the same.
    const std::string down = "postgres://" + all.role() + ":${FLEET_PASSWORD}@127.0.0.1:1/nowhere?connect_timeout=2";
    list.text += "down " + down + "\n";
    project.write("targets.txt", list.text);
    project.write_sql("pre_sync", v1, "fails_in_one", tagged_sql("fail", list.databases[3]));

    const RunResult text = project.run(
        {"migrate", "--targets", "targets.txt", "--jobs", "4", "--summary-file", "text-summary.json"}, all.env());
    INFO("stdout:\n" << text.out << "\nstderr:\n" << text.err);
    CHECK(text.exit_code == 1);
    const auto out = lines(text.out);
    REQUIRE(out.size() >= 3);
    CHECK(out[out.size() - 3] == "11 targets: 9 migrated, 1 failed, 1 could not connect");
    CHECK(out[out.size() - 2] == "failed: " + failing + " (exit 1)");
    CHECK(out[out.size() - 1] == "could not connect: down (exit 3)");
    auto expected = all_equal(10, "1");
    expected[3] = "0";
    CHECK(all.in_each(list.databases, count_sql("dm_fail")) == expected);
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'fail'")) == expected);
    CHECK(all.in_each({list.databases[3]}, count_sql("dm_fail_events", "event = 'fail'")) == all_equal(1, "1"));

    const RunResult run = project.run({"migrate", "--targets", "targets.txt", "--jobs", "4", "--format", "json",
                                       "--log-format", "json", "--summary-file", "json-summary.json"},
                                      all.env());
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.exit_code == 1);
    const json document = run.json();
    REQUIRE(document.at("targets").size() == 11);
    std::vector<int> codes;
    for (const auto& entry : document.at("targets")) codes.push_back(entry.at("exit_code"));
    CHECK(codes == std::vector<int>{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3});
    CHECK(contains(document.at("targets")[3].at("error"), "division by zero"));
    CHECK(document.at("targets")[10].at("error").is_string());
    CHECK(document.at("targets")[0].at("error").is_null());
    json summary = json::parse(project.read("json-summary.json"));
    CHECK(summary.at("exit_code") == 1);
    CHECK(summary.at("targets") == document.at("targets"));
    // Every log line is JSON; those of a target say which.
    std::set<std::string> logged;
    for (const auto& line : lines(run.err)) {
        const json entry = json::parse(line);
        if (entry.contains("target")) logged.insert(entry.at("target").get<std::string>());
    }
    CHECK(logged.count(failing) == 1);
    CHECK(logged.count("down") == 1);

    for (const std::string& shown :
         {text.out, text.err, project.read("text-summary.json"), run.out, run.err, project.read("json-summary.json")}) {
        CHECK_FALSE(contains(shown, all.password()));
    }
}

TEST_CASE("--canary 2: a failing canary stops the run before any other target; passing ones let the rest run",
          "[e2e][many]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    const TargetList list = target_list(20, 6);
    Project failing;
    use_table(failing, "canary");
    failing.write("targets.txt", list.text);
    failing.write_sql("pre_sync", v1, "breaks_second", tagged_sql("canary", list.databases[1]));

    const RunResult text =
        failing.run({"migrate", "--targets", "targets.txt", "--canary", "2", "--jobs", "4"}, all.env());
    INFO("stdout:\n" << text.out << "\nstderr:\n" << text.err);
    CHECK(text.exit_code == 1);
    CHECK(contains(text.out, "6 targets: 1 migrated, 1 failed, 4 not run\n"));
    const RunResult run = failing.run(
        {"migrate", "--targets", "targets.txt", "--canary", "2", "--jobs", "4", "--format", "json"}, all.env());
    CHECK(run.exit_code == 1);
    const json targets = run.json().at("targets");
    REQUIRE(targets.size() == 6);
    CHECK(targets[0].at("exit_code") == 0);
    CHECK(targets[1].at("exit_code") == 1);
    for (std::size_t i = 2; i < 6; ++i) {
        CHECK(targets[i].at("exit_code").is_null());
        CHECK(contains(targets[i].at("error"), "canary " + list.names[1]));
    }
    // Untouched: not even a history table in the targets after the canaries.
    CHECK(all.in_each(list.databases, count_sql("dm_canary")) ==
          std::vector<std::string>{"1", "0", "-1", "-1", "-1", "-1"});
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'canary'")) ==
          std::vector<std::string>{"1", "0", "0", "0", "0", "0"});

    Project passing;
    use_table(passing, "canary_ok");
    passing.write("targets.txt", list.text);
    passing.write_sql("pre_sync", v1, "works", tagged_sql("canary-ok"));
    const RunResult ok =
        passing.run({"migrate", "--targets", "targets.txt", "--canary", "2", "--jobs", "4"}, all.env());
    INFO("stdout:\n" << ok.out << "\nstderr:\n" << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(lines(ok.out).back() == "6 targets: 6 migrated");
    CHECK(all.in_each(list.databases, count_sql("dm_canary_ok")) == all_equal(6, "1"));
}

TEST_CASE("--shard I/3 in three processes at once: every target migrated by exactly one of them", "[e2e][many]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    const TargetList list = write_targets(project, "shard", 0, database_count);
    project.write_sql("pre_sync", v1, "sharded", tagged_sql("shard"));

    std::vector<int> pids;
    for (int shard = 0; shard < 3; ++shard) {
        pids.push_back(project.spawn({"migrate", "--targets", "targets.txt", "--shard", fmt::format("{}/3", shard),
                                      "--jobs", "2", "--format", "json"},
                                     all.env()));
    }
    std::multiset<std::string> taken;
    for (int shard = 0; shard < 3; ++shard) {
        const RunResult result = project.wait(pids[static_cast<std::size_t>(shard)]);
        INFO("shard " << shard << " stderr:\n" << result.err);
        CHECK(result.exit_code == 0);
        const auto names = target_names(result.json());
        std::vector<std::string> expected;
        for (std::size_t i = static_cast<std::size_t>(shard); i < list.names.size(); i += 3) {
            expected.push_back(list.names[i]);
        }
        CHECK(names == expected);
        taken.insert(names.begin(), names.end());
    }
    CHECK(taken.size() == 50);
    CHECK(std::set<std::string>(taken.begin(), taken.end()).size() == 50);
    CHECK(all.in_each(list.databases, count_sql("dm_shard")) == all_equal(50, "1"));
    CHECK(all.in_each(list.databases, count_sql("dm_shard_events", "event = 'apply'")) == all_equal(50, "1"));
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'shard'")) == all_equal(50, "1"));
}

TEST_CASE("two overlapping runs over the same targets apply each migration once per database", "[e2e][many]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    const TargetList list = write_targets(project, "overlap", 30, 20);
    project.write_sql("pre_sync", v1, "one", tagged_sql("overlap-1"));
    project.write_sql("post_sync", v2, "two", tagged_sql("overlap-2"));

    const std::vector<std::string> args{"migrate", "--targets", "targets.txt", "--jobs", "4", "--format", "json"};
    const int first = project.spawn(args, all.env());
    const int second = project.spawn(args, all.env());
    const RunResult one = project.wait(first);
    const RunResult two = project.wait(second);
    INFO("stderr:\n" << one.err << "\n" << two.err);
    CHECK(one.exit_code == 0);
    CHECK(two.exit_code == 0);
    // Between the two documents, each migration of each target was applied once.
    const json a = one.json().at("targets");
    const json b = two.json().at("targets");
    REQUIRE(a.size() == 20);
    REQUIRE(b.size() == 20);
    for (std::size_t i = 0; i < 20; ++i) CHECK(a[i].at("applied").size() + b[i].at("applied").size() == 2);
    CHECK(all.in_each(list.databases, count_sql("dm_overlap")) == all_equal(20, "2"));
    CHECK(all.in_each(list.databases, count_sql("dm_overlap_events", "event = 'apply'")) == all_equal(20, "2"));
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag LIKE 'overlap-%'")) == all_equal(20, "2"));
}

TEST_CASE("SIGTERM during a many-target run: exit 143 promptly, every target's work rolled back, a rerun finishes",
          "[e2e][many][signals]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    const TargetList list = write_targets(project, "sigterm", 40, 8);
    // Sleeps as long as the session's fleet.sleep says (PGOPTIONS): 60 s in the stopped run, 0 after.
    project.write_sql("pre_sync", v1, "slow",
                      "-- migrate:up\nINSERT INTO fleet_items (tag) VALUES ('sigterm');\n"
                      "SELECT pg_sleep(coalesce(current_setting('fleet.sleep', true), '0')::float8);\n");
    auto slow = all.env();
    slow["PGOPTIONS"] = "-c fleet.sleep=60";
    const int pid = project.spawn({"migrate", "--targets", "targets.txt", "--jobs", "4"}, slow);
    const std::string sleeping = fmt::format(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = '{}' AND state = 'active' AND query LIKE '%pg_sleep%'",
        all.role());
    const bool four_sleep = eventually([&] { return query_value(all.admin_url(), sleeping) == "4"; }, 30s);
    INFO("stderr so far: " << project.stderr_so_far(pid));
    REQUIRE(four_sleep);

    const auto start = std::chrono::steady_clock::now();
    kill(pid, SIGTERM);
    const RunResult stopped = project.wait(pid);
    INFO("stdout:\n" << stopped.out << "\nstderr:\n" << stopped.err);
    CHECK(stopped.exit_code == 143);
    CHECK(seconds_since(start) < 20);
    for (const auto& count : all.in_each(list.databases, count_sql("dm_sigterm"))) CHECK(count != "1");
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'sigterm'")) == all_equal(8, "0"));
    CHECK(query_value(all.admin_url(), sleeping) == "0");

    const RunResult rerun = project.run({"migrate", "--targets", "targets.txt", "--jobs", "4"}, all.env());
    INFO("rerun stdout:\n" << rerun.out << "\nstderr:\n" << rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(lines(rerun.out).back() == "8 targets: 8 migrated");
    CHECK(all.in_each(list.databases, count_sql("dm_sigterm", "status = 'applied'")) == all_equal(8, "1"));
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'sigterm'")) == all_equal(8, "1"));
}

TEST_CASE("status, rollback, resolve and check --db run per target; check without --db runs once", "[e2e][many]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    const TargetList list = write_targets(project, "ops", 0, 5);
    project.write_sql("pre_sync", v1, "first", tagged_sql("ops"));
    const auto env = all.env();
    const std::vector<std::string> targets{"--targets", "targets.txt", "--jobs", "2"};
    const auto with = [&](std::vector<std::string> args) {
        args.insert(args.end(), targets.begin(), targets.end());
        return project.run(args, env);
    };
    REQUIRE(with({"migrate"}).exit_code == 0);
    project.write_sql("post_sync", v2, "second", tagged_sql("ops-2"));

    // status: one document, an entry per target in order; --exit-code: exit 1, every line prefixed.
    const RunResult status = with({"status", "--format", "json"});
    CHECK(status.exit_code == 0);
    CHECK(target_names(status.json()) == list.names);
    for (const auto& entry : status.json().at("targets")) {
        CHECK(entry.at("applied") == 1);
        CHECK(entry.at("pending") == 1);
    }
    const RunResult pending = with({"status", "--exit-code"});
    CHECK(pending.exit_code == 1);
    CHECK(lines(pending.out)[lines(pending.out).size() - 2] == "5 targets: 5 unfinished");
    check_prefixed(pending, list.names, 2);

    // rollback: v1's down ran in every target (v2 is pending).
    const RunResult rollback = with({"rollback", "--format", "json"});
    CHECK(rollback.exit_code == 0);
    for (const auto& entry : rollback.json().at("targets")) {
        REQUIRE(entry.at("rolled_back").size() == 1);
        CHECK(entry.at("rolled_back")[0].at("version") == v1);
    }
    CHECK(all.in_each(list.databases, count_sql("dm_ops")) == all_equal(5, "0"));
    CHECK(all.in_each(list.databases, count_sql("fleet_items", "tag = 'ops'")) == all_equal(5, "0"));
    CHECK(all.in_each(list.databases, count_sql("dm_ops_events", "event = 'rollback'")) == all_equal(5, "1"));

    // resolve: every target holds v2 as interrupted (`running`), as a killed exec migration leaves it.
    REQUIRE(with({"migrate"}).exit_code == 0);
    all.execute_in(list.databases, fmt::format("UPDATE dm_ops SET status = 'running' WHERE version = '{}'", v2));
    const RunResult resolve = with({"resolve", v2, "--applied"});
    INFO("resolve stdout:\n" << resolve.out << "\nstderr:\n" << resolve.err);
    CHECK(resolve.exit_code == 0);
    CHECK(lines(resolve.out).back() == "5 targets: 5 resolved");
    CHECK(all.in_each(list.databases, count_sql("dm_ops", "status = 'applied'")) == all_equal(5, "2"));
    CHECK(all.in_each(list.databases, count_sql("dm_ops_events", "event = 'resolve'")) == all_equal(5, "1"));

    // check --db: one target's row no longer matches its file; only it warns.
    all.execute_in({list.databases[2]}, fmt::format("UPDATE dm_ops SET checksum = 'x' WHERE version = '{}'", v1));
    const RunResult check = with({"check", "--db", "--format", "json"});
    INFO("check stdout:\n" << check.out << "\nstderr:\n" << check.err);
    CHECK(check.exit_code == 0);
    const json checked = check.json();
    REQUIRE(checked.at("targets").size() == 5);
    for (std::size_t i = 0; i < 5; ++i) CHECK(checked.at("targets")[i].at("warnings").empty() == (i != 2));
    const RunResult check_text = with({"check", "--db"});
    CHECK(check_text.exit_code == 0);
    check_prefixed(check_text, list.names, 1);
    // Without --db it looks at the files only: once, one document of its own.
    const RunResult once = with({"check", "--format", "json"});
    CHECK(once.exit_code == 0);
    CHECK_FALSE(once.json().contains("targets"));
    CHECK(once.json().contains("errors"));
}

}  // namespace datamig::test::fleet
