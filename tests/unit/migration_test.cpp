#include "datamig/migration.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "datamig/error.hpp"

using datamig::BatchMode;
using datamig::parse_sql_migration;
using datamig::ParsedSql;
using datamig::Severity;

namespace {

const std::string label = "db/data_migrations/pre_sync/20261122093000_backfill.sql";

// The codes of the findings, in order, so a test states exactly what it expects.
std::vector<std::string> codes(const ParsedSql& parsed) {
    std::vector<std::string> result;
    for (const auto& finding : parsed.findings) result.push_back(finding.code);
    return result;
}

std::vector<int> lines(const ParsedSql& parsed) {
    std::vector<int> result;
    for (const auto& finding : parsed.findings) result.push_back(finding.line);
    return result;
}

const datamig::Finding& only_finding(const ParsedSql& parsed) {
    REQUIRE(parsed.findings.size() == 1);
    return parsed.findings.front();
}

}  // namespace

TEST_CASE("to_string(Kind)", "[migration]") {
    CHECK(datamig::to_string(datamig::Kind::sql) == "sql");
    CHECK(datamig::to_string(datamig::Kind::exec) == "exec");
}

TEST_CASE("parse_sql_migration reads the three sections", "[migration]") {
    const std::string text =
        "-- Backfill roles for the new permission model.\n"
        "\n"
        "-- migrate:up\n"
        "UPDATE users SET role = 'worker' WHERE role IS NULL;\n"
        "\n"
        "-- migrate:down\n"
        "UPDATE users SET role = NULL;\n"
        "-- migrate:verify\n"
        "SELECT count(*) = 0 FROM users WHERE role IS NULL;\n";
    const ParsedSql parsed = parse_sql_migration(text, label);
    CHECK(parsed.findings.empty());  // the down resets every row: only `up` is read for that

    CHECK(parsed.script.up.marker_line == 3);
    CHECK(parsed.script.up.first_line() == 4);
    CHECK(parsed.script.up.sql == "UPDATE users SET role = 'worker' WHERE role IS NULL;\n\n");
    CHECK(parsed.script.up.options.transaction);
    CHECK(parsed.script.up.options.batch == BatchMode::none);
    REQUIRE(parsed.script.down);
    CHECK(parsed.script.down->marker_line == 6);
    CHECK(parsed.script.down->sql == "UPDATE users SET role = NULL;\n");
    REQUIRE(parsed.script.verify);
    CHECK(parsed.script.verify->marker_line == 8);
    CHECK(parsed.script.verify->sql == "SELECT count(*) = 0 FROM users WHERE role IS NULL;\n");
}

TEST_CASE("parse_sql_migration: sections are optional except up, in any order", "[migration]") {
    const ParsedSql up_only = parse_sql_migration("-- migrate:up\nDELETE FROM sessions WHERE expired", label);
    CHECK(up_only.findings.empty());
    CHECK(up_only.script.up.sql == "DELETE FROM sessions WHERE expired");
    CHECK_FALSE(up_only.script.down);
    CHECK_FALSE(up_only.script.verify);

    const ParsedSql reordered = parse_sql_migration("-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 2;\n", label);
    CHECK(reordered.findings.empty());
    CHECK(reordered.script.up.sql == "SELECT 2;\n");
    CHECK(reordered.script.down->sql == "SELECT 1;\n");
}

TEST_CASE("parse_sql_migration accepts dbmate files unchanged", "[migration]") {
    const std::string text =
        "-- migrate:up transaction:false\n"
        "CREATE INDEX CONCURRENTLY users_email ON users (email);\n"
        "\n"
        "--migrate:down\n"
        "DROP INDEX users_email;\n";
    const ParsedSql parsed = parse_sql_migration(text, label);
    CHECK(parsed.findings.empty());
    CHECK_FALSE(parsed.script.up.options.transaction);
    REQUIRE(parsed.script.down);
    CHECK(parsed.script.down->options.transaction);
}

TEST_CASE("parse_sql_migration tolerates whitespace around markers, warning about indented ones", "[migration]") {
    const ParsedSql parsed = parse_sql_migration(
        "  -- migrate:up \t transaction:true  \t\nSELECT 1;\n\t--   migrate:down\t\nSELECT 2;\n", label);
    CHECK(codes(parsed) == std::vector<std::string>{"indented-marker", "indented-marker"});
    CHECK(lines(parsed) == std::vector<int>{1, 3});
    for (const auto& finding : parsed.findings) {
        CHECK(finding.severity == Severity::warning);
        CHECK_THAT(finding.message, Catch::Contains("dbmate"));
    }
    CHECK(parsed.script.up.sql == "SELECT 1;\n");
    CHECK(parsed.script.up.options.transaction);
    REQUIRE(parsed.script.down);
    CHECK(parsed.script.down->sql == "SELECT 2;\n");
}

TEST_CASE("parse_sql_migration: space after -- is no indentation", "[migration]") {
    CHECK(parse_sql_migration("--migrate:up\nSELECT 1;\n--    migrate:down\nSELECT 2;\n", label).findings.empty());
}

TEST_CASE("parse_sql_migration reads batch options", "[migration]") {
    SECTION("loop with size and pause") {
        const ParsedSql parsed = parse_sql_migration(
            "-- migrate:up batch:loop batch_size:500 pause:200ms\nDELETE FROM t WHERE id IN (SELECT id FROM t LIMIT "
            ":batch_size);\n",
            label);
        CHECK(parsed.findings.empty());
        const auto& options = parsed.script.up.options;
        CHECK(options.batch == BatchMode::loop);
        CHECK(options.batch_size == 500);
        CHECK(options.pause == std::chrono::milliseconds(200));
    }
    SECTION("range with a key") {
        const ParsedSql parsed = parse_sql_migration(
            "-- migrate:up batch:range key:users.id\nUPDATE users SET a = 1 WHERE id >= :batch_start AND id < "
            ":batch_end;\n",
            label);
        CHECK(parsed.findings.empty());
        const auto& options = parsed.script.up.options;
        CHECK(options.batch == BatchMode::range);
        CHECK(options.key_table == "users");
        CHECK(options.key_column == "id");
        CHECK_FALSE(options.batch_size);
        CHECK_FALSE(options.pause);
    }
    SECTION("range with a schema-qualified key") {
        const ParsedSql parsed = parse_sql_migration("-- migrate:up batch:range key:app.users.id\nSELECT 1;\n", label);
        CHECK(parsed.findings.empty());
        CHECK(parsed.script.up.options.key_table == "app.users");
        CHECK(parsed.script.up.options.key_column == "id");
    }
}

TEST_CASE("parse_sql_migration reports bad options on the marker line", "[migration]") {
    struct Case {
        const char* marker;
        const char* code;
    };
    for (const Case& bad : std::initializer_list<Case>{
             {"-- migrate:up transaction:maybe", "invalid-option"},
             {"-- migrate:up batch:forever", "invalid-option"},
             {"-- migrate:up batch:range", "invalid-option"},  // needs key
             {"-- migrate:up batch:loop key:users.id", "invalid-option"},
             {"-- migrate:up batch:range key:users", "invalid-option"},
             {"-- migrate:up batch:range key:users.", "invalid-option"},
             {"-- migrate:up batch:range key:1users.id", "invalid-option"},
             {"-- migrate:up batch:range key:a.b.c.d", "invalid-option"},
             {"-- migrate:up batch:loop batch_size:0", "invalid-option"},
             {"-- migrate:up batch:loop batch_size:-5", "invalid-option"},
             {"-- migrate:up batch:loop batch_size:12x", "invalid-option"},
             {"-- migrate:up batch:loop batch_size:99999999999999999999", "invalid-option"},
             {"-- migrate:up batch:loop pause:soon", "invalid-option"},
             {"-- migrate:up batch_size:10", "invalid-option"},  // no batch mode
             {"-- migrate:up pause:1s", "invalid-option"},
             {"-- migrate:up batch:loop transaction:false", "invalid-option"},
             {"-- migrate:up batch:range key:t.id transaction:false", "invalid-option"},
             {"-- migrate:up transaction:false transaction:true", "invalid-option"},
             {"-- migrate:up nonsense", "invalid-option"},
             {"-- migrate:up :x", "invalid-option"},
             {"-- migrate:up timeout:5s", "unknown-option"},
         }) {
        INFO(bad.marker);
        const ParsedSql parsed = parse_sql_migration(std::string("\n") + bad.marker + "\nSELECT 1;\n", label);
        const auto& finding = only_finding(parsed);
        CHECK(finding.code == bad.code);
        CHECK(finding.severity == Severity::error);
        CHECK(finding.line == 2);
        CHECK(finding.file == label);
    }
}

TEST_CASE("parse_sql_migration: a bad pause keeps parse_duration's message", "[migration]") {
    const ParsedSql parsed = parse_sql_migration("-- migrate:up batch:loop pause:soon\nSELECT 1;\n", label);
    CHECK_THAT(only_finding(parsed).message, Catch::Contains("soon") && Catch::Contains("pause"));
}

TEST_CASE("parse_sql_migration: batching is only for up", "[migration]") {
    const ParsedSql down =
        parse_sql_migration("-- migrate:up\nSELECT 1;\n-- migrate:down batch:loop\nSELECT 2;\n", label);
    CHECK(only_finding(down).code == "invalid-option");
    CHECK(only_finding(down).line == 3);
    const ParsedSql verify =
        parse_sql_migration("-- migrate:up\nSELECT 1;\n-- migrate:verify batch:range key:t.id\nSELECT 2;\n", label);
    CHECK(codes(verify) == std::vector<std::string>{"invalid-option"});
}

TEST_CASE("parse_sql_migration: structural errors", "[migration]") {
    SECTION("no up section at all") {
        const ParsedSql parsed = parse_sql_migration("UPDATE users SET a = 1;\n", label);
        const auto& finding = only_finding(parsed);
        CHECK(finding.code == "missing-up");
        CHECK(finding.line == 1);
        CHECK(finding.file == label);
    }
    SECTION("only a down section") {
        CHECK(codes(parse_sql_migration("-- migrate:down\nSELECT 1;\n", label)) ==
              std::vector<std::string>{"missing-up"});
    }
    SECTION("an empty file") { CHECK(codes(parse_sql_migration("", label)) == std::vector<std::string>{"missing-up"}); }
    SECTION("unknown marker") {
        const ParsedSql parsed = parse_sql_migration("-- migrate:up\nSELECT 1;\n-- migrate:donw\nSELECT 2;\n", label);
        const auto& finding = only_finding(parsed);
        CHECK(finding.code == "unknown-marker");
        CHECK(finding.line == 3);
        CHECK_THAT(finding.message, Catch::Contains("donw"));
        // Text after the unknown marker does not leak into up.
        CHECK(parsed.script.up.sql == "SELECT 1;\n");
    }
    SECTION("a marker with no section name") {
        CHECK(codes(parse_sql_migration("-- migrate:up\nSELECT 1;\n-- migrate: down\n", label)) ==
              std::vector<std::string>{"unknown-marker"});
    }
    SECTION("duplicate section") {
        const ParsedSql parsed = parse_sql_migration("-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n", label);
        const auto& finding = only_finding(parsed);
        CHECK(finding.code == "duplicate-section");
        CHECK(finding.line == 3);
        CHECK_THAT(finding.message, Catch::Contains("line 1"));
        CHECK(parsed.script.up.sql == "SELECT 1;\n");
    }
    SECTION("SQL before the first marker") {
        const ParsedSql parsed = parse_sql_migration(
            "-- a comment is fine\n/* so is\n this */\n\nDELETE FROM t;\n-- migrate:up\nSELECT 1;\n", label);
        const auto& finding = only_finding(parsed);
        CHECK(finding.code == "text-before-marker");
        CHECK(finding.line == 5);
    }
    SECTION("comments and blank lines before the first marker are fine") {
        CHECK(parse_sql_migration("-- note\n\n/* block */\n-- migrate:up\nSELECT 1;\n", label).findings.empty());
    }
    SECTION("an up section with only comments is valid, with a warning") {
        const ParsedSql parsed =
            parse_sql_migration("-- migrate:up\n-- TODO\n  \n/* later */\n-- migrate:down\nSELECT 1;\n", label);
        const auto& finding = only_finding(parsed);
        CHECK(finding.code == "empty-up");
        CHECK(finding.severity == Severity::warning);
        CHECK(finding.line == 1);
        CHECK_FALSE(datamig::has_errors(parsed.findings));
        CHECK(parsed.script.up.sql == "-- TODO\n  \n/* later */\n");
    }
    SECTION("so is an empty up at the end of the file, as a comment-only down is") {
        const ParsedSql parsed = parse_sql_migration("-- migrate:down\n-- nothing to undo\n-- migrate:up", label);
        CHECK(codes(parsed) == std::vector<std::string>{"empty-up"});
        CHECK_FALSE(datamig::has_errors(parsed.findings));
        REQUIRE(parsed.script.down);
        CHECK(parsed.script.down->sql == "-- nothing to undo\n");
    }
    SECTION("markers are case-sensitive: other comments are plain comments") {
        const ParsedSql parsed =
            parse_sql_migration("-- Migrate:up is how dbmate marks it\n-- migrate:up\nSELECT 1;\n", label);
        CHECK(parsed.findings.empty());
    }
}

TEST_CASE("parse_sql_migration: a NUL byte makes the file invalid, naming its line", "[migration]") {
    const std::string text = std::string("-- migrate:up\nUPDATE t SET v = 0") + '\0' + " WHERE id = 1;\n";
    const ParsedSql parsed = parse_sql_migration(text, label);
    const auto& finding = only_finding(parsed);
    CHECK(finding.code == "nul-byte");
    CHECK(finding.severity == Severity::error);
    CHECK(finding.line == 2);
    CHECK(finding.file == label);
    const std::vector<std::string> only_nul = codes(parse_sql_migration(std::string("\0", 1), label));
    CHECK(only_nul == std::vector<std::string>{"nul-byte", "missing-up"});
}

TEST_CASE("parse_sql_migration: a comment or quote never closed is an error on the line it opens", "[migration]") {
    struct Case {
        std::string text;
        int line;
        std::string fragment;
    };
    const auto unclosed = GENERATE(values<Case>({
        {"-- migrate:up\nUPDATE t SET a = 1;\n/* skipped\nUPDATE t SET b = 2;\n", 3, "block comment: /*"},
        {"-- migrate:up\nUPDATE t SET a = 'x;\nUPDATE t SET b = 2;\n", 2, "string: '"},
        {"-- migrate:up\nSELECT 1;\n-- migrate:down\n\nUPDATE t SET a = E'it\\'s;\n", 5, "escape string: E'"},
        {"-- migrate:up\nSELECT 1;\n-- migrate:verify\nSELECT \"open FROM t;\n", 4, "quoted identifier: \""},
        {"-- migrate:up\nDO $fn$ BEGIN END $f$;\n", 2, "dollar-quoted string: $fn$"},
        {"/* a header\n\n-- migrate:up\nSELECT 1;\n", 1, "block comment: /*"},
    }));
    INFO(unclosed.text);
    const ParsedSql parsed = parse_sql_migration(unclosed.text, label);
    const auto& finding = only_finding(parsed);
    CHECK(finding.code == "unterminated");
    CHECK(finding.severity == Severity::error);
    CHECK(finding.line == unclosed.line);
    CHECK_THAT(finding.message, Catch::Contains(unclosed.fragment) && Catch::Contains("never closed"));
}

TEST_CASE("parse_sql_migration: an up of only an unclosed comment is not also called empty", "[migration]") {
    const ParsedSql parsed = parse_sql_migration("-- migrate:up\n/* UPDATE t SET a = 1; /* nested */\n", label);
    CHECK(codes(parsed) == std::vector<std::string>{"unterminated"});
    CHECK_THAT(only_finding(parsed).message, Catch::Contains("nest"));
}

TEST_CASE("parse_sql_migration: comments and quotes closed in their section are fine", "[migration]") {
    const ParsedSql parsed = parse_sql_migration(
        "/* header */\n-- migrate:up\nUPDATE t SET a = 'it''s', b = E'\\'' /* x /* y */ */;\nDO $$ SELECT 1; $$;\n"
        "-- migrate:down\nUPDATE \"t\" SET \"a\"\"b\" = $1 -- '\n;\n",
        label);
    // Read to its end: the up's UPDATE has no WHERE (the down's is not read for that).
    CHECK(codes(parsed) == std::vector<std::string>{"update-without-where"});
    CHECK(lines(parsed) == std::vector<int>{3});
}

TEST_CASE("parse_sql_migration warns about UPDATE and DELETE without WHERE, naming their lines", "[migration]") {
    const ParsedSql parsed = parse_sql_migration(
        "-- migrate:up\n"
        "UPDATE users SET role = 'worker' WHERE role IS NULL;\n"
        "-- DELETE FROM users; is only a comment\n"
        "WITH stale AS (SELECT id FROM sessions WHERE expires_at < now())\n"
        "DELETE FROM sessions;\n"
        "SELECT id FROM jobs FOR UPDATE SKIP LOCKED;\n"
        "\n"
        "-- migrate:down\n"
        "UPDATE users\n"
        "   SET role = NULL;\n"
        "-- migrate:verify\n"
        "SELECT count(*) = 0 FROM users WHERE role IS NULL;\n",
        label);
    // The down's UPDATE resets every row on purpose: only `up` is read for these.
    CHECK(codes(parsed) == std::vector<std::string>{"delete-without-where"});
    CHECK(lines(parsed) == std::vector<int>{5});
    REQUIRE(parsed.findings.size() == 1);
    CHECK(parsed.findings[0].severity == Severity::warning);
    CHECK(parsed.findings[0].file == label);
    CHECK_THAT(parsed.findings[0].message, Catch::StartsWith("DELETE FROM sessions without WHERE deletes every row"));
}

TEST_CASE("parse_sql_migration: batched sections have no WHERE to warn about", "[migration]") {
    CHECK(parse_sql_migration("-- migrate:up batch:loop\nUPDATE t SET a = 1;\n", label).findings.empty());
    CHECK(parse_sql_migration("-- migrate:up batch:range key:t.id\nDELETE FROM t;\n", label).findings.empty());
    // Nor is a down, which undoes a backfill across the table by design.
    const ParsedSql down = parse_sql_migration(
        "-- migrate:up batch:range key:t.id\nUPDATE t SET a = 1 WHERE id BETWEEN :batch_start AND :batch_last;\n"
        "-- migrate:down\nUPDATE t SET a = NULL;\n",
        label);
    CHECK(down.findings.empty());
}

TEST_CASE("parse_sql_migration: a transaction:false up is read too", "[migration]") {
    const ParsedSql parsed =
        parse_sql_migration("-- migrate:up transaction:false\nVACUUM;\n\nDELETE FROM audit_log;\n", label);
    CHECK(codes(parsed) == std::vector<std::string>{"delete-without-where"});
    CHECK(lines(parsed) == std::vector<int>{4});
}

TEST_CASE("parse_sql_migration: bodies, strings and comments hold no statement to warn about", "[migration]") {
    const ParsedSql parsed = parse_sql_migration(
        "-- migrate:up\n"
        "DO $$\nBEGIN\n  UPDATE t SET a = 1;\n  DELETE FROM t;\nEND\n$$;\n"
        "CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $fn$ DELETE FROM t $fn$;\n"
        "INSERT INTO notes (body) VALUES ('UPDATE t SET a = 1; no WHERE');\n"
        "/* DELETE FROM t; */\n"
        "INSERT INTO t (id, a) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET a = excluded.a;\n",
        label);
    CHECK(codes(parsed) == std::vector<std::string>{});
}

TEST_CASE("parse_sql_migration: an unclosed section is not read for statements", "[migration]") {
    const ParsedSql parsed = parse_sql_migration("-- migrate:up\nUPDATE t SET a = 1;\nSELECT 'open\n", label);
    CHECK(codes(parsed) == std::vector<std::string>{"unterminated"});
}

TEST_CASE("parse_sql_migration: empty-up and indented-marker come with the new warnings", "[migration]") {
    const ParsedSql parsed =
        parse_sql_migration("-- migrate:up\n-- nothing yet\n  -- migrate:down\nDELETE FROM t;\n", label);
    CHECK(codes(parsed) == std::vector<std::string>{"indented-marker", "empty-up"});
    CHECK(lines(parsed) == std::vector<int>{3, 1});
}
