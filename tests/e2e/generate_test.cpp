// `datamig generate`: file names, templates and refusals (SPEC §4).
#include <filesystem>
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

namespace fs = std::filesystem;

// The path generate printed, resolved against the project, after checking it is one line.
fs::path printed_path(const Project& project, const RunResult& result) {
    REQUIRE(result.exit_code == 0);
    REQUIRE(!result.out.empty());
    REQUIRE(result.out.back() == '\n');
    const std::string line = result.out.substr(0, result.out.size() - 1);
    REQUIRE(line.find('\n') == std::string::npos);
    const fs::path path(line);
    return path.is_absolute() ? path : project.root() / path;
}

std::string version_of(const fs::path& path) { return path.filename().string().substr(0, 14); }

std::size_t files_in(const fs::path& folder) {
    std::size_t count = 0;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file()) ++count;
    return count;
}

}  // namespace

TEST_CASE("generate writes a timestamped snake_case SQL file in the first phase and prints its path", "[generate]") {
    Project project;
    const auto path = printed_path(project, project.run({"generate", "BackfillUserRoles"}));
    CHECK(fs::is_regular_file(path));
    CHECK(path.parent_path() == project.root() / "db/data_migrations/pre_sync");
    CHECK(std::regex_match(path.filename().string(), std::regex(R"(\d{14}_backfill_user_roles\.sql)")));
    const std::string text = project.read(fs::relative(path, project.root()).string());
    CHECK(text.find("-- migrate:up") != std::string::npos);
    CHECK(text.find("-- migrate:down") != std::string::npos);
}

TEST_CASE("generate splits acronyms in CamelCase names", "[generate]") {
    Project project;
    const auto path = printed_path(project, project.run({"generate", "HTTPServerTimeout"}));
    CHECK(std::regex_match(path.filename().string(), std::regex(R"(\d{14}_http_server_timeout\.sql)")));
}

TEST_CASE("generate turns spaces and dashes into underscores", "[generate]") {
    Project project;
    const auto path = printed_path(project, project.run({"generate", "with spaces-and-dashes"}));
    CHECK(std::regex_match(path.filename().string(), std::regex(R"(\d{14}_with_spaces_and_dashes\.sql)")));
    CHECK(fs::is_regular_file(path));
}

TEST_CASE("generate --phase writes into that phase folder", "[generate]") {
    Project project;
    const auto path = printed_path(project, project.run({"generate", "EnqueueReindex", "--phase", "post_sync"}));
    CHECK(path.parent_path() == project.root() / "db/data_migrations/post_sync");
    CHECK(fs::is_regular_file(path));
}

TEST_CASE("generate --kind exec writes an executable script", "[generate]") {
    Project project;
    const auto path =
        printed_path(project, project.run({"generate", "enqueue_jobs", "--kind", "exec", "--phase", "post_sync"}));
    CHECK(std::regex_match(path.filename().string(), std::regex(R"(\d{14}_enqueue_jobs\.sh)")));
    REQUIRE(fs::is_regular_file(path));
    CHECK((fs::status(path).permissions() & fs::perms::owner_exec) != fs::perms::none);
    CHECK(project.read(fs::relative(path, project.root()).string()).rfind("#!", 0) == 0);
}

TEST_CASE("generate --batch picks the batch templates", "[generate]") {
    Project project;
    const auto loop = printed_path(project, project.run({"generate", "LoopIt", "--batch", "loop"}));
    const auto range = printed_path(project, project.run({"generate", "RangeIt", "--batch", "range"}));
    CHECK(project.read(fs::relative(loop, project.root()).string()).find("batch:loop") != std::string::npos);
    CHECK(project.read(fs::relative(range, project.root()).string()).find("batch:range") != std::string::npos);
    CHECK(loop.extension() == ".sql");
    CHECK(range.extension() == ".sql");
}

TEST_CASE("a project template in <dir>/templates overrides the built-in one", "[generate]") {
    Project project;
    project.write("db/data_migrations/templates/sql.sql",
                  "-- house style for {{name}} in {{phase}} at {{version}}\n-- migrate:up\nSELECT 1;\n");
    const auto path = printed_path(project, project.run({"generate", "HouseStyle"}));
    const std::string text = project.read(fs::relative(path, project.root()).string());
    CHECK(text == "-- house style for house_style in pre_sync at " + version_of(path) + "\n-- migrate:up\nSELECT 1;\n");
}

TEST_CASE("generate refuses names with a slash or a dot and writes nothing", "[generate]") {
    Project project;
    for (const std::string name : {"../escape", "a/b", "name.sql", ""}) {
        CAPTURE(name);
        const auto result = project.run({"generate", name});
        CHECK(result.exit_code == 2);
        CHECK(!result.err.empty());
        CHECK(files_in(project.root() / "db") == 0);
    }
}

TEST_CASE("generate refuses an unknown phase", "[generate]") {
    Project project;
    const auto result = project.run({"generate", "something", "--phase", "sometime"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("sometime") != std::string::npos);
    CHECK(files_in(project.root() / "db") == 0);
}

TEST_CASE("two generates in the same second get different versions", "[generate]") {
    Project project;
    const auto first = printed_path(project, project.run({"generate", "first"}));
    const auto second = printed_path(project, project.run({"generate", "second", "--phase", "post_sync"}));
    CHECK(version_of(first) != version_of(second));
    CHECK(version_of(first) < version_of(second));
    // The files stay valid as a tree: no phase collision between them.
    const auto check = project.run({"check", "--format", "json"});
    const auto findings = check.json();
    for (const auto& error : findings.at("errors")) CHECK(error.at("code") != "phase-collision");
}

}  // namespace datamig::test
