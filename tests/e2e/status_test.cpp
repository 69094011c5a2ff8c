// `datamig status`: states, JSON shape, --phase and --exit-code (SPEC §4, §8).
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

const std::string touch_items =
    "-- migrate:up\nUPDATE items SET v = 'x';\n\n-- migrate:down\nUPDATE items SET v = 'a';\n";

void create_items(const Project& project) {
    project.execute("CREATE TABLE items (id integer primary key, v text); INSERT INTO items (id, v) VALUES (1, 'a');");
}

std::map<std::string, std::string> states(const nlohmann::json& document) {
    std::map<std::string, std::string> by_version;
    for (const auto& entry : document.at("migrations")) by_version[entry.at("version")] = entry.at("state");
    return by_version;
}

nlohmann::json status_json(const Project& project, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"status", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = project.run(args);
    REQUIRE(result.exit_code == 0);
    return result.json();
}

}  // namespace

TEST_CASE("status lists pending migrations before anything was applied", "[status]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "first", touch_items);
    const auto document = status_json(project);
    CHECK(states(document) == std::map<std::string, std::string>{{"20240101000001", "pending"}});
    CHECK(document.at("pending") == 1);
    CHECK(document.at("applied") == 0);
}

TEST_CASE("status shows applied, pending, changed and missing", "[status]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "will_change", touch_items);
    const auto gone = project.write_sql("pre_sync", "20240101000002", "will_vanish", touch_items);
    const auto kept = project.write_sql("post_sync", "20240101000003", "stays", touch_items);
    REQUIRE(project.run({"migrate"}).exit_code == 0);
    project.write_sql("post_sync", "20240101000004", "new_one", touch_items);
    project.write_sql("pre_sync", "20240101000001", "will_change", touch_items + "-- edited after it ran\n");
    std::filesystem::remove(gone);

    const auto document = status_json(project);
    CHECK(states(document) == std::map<std::string, std::string>{{"20240101000001", "changed"},
                                                                 {"20240101000002", "missing"},
                                                                 {"20240101000003", "applied"},
                                                                 {"20240101000004", "pending"}});
    CHECK(document.at("pending") == 1);
    CHECK(document.at("applied") == 3);
    CHECK(document.size() == 3);

    for (const auto& entry : document.at("migrations")) {
        std::set<std::string> keys;
        for (const auto& item : entry.items()) keys.insert(item.key());
        CHECK(keys == std::set<std::string>{"version", "name", "phase", "kind", "state", "applied_at", "duration_ms",
                                            "operator", "checksum"});
    }
    const auto& applied = document.at("migrations").at(2);
    CHECK(applied.at("version") == "20240101000003");
    CHECK(applied.at("name") == "stays");
    CHECK(applied.at("phase") == "post_sync");
    CHECK(applied.at("kind") == "sql");
    CHECK(applied.at("operator") == "e2e");
    CHECK(applied.at("checksum") == sha256_of_file(kept));
    CHECK(applied.at("applied_at").is_string());
    CHECK(applied.at("duration_ms").is_number_integer());
    const auto& pending = document.at("migrations").at(3);
    CHECK(pending.at("applied_at").is_null());
    CHECK(pending.at("operator").is_null());

    const auto text = project.run({"status"});
    CHECK(text.exit_code == 0);
    for (const char* state : {"applied", "pending", "changed", "missing"})
        CHECK(text.out.find(state) != std::string::npos);
}

TEST_CASE("status text is aligned and has no colour codes when stdout is no terminal", "[status]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "first", touch_items);
    const auto result = project.run({"status"});
    CHECK(result.exit_code == 0);
    CHECK(result.out.find('\033') == std::string::npos);
    CHECK_THAT(result.out, Catch::Contains("pre_sync  20240101000001  pending"));
}

TEST_CASE("status --phase lists one phase", "[status]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "pre", touch_items);
    project.write_sql("post_sync", "20240101000002", "post", touch_items);
    const auto document = status_json(project, {"--phase", "post_sync"});
    CHECK(states(document) == std::map<std::string, std::string>{{"20240101000002", "pending"}});
    CHECK(document.at("pending") == 1);
}

TEST_CASE("status --exit-code fails while anything is pending", "[status]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "first", touch_items);
    CHECK(project.run({"status", "--exit-code"}).exit_code == 1);
    CHECK(project.run({"status"}).exit_code == 0);
    REQUIRE(project.run({"migrate"}).exit_code == 0);
    CHECK(project.run({"status", "--exit-code"}).exit_code == 0);
}

TEST_CASE("a CRLF and BOM rewrite of an applied file is not a change", "[status]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "windows", touch_items);
    REQUIRE(project.run({"migrate"}).exit_code == 0);

    std::string windows = "\xEF\xBB\xBF";
    for (const char c : touch_items) windows += c == '\n' ? std::string("\r\n") : std::string(1, c);
    project.write_sql("pre_sync", "20240101000001", "windows", windows);

    CHECK(states(status_json(project)) == std::map<std::string, std::string>{{"20240101000001", "applied"}});
}

}  // namespace datamig::test
