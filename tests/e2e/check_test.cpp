// `datamig check`: every tree rule, output formats, --strict, --schema-dir and --db
// (SPEC §4, §8).
#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

const std::string valid =
    "-- migrate:up\nUPDATE items SET v = 'x' WHERE id > 0;\n\n-- migrate:down\nUPDATE items SET v = 'a' WHERE id > "
    "0;\n";

// A database URL nothing listens on: connecting to it would fail (exit 3).
const std::string unreachable_url = "postgres://nobody:secret@127.0.0.1:1/nowhere?connect_timeout=2";

std::multiset<std::string> codes(const nlohmann::json& findings) {
    std::multiset<std::string> found;
    for (const auto& finding : findings) found.insert(finding.at("code").get<std::string>());
    return found;
}

nlohmann::json check_json(const Project& project, const std::vector<std::string>& extra, int expected_exit) {
    std::vector<std::string> args{"check", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = project.run(args, {{"DATABASE_URL", unreachable_url}});
    CAPTURE(result.out, result.err);
    CHECK(result.exit_code == expected_exit);
    return result.json();
}

}  // namespace

TEST_CASE("check passes a clean tree without connecting to the database", "[check]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "one", valid);
    project.write_sql("post_sync", "20240101000002", "two", valid);
    project.write("db/data_migrations/post_sync/20240101000003_enqueue.sh", "#!/bin/sh\nexit 0\n", true);
    project.write("db/data_migrations/pre_sync/README.md", "notes\n");

    const auto document = check_json(project, {}, 0);
    CHECK(document == nlohmann::json{{"errors", nlohmann::json::array()}, {"warnings", nlohmann::json::array()}});

    const auto text = project.run({"check"}, {{"DATABASE_URL", unreachable_url}});
    CHECK(text.exit_code == 0);
    CHECK(text.err.find("secret") == std::string::npos);
}

TEST_CASE("check reports the same version in two phases", "[check]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "one", valid);
    project.write_sql("post_sync", "20240101000001", "one_again", valid);
    const auto document = check_json(project, {}, 1);
    REQUIRE(document.at("errors").size() == 1);
    const auto& error = document.at("errors").at(0);
    CHECK(error.at("code") == "phase-collision");
    CHECK(error.at("file").get<std::string>().find("20240101000001_one") != std::string::npos);
    CHECK(error.at("line").is_number_integer());
    CHECK(error.at("message").get<std::string>().find("20240101000001") != std::string::npos);
    CHECK(error.size() == 4);
}

TEST_CASE("check reports each kind of invalid file", "[check]") {
    Project project;
    std::string code;
    SECTION("a file name that is not <version>_<name>") {
        project.write_sql("pre_sync", "2024", "short_version", valid);
        code = "invalid-name";
    }
    SECTION("a name with a space (capitals and hyphens are fine, SPEC §1)") {
        project.write_sql("pre_sync", "20240101000001", "bad name", valid);
        code = "invalid-name";
    }
    SECTION("a version that is no date-time") {
        project.write_sql("pre_sync", "20241399000000", "bad_month", valid);
        code = "invalid-version";
    }
    SECTION("the same version twice in one phase") {
        project.write_sql("pre_sync", "20240101000001", "one", valid);
        project.write_sql("pre_sync", "20240101000001", "other", valid);
        code = "duplicate-version";
    }
    SECTION("a .sql without up") {
        project.write_sql("pre_sync", "20240101000001", "no_up", "-- migrate:down\nUPDATE items SET v = 'a';\n");
        code = "missing-up";
    }
    SECTION("an unknown marker") {
        project.write_sql("pre_sync", "20240101000001", "odd_marker",
                          "-- migrate:up\nUPDATE items SET v = 'x';\n-- migrate:sideways\nSELECT 1;\n");
        code = "unknown-marker";
    }
    SECTION("an unknown option") {
        project.write_sql("pre_sync", "20240101000001", "odd_option",
                          "-- migrate:up frobnicate:yes\nUPDATE items SET v = 'x';\n");
        code = "unknown-option";
    }
    SECTION("a non-SQL file without the executable bit") {
        project.write("db/data_migrations/post_sync/20240101000001_enqueue.sh", "#!/bin/sh\nexit 0\n", false);
        code = "not-executable";
    }
    CAPTURE(code);
    const auto document = check_json(project, {}, 1);
    CHECK(codes(document.at("errors")).count(code) == 1);
    CHECK(project.run({"check"}, {{"DATABASE_URL", unreachable_url}}).exit_code == 1);
}

TEST_CASE("check names the line of an unknown marker", "[check]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "odd_marker",
                      "-- migrate:up\nUPDATE items SET v = 'x';\n\n-- migrate:sideways\nSELECT 1;\n");
    const auto document = check_json(project, {}, 1);
    REQUIRE(document.at("errors").size() == 1);
    CHECK(document.at("errors").at(0).at("line") == 4);
}

TEST_CASE("check lists all findings at once", "[check]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "no_up", "-- migrate:down\nSELECT 1;\n");
    project.write_sql("pre_sync", "20240101000002", "odd_option",
                      "-- migrate:up frobnicate:yes\nUPDATE items SET v = 'x';\n");
    project.write("db/data_migrations/post_sync/20240101000003_enqueue.sh", "#!/bin/sh\nexit 0\n", false);
    const auto document = check_json(project, {}, 1);
    CHECK(codes(document.at("errors")) == std::multiset<std::string>{"missing-up", "unknown-option", "not-executable"});
}

TEST_CASE("DDL in a data migration is a warning, an error with --strict", "[check]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "sneaky_schema",
                      "-- migrate:up\nUPDATE items SET v = 'x' WHERE id > 0;\nCREATE TABLE extra (id integer);\n");
    const auto relaxed = check_json(project, {}, 0);
    CHECK(relaxed.at("errors").empty());
    REQUIRE(relaxed.at("warnings").size() == 1);
    CHECK(relaxed.at("warnings").at(0).at("code") == "ddl-statement");
    CHECK(relaxed.at("warnings").at(0).at("line") == 3);
    CHECK(relaxed.at("warnings").at(0).size() == 4);

    const auto strict = check_json(project, {"--strict"}, 1);
    CHECK(codes(strict.at("errors")) == std::multiset<std::string>{"ddl-statement"});
}

TEST_CASE("check --schema-dir refuses versions and names used by schema migrations", "[check]") {
    Project project;
    project.write("db/migrate/20240101000001_create_items.rb", "class CreateItems; end\n");
    project.write("db/migrate/20230101000000_backfill_items.rb", "class BackfillItems; end\n");
    project.write_sql("pre_sync", "20240101000001", "unrelated", valid);
    project.write_sql("pre_sync", "20240101000002", "backfill_items", valid);
    project.write_sql("post_sync", "20240101000003", "fine", valid);

    const auto document = check_json(project, {"--schema-dir", "db/migrate"}, 1);
    CHECK(codes(document.at("errors")) ==
          std::multiset<std::string>{"schema-version-collision", "schema-name-collision"});
    check_json(project, {}, 0);
}

TEST_CASE("check --format github prints workflow commands", "[check]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "no_up", "-- migrate:down\nSELECT 1;\n");
    project.write_sql("pre_sync", "20240101000002", "ddl", "-- migrate:up\nCREATE TABLE extra (id integer);\n");
    const auto result = project.run({"check", "--format", "github"}, {{"DATABASE_URL", unreachable_url}});
    CHECK(result.exit_code == 1);
    std::istringstream lines(result.out);
    int errors = 0;
    int warnings = 0;
    for (std::string line; std::getline(lines, line);) {
        CAPTURE(line);
        if (line.rfind("::error file=", 0) == 0) {
            ++errors;
            CHECK(line.find("20240101000001_no_up.sql") != std::string::npos);
        } else if (line.rfind("::warning file=", 0) == 0) {
            ++warnings;
            CHECK(line.find(",line=2::") != std::string::npos);
        } else {
            FAIL("not a workflow command");
        }
    }
    CHECK(errors == 1);
    CHECK(warnings == 1);
}

TEST_CASE("check --db warns about drift, missing files and out-of-order pending migrations", "[check]") {
    Project project;
    project.execute("CREATE TABLE items (id integer primary key, v text);");
    project.write_sql("pre_sync", "20240101000001", "drifts", valid);
    const auto vanishing = project.write_sql("pre_sync", "20240101000002", "vanishes", valid);
    project.write_sql("pre_sync", "20240101000004", "newest", valid);
    REQUIRE(project.run({"migrate"}).exit_code == 0);

    project.write_sql("pre_sync", "20240101000001", "drifts", valid + "-- edited\n");
    std::filesystem::remove(vanishing);
    project.write_sql("pre_sync", "20240101000003", "late_branch", valid);

    const auto result = project.run({"check", "--db", "--format", "json"});
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    const auto document = result.json();
    CHECK(document.at("errors").empty());
    CHECK(codes(document.at("warnings")) ==
          std::multiset<std::string>{"checksum-drift", "missing-file", "out-of-order"});

    CHECK(project.run({"check"}).exit_code == 0);
    CHECK(project.run({"check", "--db", "--strict"}).exit_code == 1);
}

TEST_CASE("check --db needs the database", "[check]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "one", valid);
    const auto result = project.run({"check", "--db"}, {{"DATABASE_URL", unreachable_url}});
    CHECK(result.exit_code == 3);
    CHECK(result.err.find("secret") == std::string::npos);
}

}  // namespace datamig::test
