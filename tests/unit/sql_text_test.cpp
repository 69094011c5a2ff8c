#include "datamig/sql_text.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using datamig::find_unterminated;
using datamig::is_ddl;
using datamig::leading_keyword;
using datamig::split_statements;
using datamig::substitute_placeholder;

namespace {

std::vector<std::string> texts(const std::vector<datamig::Statement>& statements) {
    std::vector<std::string> result;
    for (const auto& statement : statements) result.push_back(statement.text);
    return result;
}

std::vector<int> lines(const std::vector<datamig::Statement>& statements) {
    std::vector<int> result;
    for (const auto& statement : statements) result.push_back(statement.first_line);
    return result;
}

// 20000 texts of up to `max_length` characters of `alphabet`, the same ones on every run.
std::vector<std::string> random_texts(std::string_view alphabet, std::size_t max_length, unsigned seed) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<std::size_t> letter(0, alphabet.size() - 1);
    std::uniform_int_distribution<std::size_t> length(0, max_length);
    std::vector<std::string> texts(20000);
    for (std::string& sql : texts) {
        for (std::size_t n = length(random); n > 0; --n) sql += alphabet[letter(random)];
    }
    return texts;
}

// "kind:text@depth" for each token of `sql`: w word, q quoted identifier, l literal, s symbol.
std::vector<std::string> tokens(std::string_view sql) {
    std::vector<std::string> result;
    datamig::SqlTokenizer tokenizer(sql);
    while (const auto token = tokenizer.next()) {
        static constexpr std::string_view kinds = "wqls";
        REQUIRE(sql.substr(token->offset, token->text.size()) == token->text);
        result.push_back(std::string(1, kinds[static_cast<std::size_t>(token->kind)]) + ":" + std::string(token->text) +
                         "@" + std::to_string(token->depth));
    }
    return result;
}

using Tokens = std::vector<std::string>;

}  // namespace

TEST_CASE("split_statements cuts on top-level semicolons and trims", "[sql_text]") {
    const auto statements = split_statements("UPDATE a SET x = 1;\n  DELETE FROM b  ;\nSELECT 1");
    CHECK(texts(statements) == std::vector<std::string>{"UPDATE a SET x = 1", "DELETE FROM b", "SELECT 1"});
    CHECK(lines(statements) == std::vector<int>{1, 2, 3});
}

TEST_CASE("split_statements drops empty and comment-only statements", "[sql_text]") {
    CHECK(split_statements("").empty());
    CHECK(split_statements(" ;\n;; -- just a note\n/* and a block */ ;\n").empty());
    CHECK(texts(split_statements(";;SELECT 1;;")) == std::vector<std::string>{"SELECT 1"});
}

TEST_CASE("split_statements reports the line of the first non-comment character", "[sql_text]") {
    const auto statements =
        split_statements("\n\n-- explain\n/* more\n text */\n  UPDATE t\n SET a = 1;\n\nDELETE FROM t;");
    REQUIRE(statements.size() == 2);
    CHECK(statements[0].first_line == 6);
    CHECK(statements[0].text == "UPDATE t\n SET a = 1");
    CHECK(statements[1].first_line == 9);
}

TEST_CASE("split_statements ignores semicolons inside strings, identifiers and comments", "[sql_text]") {
    SECTION("single-quoted strings with doubled quotes") {
        CHECK(texts(split_statements("SELECT 'a;''b;'; SELECT 2")) ==
              std::vector<std::string>{"SELECT 'a;''b;'", "SELECT 2"});
    }
    SECTION("E'' strings with backslash escapes") {
        CHECK(texts(split_statements("SELECT E'it\\'s; fine'; SELECT 2")) ==
              std::vector<std::string>{"SELECT E'it\\'s; fine'", "SELECT 2"});
    }
    SECTION("a backslash in a plain string is not an escape") {
        CHECK(texts(split_statements("SELECT 'C:\\'; SELECT 2")) ==
              std::vector<std::string>{"SELECT 'C:\\'", "SELECT 2"});
    }
    SECTION("quoted identifiers") {
        CHECK(texts(split_statements("SELECT \"we;ird\"\"name\" FROM t; SELECT 2")).size() == 2);
    }
    SECTION("dollar quotes, plain and tagged") {
        const auto statements = split_statements(
            "DO $$ BEGIN UPDATE a SET x = 1; END $$;\n"
            "DO $body$ BEGIN PERFORM '$$;'; END $body$;\n"
            "SELECT $1;");
        CHECK(texts(statements) == std::vector<std::string>{"DO $$ BEGIN UPDATE a SET x = 1; END $$",
                                                            "DO $body$ BEGIN PERFORM '$$;'; END $body$", "SELECT $1"});
        CHECK(lines(statements) == std::vector<int>{1, 2, 3});
    }
    SECTION("line comments") {
        CHECK(texts(split_statements("SELECT 1 -- not; a cut\n+ 1; SELECT 2")) ==
              std::vector<std::string>{"SELECT 1 -- not; a cut\n+ 1", "SELECT 2"});
    }
    SECTION("nested block comments") {
        CHECK(texts(split_statements("SELECT /* a /* b; */ still; comment */ 1; SELECT 2")) ==
              std::vector<std::string>{"SELECT /* a /* b; */ still; comment */ 1", "SELECT 2"});
    }
    SECTION("an unterminated string swallows the rest, as the server reads it") {
        CHECK(split_statements("SELECT 'open; SELECT 2").size() == 1);
    }
}

TEST_CASE("first_statement_offset is where split_statements' first statement begins", "[sql_text]") {
    constexpr auto none = std::string_view::npos;
    CHECK(datamig::first_statement_offset("") == none);
    CHECK(datamig::first_statement_offset(" ;\n;; -- just a note\n/* and a block */ ;\n") == none);
    CHECK(datamig::first_statement_offset("/* a /* nested; */ one */") == none);
    CHECK(datamig::first_statement_offset("SELECT 1") == 0);
    CHECK(datamig::first_statement_offset(";; -- x;\n  'text'") == 11);
    CHECK(datamig::first_statement_offset("-- only a note;") == none);
    for (const std::string_view sql :
         {"\n\n-- explain\n/* more\n text */\n  UPDATE t;", ";;SELECT 1;;", "$$;$$", "\n ; E'x'"}) {
        INFO(sql);
        const std::size_t offset = datamig::first_statement_offset(sql);
        REQUIRE(offset != none);
        const datamig::Statement first = split_statements(sql).front();
        const std::string_view before = sql.substr(0, offset);
        CHECK(first.first_line == 1 + std::count(before.begin(), before.end(), '\n'));
        CHECK(sql.substr(offset, first.text.size()) == first.text);
    }
}

TEST_CASE("leading_keyword skips comments and upper-cases", "[sql_text]") {
    CHECK(leading_keyword("update users set a = 1") == "UPDATE");
    CHECK(leading_keyword("  -- why\n/* nested /* x */ */ insert into t values (1)") == "INSERT");
    CHECK(leading_keyword("(SELECT 1)").empty());
    CHECK(leading_keyword("").empty());
}

TEST_CASE("is_ddl recognises schema-changing statements", "[sql_text]") {
    for (const char* ddl : {"CREATE INDEX i ON t (a)", "alter table t add c int", "DROP TABLE t", "truncate t",
                            "RENAME TABLE a TO b", "comment on table t is 'x'", "GRANT SELECT ON t TO r",
                            "REVOKE ALL ON t FROM r", "/* c */ -- c\n create table x (a int)"}) {
        INFO(ddl);
        CHECK(is_ddl(ddl));
    }
    for (const char* data :
         {"UPDATE t SET a = 1", "INSERT INTO t VALUES (1)", "DELETE FROM t", "SELECT 'CREATE TABLE x'",
          "-- DROP TABLE t\nSELECT 1", "COMMENTS", "COMMIT", "WITH x AS (SELECT 1) UPDATE t SET a = 1"}) {
        INFO(data);
        CHECK_FALSE(is_ddl(data));
    }
}

TEST_CASE("substitute_placeholder replaces only real placeholders", "[sql_text]") {
    CHECK(substitute_placeholder("LIMIT :batch_size", "batch_size", "500") == "LIMIT 500");
    CHECK(substitute_placeholder("LIMIT :batch_size", ":batch_size", "500") == "LIMIT 500");
    CHECK(substitute_placeholder("WHERE id >= :batch_start AND id < :batch_end", "batch_start", "1") ==
          "WHERE id >= 1 AND id < :batch_end");
    CHECK(substitute_placeholder(":batch_size,:batch_size", "batch_size", "9") == "9,9");

    SECTION("casts, longer names and quoted text are left alone") {
        CHECK(substitute_placeholder("SELECT x::batch_size, :batch_sizes", "batch_size", "1") ==
              "SELECT x::batch_size, :batch_sizes");
        CHECK(substitute_placeholder("SELECT ':batch_size', E'\\':batch_size', \":batch_size\"", "batch_size", "1") ==
              "SELECT ':batch_size', E'\\':batch_size', \":batch_size\"");
        CHECK(substitute_placeholder("-- :batch_size\n/* :batch_size */ $$ :batch_size $$ :batch_size", "batch_size",
                                     "1") == "-- :batch_size\n/* :batch_size */ $$ :batch_size $$ 1");
        CHECK(substitute_placeholder("SELECT '1'::int + :n", "n", "2") == "SELECT '1'::int + 2");
    }
}

TEST_CASE("line_at counts the lines before an offset", "[sql_text]") {
    const std::string_view text = "SELECT 1;\n\nUPDATE t\n  SET x = 1;";
    CHECK(datamig::line_at(text, 0) == 1);
    CHECK(datamig::line_at(text, text.find("UPDATE")) == 3);
    CHECK(datamig::line_at(text, text.find("SET")) == 4);
    CHECK(datamig::line_at(text, text.size()) == 4);
}

TEST_CASE("find_unterminated finds nothing where everything is closed", "[sql_text]") {
    for (const std::string_view sql :
         {"", "SELECT 1", "SELECT 'a;''b;'; SELECT 2", "SELECT E'it\\'s'", "SELECT 'C:\\'", "SELECT \"we\"\"ird\"",
          "DO $$ x $$; DO $body$ '$$' $body$", "SELECT $1, a$b$c FROM t", "SELECT 1 -- it's open; \"", "-- to the end",
          "/* a /* b */ c */", "SELECT 2 - 1 / 3", "SELECT typE'x'", "SELECT 1 $"}) {
        INFO(sql);
        CHECK_FALSE(find_unterminated(sql));
    }
}

TEST_CASE("find_unterminated names what opens and never closes, and where", "[sql_text]") {
    struct Case {
        std::string_view sql;
        std::size_t offset;
        std::string_view what;
        std::string_view opener;
    };
    const auto open = GENERATE(values<Case>({
        {"SELECT 1; /* gone\nSELECT 2;", 10, "block comment", "/*"},
        {"/* a /* b */ still open", 0, "block comment", "/*"},
        {"SELECT 'a''", 7, "string", "'"},
        {"SELECT 'ok', 'open", 13, "string", "'"},
        {"SELECT E'it\\'s", 7, "escape string", "E'"},
        {"SELECT e'\\", 7, "escape string", "e'"},
        {"SELECT typE'x", 11, "string", "'"},
        {"SELECT \"col", 7, "quoted identifier", "\""},
        {"DO $$ BEGIN", 3, "dollar-quoted string", "$$"},
        {"DO $fn$ BEGIN END $f$", 3, "dollar-quoted string", "$fn$"},
    }));
    INFO(open.sql);
    const auto found = find_unterminated(open.sql);
    REQUIRE(found);
    CHECK(found->offset == open.offset);
    CHECK(found->what == open.what);
    CHECK(found->opener == open.opener);
}

// find_unterminated skips to the characters that can open something, split_statements looks at
// every one: on any text they must agree, or a file that check accepts could run differently.
TEST_CASE("find_unterminated agrees with split_statements on where text is closed", "[sql_text]") {
    // The tail closes nothing and is a statement of its own only when everything before it is closed.
    const auto closed = [](std::string_view sql) {
        const std::size_t before = split_statements(sql).size();
        const auto statements = split_statements(std::string(sql) + "\n; SELECT 99");
        return statements.size() == before + 1 && statements.back().text == "SELECT 99";
    };
    for (const std::string& sql : random_texts("-/*'\"$Ee\\;\n a1", 14, 12345)) {
        INFO(sql);
        const auto found = find_unterminated(sql);
        REQUIRE(found.has_value() == !closed(sql));
        if (found) REQUIRE(closed(std::string_view(sql).substr(0, found->offset)));
    }
}

TEST_CASE("SqlTokenizer reads words, literals and symbols, skipping space and comments", "[sql_text]") {
    CHECK(tokens("").empty());
    CHECK(tokens("  -- only a comment\n/* and /* nested */ one */ ").empty());
    CHECK(tokens("UPDATE app.users SET n = n + 1.5;") == Tokens{"w:UPDATE@0", "w:app@0", "s:.@0", "w:users@0",
                                                                "w:SET@0", "w:n@0", "s:=@0", "w:n@0", "s:+@0",
                                                                "l:1.5@0", "s:;@0"});
    CHECK(tokens("a-b/c -- x\n/* y */d") == Tokens{"w:a@0", "s:-@0", "w:b@0", "s:/@0", "w:c@0", "w:d@0"});
    CHECK(tokens("a$b $1 _x été") == Tokens{"w:a$b@0", "s:$@0", "l:1@0", "w:_x@0", "w:été@0"});
}

TEST_CASE("SqlTokenizer: strings, quoted identifiers and dollar quotes are one opaque token", "[sql_text]") {
    CHECK(tokens("'it''s; WHERE' \"Users;\" E'a\\'b' e'x'") ==
          Tokens{"l:'it''s; WHERE'@0", "q:\"Users;\"@0", "l:E'a\\'b'@0", "l:e'x'@0"});
    CHECK(tokens("DO $$ UPDATE t; $$; $fn$ ( $fn$") ==
          Tokens{"w:DO@0", "l:$$ UPDATE t; $$@0", "s:;@0", "l:$fn$ ( $fn$@0"});
    CHECK(tokens("typE'x'") == Tokens{"w:typE@0", "l:'x'@0"});
    CHECK(tokens("X'1f' N'a\\'") == Tokens{"w:X@0", "l:'1f'@0", "w:N@0", "l:'a\\'@0"});
    CHECK(tokens("1.$$ x $$ 1$$") == Tokens{"l:1.@0", "l:$$ x $$@0", "l:1@0", "s:$@0", "s:$@0"});
    SECTION("one never closed runs to the end of the text") {
        CHECK(tokens("SELECT 'open; WHERE") == Tokens{"w:SELECT@0", "l:'open; WHERE@0"});
        CHECK(tokens("SELECT $$ open") == Tokens{"w:SELECT@0", "l:$$ open@0"});
        CHECK(tokens("SELECT 1 /* open") == Tokens{"w:SELECT@0", "l:1@0"});
    }
}

TEST_CASE("SqlTokenizer counts parentheses until a ';'", "[sql_text]") {
    CHECK(tokens("a (b (c) ')') d") ==
          Tokens{"w:a@0", "s:(@0", "w:b@1", "s:(@1", "w:c@2", "s:)@1", "l:')'@1", "s:)@0", "w:d@0"});
    CHECK(tokens(") a ((b; c") == Tokens{"s:)@0", "w:a@0", "s:(@0", "s:(@1", "w:b@2", "s:;@0", "w:c@0"});
}

TEST_CASE("is_keyword compares unquoted words in any case", "[sql_text]") {
    datamig::SqlTokenizer tokenizer("uPdAtE \"UPDATE\" 'UPDATE' updated");
    std::vector<bool> matches;
    while (const auto token = tokenizer.next()) matches.push_back(datamig::is_keyword(*token, "UPDATE"));
    CHECK(matches == std::vector<bool>{true, false, false, false});
}

// The statement scan reads statements as the tokenizer delimits them, the PostgreSQL driver runs
// them as split_statements does: on any text they must agree, or the scan would read a WHERE
// into the wrong statement.
TEST_CASE("SqlTokenizer agrees with split_statements on where statements begin", "[sql_text]") {
    // 1-based lines of the first token of each statement: tokens between two ';'.
    const auto token_statement_lines = [](std::string_view sql) {
        std::vector<int> result;
        bool in_statement = false;
        datamig::SqlTokenizer tokenizer(sql);
        while (const auto token = tokenizer.next()) {
            REQUIRE(token->depth >= 0);
            if (datamig::is_symbol(*token, ';')) {
                in_statement = false;
            } else if (!in_statement) {
                in_statement = true;
                result.push_back(datamig::line_at(sql, token->offset));
            }
        }
        return result;
    };
    for (const std::string& sql : random_texts("-/*'\"$Ee\\;\n a1().", 16, 2024)) {
        INFO(sql);
        REQUIRE(token_statement_lines(sql) == lines(split_statements(sql)));
    }
}

TEST_CASE("identifier_value: the name as PostgreSQL reads it", "[sql_text]") {
    const auto value = [](std::string_view sql) {
        datamig::SqlTokenizer tokenizer(sql);
        return datamig::identifier_value(*tokenizer.next());
    };
    CHECK(value("Users") == "users");
    CHECK(value("APP_Ünïcode") == "app_Ünïcode");  // only ASCII letters fold
    CHECK(value("\"Users\"") == "Users");
    CHECK(value("\"Audit \"\"Log\"\"\"") == "Audit \"Log\"");
    CHECK(value("\"\"") == "");
    CHECK(value("\"never closed") == "never closed");
}
