#include "datamig/statement_scan.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "datamig/sql_text.hpp"

using datamig::find_table_writes;

namespace {

// "UPDATE users@3" for each write of `sql` without a WHERE: the verb, the table and the line of
// the verb.
std::vector<std::string> found(std::string_view sql) {
    std::vector<std::string> result;
    for (const auto& write : find_table_writes(sql)) {
        CHECK(write.line == datamig::line_at(sql, write.offset));
        if (!write.where)
            result.push_back(std::string(write.verb) + " " + write.table + "@" + std::to_string(write.line));
    }
    return result;
}

// "UPDATE schema|name" for each write of `sql`, WHERE or not: the table as the database reads it.
std::vector<std::string> targets(std::string_view sql) {
    std::vector<std::string> result;
    for (const auto& write : find_table_writes(sql)) {
        result.push_back(std::string(write.verb) + " " + write.schema + "|" + write.name);
    }
    return result;
}

using Found = std::vector<std::string>;

datamig::Section section_of(std::string sql, datamig::BatchMode batch = datamig::BatchMode::none) {
    datamig::Section section;
    section.sql = std::move(sql);
    section.marker_line = 4;
    section.options.batch = batch;
    return section;
}

}  // namespace

TEST_CASE("find_table_writes: UPDATE and DELETE without WHERE", "[statement_scan]") {
    CHECK(found("UPDATE users SET role = 'worker'") == Found{"UPDATE users@1"});
    CHECK(found("DELETE FROM sessions;") == Found{"DELETE sessions@1"});
    CHECK(found("\n\n  update Users\n set a = 1;\n\ndelete\nfrom app.sessions") ==
          Found{"UPDATE Users@3", "DELETE app.sessions@6"});
    CHECK(found("UPDATE ONLY \"Users\" SET a = 1") == Found{"UPDATE \"Users\"@1"});
    CHECK(found("DELETE FROM ONLY app . \"Audit Log\" RETURNING id") == Found{"DELETE app.\"Audit Log\"@1"});
    CHECK(found("UPDATE OR REPLACE users SET a = 1") == Found{"UPDATE users@1"});  // SQLite
    CHECK(found("UPDATE users AS u SET a = u.b RETURNING u.id") == Found{"UPDATE users@1"});
}

TEST_CASE("find_table_writes: a WHERE of the statement's own is enough", "[statement_scan]") {
    CHECK(found("UPDATE users SET role = 'worker' WHERE role IS NULL").empty());
    CHECK(found("update users set role = 'worker' where role is null").empty());
    CHECK(found("DELETE FROM sessions WHERE expires_at < now()").empty());
    CHECK(found("UPDATE users u SET team = t.name FROM teams t WHERE t.id = u.team_id").empty());
    CHECK(found("DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.deleted").empty());
    CHECK(found("UPDATE jobs SET state = 'done' WHERE CURRENT OF job_cursor").empty());
    CHECK(found("UPDATE t SET a = 1 WHERE id IN (SELECT id FROM u WHERE x) RETURNING *").empty());
}

TEST_CASE("find_table_writes: a WHERE elsewhere does not count", "[statement_scan]") {
    SECTION("in a sub-query") {
        CHECK(found("UPDATE t SET a = (SELECT b FROM u WHERE u.id = t.id)") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET a = 1 FROM (SELECT id FROM u WHERE u.x) s") == Found{"UPDATE t@1"});
        CHECK(found("DELETE FROM t RETURNING (SELECT 1 WHERE true)") == Found{"DELETE t@1"});
    }
    SECTION("in a string, a quoted identifier or a comment") {
        CHECK(found("UPDATE t SET note = 'only WHERE needed'") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET note = E'it\\'s WHERE'") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET \"where\" = 1") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET a = 1 -- WHERE id = 3\n") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET a = 1 /* WHERE /* nested */ id = 3 */") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET a = $$ WHERE $$") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET a = $x$ WHERE $x$") == Found{"UPDATE t@1"});
    }
    SECTION("in a CASE or the next statement") {
        CHECK(found("UPDATE t SET a = CASE WHEN b THEN 1 ELSE 2 END") == Found{"UPDATE t@1"});
        CHECK(found("UPDATE t SET a = 1;\nSELECT * FROM t WHERE a = 1") == Found{"UPDATE t@1"});
        CHECK(found("DELETE FROM t;\nDELETE FROM u WHERE x;\nDELETE FROM v") == Found{"DELETE t@1", "DELETE v@3"});
    }
}

TEST_CASE("find_table_writes: WITH", "[statement_scan]") {
    SECTION("a WHERE in a CTE is not the main statement's") {
        CHECK(found("WITH x AS (SELECT id FROM u WHERE u.flag)\nUPDATE t SET a = 1") == Found{"UPDATE t@2"});
        CHECK(found("WITH x AS (SELECT id FROM u WHERE u.flag)\nUPDATE t SET a = 1 FROM x WHERE x.id = t.id").empty());
        CHECK(found("WITH RECURSIVE x(id, parent) AS (SELECT 1, 2), y AS MATERIALIZED (SELECT 3)\nDELETE FROM t") ==
              Found{"DELETE t@2"});
        CHECK(found("WITH x AS NOT MATERIALIZED (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)").empty());
    }
    SECTION("data-modifying CTEs") {
        CHECK(found("WITH d AS (DELETE FROM t WHERE created < now() RETURNING *)\nSELECT count(*) FROM d").empty());
        CHECK(found("WITH d AS (\n  DELETE FROM t RETURNING *\n)\nINSERT INTO archive SELECT * FROM d") ==
              Found{"DELETE t@2"});
        CHECK(found("WITH a AS (UPDATE t SET x = 1 RETURNING id), b AS (DELETE FROM u RETURNING id)\nSELECT 1") ==
              Found{"UPDATE t@1", "DELETE u@1"});
        CHECK(found("WITH a AS (UPDATE t SET x = 1 WHERE y RETURNING id) UPDATE u SET z = 2") == Found{"UPDATE u@1"});
        CHECK(found("WITH moved AS (DELETE FROM queue WHERE id IN (SELECT id FROM queue LIMIT 10) RETURNING *)\n"
                    "INSERT INTO done SELECT * FROM moved")
                  .empty());
    }
    SECTION("SEARCH and CYCLE clauses") {
        CHECK(found("WITH RECURSIVE g(id) AS (SELECT 1 UNION SELECT id + 1 FROM g)\n"
                    "  SEARCH DEPTH FIRST BY id SET ord\n  CYCLE id SET is_cycle USING path\nUPDATE t SET a = 1") ==
              Found{"UPDATE t@4"});
    }
    SECTION("a WITH whose main statement reads") {
        CHECK(found("WITH x AS (SELECT 1) SELECT * FROM x").empty());
        CHECK(found("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x ON CONFLICT (id) DO UPDATE SET a = 1").empty());
    }
}

TEST_CASE("find_table_writes: UPDATE and DELETE as other words", "[statement_scan]") {
    CHECK(found("SELECT * FROM jobs WHERE state = 'new' FOR UPDATE SKIP LOCKED LIMIT 10").empty());
    CHECK(found("SELECT * FROM jobs FOR NO KEY UPDATE").empty());
    CHECK(found("INSERT INTO t (id, a) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET a = excluded.a").empty());
    CHECK(found("INSERT INTO t (update, delete) VALUES (1, 2)").empty());
    CHECK(found("ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES u (id) ON DELETE CASCADE ON UPDATE SET NULL").empty());
    CHECK(found("GRANT UPDATE, DELETE ON t TO app").empty());
    CHECK(found("SELECT last_update, deleted FROM t").empty());
    CHECK(found("SELECT update FROM t; SELECT delete FROM t").empty());
    CHECK(found("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED BY "
                "SOURCE THEN DELETE")
              .empty());
    CHECK(found("TRUNCATE sessions").empty());
    CHECK(found("EXPLAIN UPDATE t SET a = 1").empty());
    CHECK(found("PREPARE p AS DELETE FROM t").empty());
    CHECK(found("LOCK TABLE t IN ROW EXCLUSIVE MODE").empty());
    CHECK(found("UPDATE").empty());
    CHECK(found("DELETE t").empty());
    CHECK(found("UPDATE t").empty());
}

TEST_CASE("find_table_writes: bodies are not read", "[statement_scan]") {
    SECTION("dollar-quoted DO blocks and functions") {
        CHECK(found("DO $$\nBEGIN\n  UPDATE t SET a = 1;\n  DELETE FROM u;\nEND\n$$;").empty());
        CHECK(found("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  DELETE FROM t;\n"
                    "  RETURN NULL;\nEND\n$body$;\nUPDATE t SET a = 1;") == Found{"UPDATE t@7"});
        CHECK(found("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'UPDATE t SET a = 1'").empty());
    }
    SECTION("BEGIN ... END of a CREATE: a SQLite trigger, BEGIN ATOMIC") {
        CHECK(found("CREATE TRIGGER tr AFTER UPDATE ON t BEGIN\n  UPDATE u SET n = n + 1 WHERE id = new.id;\n"
                    "  UPDATE v SET total = CASE WHEN 1 THEN 2 END;\n  DELETE FROM w;\nEND;\nDELETE FROM x;") ==
              Found{"DELETE x@6"});
        CHECK(found("CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC\n  UPDATE t SET a = 1;\nEND;\n"
                    "UPDATE t SET a = 2") == Found{"UPDATE t@4"});
        CHECK(found("CREATE TABLE t (begin int, \"end\" int);\nUPDATE t SET begin = 1") == Found{"UPDATE t@2"});
        CHECK(found("CREATE VIEW v AS SELECT CASE WHEN a THEN 1 END AS c FROM t;\nDELETE FROM t") ==
              Found{"DELETE t@2"});
    }
    SECTION("a transaction's BEGIN is no body") {
        CHECK(found("BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;") == Found{"UPDATE t@2"});
    }
}

TEST_CASE("find_table_writes: unbalanced and unclosed text", "[statement_scan]") {
    CHECK(found("UPDATE t SET a = (1;\nDELETE FROM u") == Found{"UPDATE t@1", "DELETE u@2"});
    CHECK(found("UPDATE t SET a = 1)) WHERE x").empty());
    CHECK(found("UPDATE t SET a = 'never closed WHERE") == Found{"UPDATE t@1"});
    CHECK(found("WITH x AS (DELETE FROM t").size() == 1);
    CHECK(found("WITH x AS (").empty());
    CHECK(found("WITH").empty());
    CHECK(found("UPDATE t SET a = 1 /* never closed").size() == 1);
}

TEST_CASE("find_table_writes: a very long table name is cut in messages", "[statement_scan]") {
    const auto writes = find_table_writes("DELETE FROM " + std::string(500, 'x'));
    REQUIRE(writes.size() == 1);
    CHECK(writes[0].name == std::string(500, 'x'));
    CHECK(datamig::shown_table(writes[0]) == std::string(80, 'x') + "...");
}

TEST_CASE("find_table_writes: the target of every UPDATE and DELETE", "[statement_scan]") {
    CHECK(targets("UPDATE users SET a = 1 WHERE id = 1; DELETE FROM sessions") ==
          Found{"UPDATE |users", "DELETE |sessions"});
    CHECK(targets("update App.Users set a = 1 where id = 1") == Found{"UPDATE app|users"});
    CHECK(targets("UPDATE \"App\".\"Audit \"\"Log\"\"\" SET a = 1 WHERE x") == Found{"UPDATE App|Audit \"Log\""});
    CHECK(targets("UPDATE ONLY app.users SET a = 1 WHERE x") == Found{"UPDATE app|users"});
    CHECK(targets("DELETE FROM ONLY \"Users\" WHERE x") == Found{"DELETE |Users"});
    CHECK(targets("DELETE FROM orders o USING customers c WHERE o.customer_id = c.id") == Found{"DELETE |orders"});
    CHECK(targets("UPDATE users u SET team = t.name FROM teams t WHERE t.id = u.team_id") == Found{"UPDATE |users"});
    CHECK(targets("UPDATE OR IGNORE main.users SET a = 1 WHERE x") == Found{"UPDATE main|users"});
    CHECK(targets("WITH stale AS (SELECT id FROM users WHERE x) UPDATE users SET a = 1 FROM stale WHERE "
                  "users.id = stale.id") == Found{"UPDATE |users"});
    CHECK(targets("WITH d AS (DELETE FROM queue WHERE done RETURNING *) INSERT INTO archive SELECT * FROM d") ==
          Found{"DELETE |queue"});
    CHECK(targets("WITH a AS (UPDATE t SET x = 1 WHERE y RETURNING id) DELETE FROM u WHERE id IN (SELECT id FROM a)") ==
          Found{"UPDATE |t", "DELETE |u"});
    CHECK(targets("UPDATE db.app.users SET a = 1 WHERE x") == Found{"UPDATE app|users"});
    CHECK(targets("SELECT * FROM users FOR UPDATE; INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1")
              .empty());
    const auto writes = find_table_writes("UPDATE users SET a = 1 WHERE id = 1;\nDELETE FROM t");
    REQUIRE(writes.size() == 2);
    CHECK(writes[0].where);
    CHECK(!writes[1].where);
    CHECK(writes[1].line == 2);
}

TEST_CASE("unbatched_writes: file lines, none in a batched section", "[statement_scan]") {
    const auto writes = datamig::unbatched_writes(section_of("\nUPDATE users SET a = 1 WHERE b;\n"));
    REQUIRE(writes.size() == 1);
    CHECK(writes[0].line == 6);  // the marker is on line 4
    CHECK(datamig::unbatched_writes(section_of("UPDATE users SET a = 1;", datamig::BatchMode::range)).empty());
    CHECK(datamig::unbatched_writes(section_of("DELETE FROM users;", datamig::BatchMode::loop)).empty());
}

TEST_CASE("add_unbounded_write_warnings names the file line and the remedy", "[statement_scan]") {
    datamig::Findings findings;
    datamig::add_unbounded_write_warnings(section_of("\nUPDATE users SET a = 1;\nDELETE FROM sessions;\n"), "up",
                                          "f.sql", findings);
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].severity == datamig::Severity::warning);
    CHECK(findings[0].file == "f.sql");
    CHECK(findings[0].line == 6);
    CHECK(findings[0].code == "update-without-where");
    CHECK(findings[0].message ==
          "UPDATE users without WHERE changes every row of the table in one transaction; add a WHERE or batch it "
          "(batch:range)");
    CHECK(findings[1].line == 7);
    CHECK(findings[1].code == "delete-without-where");
    CHECK(findings[1].message ==
          "DELETE FROM sessions without WHERE deletes every row of the table in one transaction; add a WHERE or "
          "batch it (batch:loop)");

    findings.clear();
    datamig::add_unbounded_write_warnings(section_of("UPDATE users SET a = NULL;"), "down", "f.sql", findings);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].line == 5);
    CHECK(findings[0].message ==
          "UPDATE users without WHERE changes every row of the table in one transaction; add a WHERE (a down "
          "section cannot be batched)");
}

TEST_CASE("add_unbounded_write_warnings: batched sections are exempt", "[statement_scan]") {
    datamig::Findings findings;
    for (const auto batch : {datamig::BatchMode::loop, datamig::BatchMode::range}) {
        datamig::add_unbounded_write_warnings(section_of("UPDATE users SET a = 1;", batch), "up", "f.sql", findings);
    }
    CHECK(findings.empty());
}

TEST_CASE("find_table_writes: WITH parts are read 16 deep", "[statement_scan]") {
    CHECK(found("WITH a AS (WITH b AS (DELETE FROM t RETURNING 1) SELECT 1) SELECT 1") == Found{"DELETE t@1"});
    const auto nested = [](int levels) {
        std::string sql;
        for (int i = 0; i < levels; ++i) sql += "WITH a AS (";
        return sql + "DELETE FROM t";
    };
    CHECK(find_table_writes(nested(16)).size() == 1);
    CHECK(find_table_writes(nested(17)).empty());
    CHECK(find_table_writes(nested(20000)).empty());  // neither deep recursion nor time
}

TEST_CASE("add_unbounded_write_warnings counts lines across many findings", "[statement_scan]") {
    std::string sql;
    for (int i = 0; i < 1000; ++i)
        sql += "UPDATE t SET a = 1 WHERE id = 1;\nWITH d AS (DELETE FROM u RETURNING *)\nUPDATE v SET b = 2;\n";
    datamig::Findings findings;
    datamig::add_unbounded_write_warnings(section_of(sql), "up", "f.sql", findings);
    REQUIRE(findings.size() == 2000);
    CHECK(findings[0].line == 6);
    CHECK(findings[1].line == 7);
    CHECK(findings[1998].line == 5 + 3 * 999 + 1);
    CHECK(findings[1999].line == 5 + 3 * 999 + 2);
}
