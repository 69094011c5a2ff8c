#include "datamig/file_name.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "datamig/error.hpp"

TEST_CASE("is_valid_version accepts only real UTC date-times", "[file_name]") {
    CHECK(datamig::is_valid_version("20261122093000"));
    CHECK(datamig::is_valid_version("20240229235959"));  // leap day
    CHECK(datamig::is_valid_version("20000229000000"));  // divisible by 400: leap
    CHECK(datamig::is_valid_version("20261231000000"));
    CHECK_FALSE(datamig::is_valid_version("20230229000000"));  // not a leap year
    CHECK_FALSE(datamig::is_valid_version("21000229000000"));  // divisible by 100: not leap
    CHECK_FALSE(datamig::is_valid_version("20261301000000"));  // month 13
    CHECK_FALSE(datamig::is_valid_version("20260001000000"));  // month 0
    CHECK_FALSE(datamig::is_valid_version("20260100000000"));  // day 0
    CHECK_FALSE(datamig::is_valid_version("20260431000000"));  // April has 30 days
    CHECK_FALSE(datamig::is_valid_version("20260101240000"));
    CHECK_FALSE(datamig::is_valid_version("20260101006000"));
    CHECK_FALSE(datamig::is_valid_version("20260101000060"));
    CHECK_FALSE(datamig::is_valid_version("2026010100000"));    // 13 digits
    CHECK_FALSE(datamig::is_valid_version("202601010000000"));  // 15 digits
    CHECK_FALSE(datamig::is_valid_version("2026010100000a"));
    CHECK_FALSE(datamig::is_valid_version(""));
}

TEST_CASE("parse_file_name splits valid names", "[file_name]") {
    datamig::FileNameProblem problem;
    const auto sql = datamig::parse_file_name("20261122093000_backfill_roles.sql", problem);
    REQUIRE(sql);
    CHECK(sql->version == "20261122093000");
    CHECK(sql->name == "backfill_roles");
    CHECK(sql->extension == "sql");

    const auto script = datamig::parse_file_name("20261122093100_enqueue_2fa.tar.gz", problem);
    REQUIRE(script);
    CHECK(script->name == "enqueue_2fa");
    CHECK(script->extension == "tar.gz");

    const auto bare = datamig::parse_file_name("20261122093100_run", problem);
    REQUIRE(bare);
    CHECK(bare->extension.empty());
}

TEST_CASE("parse_file_name accepts capitals and hyphens, as dbmate projects name files", "[file_name]") {
    datamig::FileNameProblem problem;
    for (const char* name : {"Backfill", "backfill-roles", "Add-2FA_secrets", "-", "_"}) {
        INFO(name);
        const auto parsed = datamig::parse_file_name("20261122093000_" + std::string(name) + ".sql", problem);
        REQUIRE(parsed);
        CHECK(parsed->name == name);
    }
}

TEST_CASE("parse_file_name explains what is wrong", "[file_name]") {
    datamig::FileNameProblem problem;
    SECTION("malformed names mention the expected form") {
        for (const char* name : {"backfill.sql", "2026112209300_x.sql", "20261122093000.sql", "20261122093000-x.sql",
                                 "20261122093000_.sql", "20261122093000_a b.sql", "20261122093000_caf\xC3\xA9.sql",
                                 "20261122093000_a+b.sql", "20261122093000_x.", ""}) {
            INFO(name);
            CHECK_FALSE(datamig::parse_file_name(name, problem));
            CHECK(problem.code == "invalid-name");
            CHECK_THAT(problem.message, Catch::Contains("YYYYMMDDHHMMSS_name.sql"));
            CHECK_THAT(problem.message, Catch::Contains("letters, digits, _ and -"));
        }
    }
    SECTION("an impossible timestamp is reported as a date-time problem") {
        CHECK_FALSE(datamig::parse_file_name("20230229000000_x.sql", problem));
        CHECK(problem.code == "invalid-version");
        CHECK_THAT(problem.message, Catch::Contains("not a valid UTC date-time"));
        CHECK_THAT(problem.message, Catch::Contains("20230229000000"));
    }
}

TEST_CASE("to_snake_case turns user input into file-name parts", "[file_name]") {
    CHECK(datamig::to_snake_case("BackfillUserRoles") == "backfill_user_roles");
    CHECK(datamig::to_snake_case("HTTPServer cleanup") == "http_server_cleanup");
    CHECK(datamig::to_snake_case("enqueue-reindex now") == "enqueue_reindex_now");
    CHECK(datamig::to_snake_case("backfill user-roles") == "backfill_user_roles");
    CHECK(datamig::to_snake_case("already_snake") == "already_snake");
    CHECK(datamig::to_snake_case("  Spaced   Out -- twice__ ") == "spaced_out_twice");
    CHECK(datamig::to_snake_case("Add2faSecrets") == "add2fa_secrets");
    CHECK(datamig::to_snake_case("V2Upgrade") == "v2_upgrade");
    CHECK(datamig::to_snake_case("userID") == "user_id");
}

TEST_CASE("to_snake_case refuses names that cannot be file names", "[file_name]") {
    for (const char* name : {"", "   ", "-_-", "../etc/passwd", "a/b", "backfill.sql", "what?", "caf\xC3\xA9"}) {
        INFO(name);
        CHECK_THROWS_AS(datamig::to_snake_case(name), datamig::UsageError);
    }
    CHECK_THROWS_WITH(datamig::to_snake_case("a/b"), Catch::Contains("letters, digits, spaces, dashes"));
    CHECK_THROWS_WITH(datamig::to_snake_case(" "), Catch::Contains("empty"));
}
