#include "datamig/commands.hpp"

#include <set>
#include <string>

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

TEST_CASE("command table: every SPEC §4 command, once, each with its function", "[commands]") {
    std::set<std::string> names;
    for (const auto& command : datamig::command_table()) {
        INFO("command " << command.name);
        CHECK(names.insert(command.name).second);
        CHECK(command.run != nullptr);
        CHECK(command.add_options != nullptr);
        CHECK(std::string(command.summary).size() > 10);
    }
    CHECK(names ==
          std::set<std::string>{"generate", "migrate", "status", "rollback", "check", "resolve", "pause", "resume"});
}

TEST_CASE("command table: each command declares its own options", "[commands]") {
    for (const auto& command : datamig::command_table()) {
        CLI::App app;
        datamig::CommandOptions options;
        datamig::SettingFlags settings;
        command.add_options(app, options, settings);
        const std::string name = command.name;
        INFO("command " << name);
        if (name == "migrate") {
            CHECK(app.get_option_no_throw("--batch-size") != nullptr);
            CHECK(app.get_option_no_throw("--dry-run") != nullptr);
        }
        if (name == "check") CHECK(app.get_option_no_throw("--schema-dir") != nullptr);
        if (name == "status") CHECK(app.get_option_no_throw("--batch-size") == nullptr);
    }
}
