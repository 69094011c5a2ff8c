#include "datamig/summary.hpp"

#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

using nlohmann::json;
using nlohmann::ordered_json;

TEST_CASE("summary_text: the command's document with its exit code and error", "[summary]") {
    const ordered_json document{{"applied", ordered_json::array({{{"version", "20260101000000"}}})},
                                {"partial", ordered_json::array()},
                                {"dry_run", false}};
    const auto ok = json::parse(datamig::summary_text(document, 0, "", "/tmp/summary.json"));
    CHECK(ok["exit_code"] == 0);
    CHECK_FALSE(ok.contains("error"));
    CHECK(ok["applied"][0]["version"] == "20260101000000");

    // A run that failed before it printed anything still says how it ended.
    const auto failed = json::parse(datamig::summary_text(ordered_json::object(), 3, "cannot connect", "s.json"));
    CHECK(failed == json{{"exit_code", 3}, {"error", "cannot connect"}});
}

TEST_CASE("summary_text: at most 4 KiB for /dev/termination-log, marked truncated", "[summary]") {
    ordered_json applied = ordered_json::array();
    for (int i = 0; i < 200; ++i) applied.push_back({{"version", std::to_string(20260101000000 + i)}, {"name", "x"}});
    const ordered_json document{{"applied", applied}, {"partial", ordered_json::array()}, {"dry_run", false}};
    const std::string long_error(10'000, 'e');

    const std::string elsewhere = datamig::summary_text(document, 1, long_error, "/tmp/summary.json");
    CHECK(elsewhere.size() > 10'000);  // only the termination log is capped

    const std::string text = datamig::summary_text(document, 1, long_error, "/dev/termination-log");
    CHECK(text.size() <= 4096);
    const auto capped = json::parse(text);
    CHECK(capped["truncated"] == true);
    CHECK(capped["exit_code"] == 1);
    CHECK(capped["applied_count"] == 200);
    CHECK(capped["dry_run"] == false);
    CHECK(capped["error"].get<std::string>().rfind("eee", 0) == 0);

    const auto small = json::parse(datamig::summary_text(document, 0, "", "/dev/termination-log"));
    CHECK(small["applied_count"] == 200);
}

TEST_CASE("remember_document: a thread capturing documents keeps them from the run's summary", "[summary]") {
    datamig::test::TempDir dir;
    const auto file = dir.path() / "summary.json";
    datamig::set_summary_path(file);
    datamig::remember_document({{"targets", ordered_json::array()}});
    ordered_json captured = ordered_json::object();
    std::thread([&] {
        const datamig::DocumentCapture capture(captured);
        datamig::remember_document({{"applied", ordered_json::array()}});
    }).join();
    datamig::write_summary(0, "");
    datamig::set_summary_path(std::nullopt);
    CHECK(captured == ordered_json{{"applied", ordered_json::array()}});
    CHECK(json::parse(datamig::test::read_file(file)) == json{{"targets", json::array()}, {"exit_code", 0}});
}
