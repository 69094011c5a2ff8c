#include "datamig/setting_flags.hpp"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

namespace {

datamig::RawSettings parse(std::vector<std::string> arguments) {
    CLI::App app;
    datamig::SettingFlags flags;
    flags.add(app, datamig::global_setting_flags);
    std::reverse(arguments.begin(), arguments.end());  // CLI11 takes a vector in reverse order
    app.parse(arguments);
    return flags.collect();
}

}  // namespace

TEST_CASE("setting flags: the last value wins, named by its flag", "[setting_flags]") {
    const auto raw = parse({"--lock-wait", "5s", "--lock-wait", "7s"});
    REQUIRE(raw.count("lock_wait") == 1);
    CHECK(raw.at("lock_wait").values == std::vector<std::string>{"7s"});
    CHECK(raw.at("lock_wait").origin == "--lock-wait");
}

TEST_CASE("setting flags: a repeatable flag keeps every value in order", "[setting_flags]") {
    const auto raw = parse({"--context", "a=1", "--context", "b=2"});
    CHECK(raw.at("context").values == std::vector<std::string>{"a=1", "b=2"});
}

TEST_CASE("setting flags: a switch reads as true, flags not given are absent", "[setting_flags]") {
    const auto raw = parse({"-q"});
    CHECK(raw.at("quiet").values == std::vector<std::string>{"true"});
    CHECK(raw.count("verbose") == 0);
    CHECK(raw.count("database_url") == 0);
}
