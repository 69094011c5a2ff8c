// Many databases (SPEC §4), end to end, continued: --schemas over the 200 tenant schemas of one
// PostgreSQL database (many_targets.hpp), and --targets files of SQLite files: comments,
// variables, bare URLs, a failing file among them, and malformed files refused before any target.
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"
#include "e2e/many_targets.hpp"

namespace datamig::test::fleet {
namespace {

using nlohmann::json;

constexpr const char* v1 = "20261201000000";

// Per schema of the schemas database that holds `items`: "name|history rows (-1: no table)|rows
// of items tagged `tag`", in name order.
std::vector<std::string> per_schema(const std::string& table, const std::string& tag) {
    const Fleet& all = fleet();
    const std::string sql = fmt::format(
        "SELECT n.nspname || '|' ||\n"
        "  CASE WHEN to_regclass(format('%I.{0}', n.nspname)) IS NULL THEN -1 ELSE (xpath('/row/c/text()',\n"
        "    query_to_xml(format('SELECT count(*) AS c FROM %I.{0}', n.nspname), false, true, '')))[1]::text::int END\n"
        "  || '|' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.items WHERE tag = "
        "%L', n.nspname, '{1}'), false, true, '')))[1]::text\n"
        "FROM pg_namespace n WHERE to_regclass(format('%I.items', n.nspname)) IS NOT NULL ORDER BY n.nspname",
        table, tag);
    return all.in_each({all.schemas_database()}, sql);
}

std::vector<std::string> tenants() {
    std::vector<std::string> names;
    for (int i = 0; i < schema_count; ++i) names.push_back(fmt::format("tenant_{:03}", i));
    return names;
}

// SQLite files a, b and c in the project; a and b hold an `items` table, c does not.
void make_sqlite_files(const Project& project) {
    std::filesystem::create_directories(project.root() / "dbs");
    for (const char* name : {"a", "b"}) {
        execute_sql("sqlite:" + (project.root() / "dbs" / (std::string(name) + ".sqlite3")).string(),
                    "CREATE TABLE items (tag TEXT NOT NULL)");
    }
    execute_sql("sqlite:" + (project.root() / "dbs/c.sqlite3").string(), "CREATE TABLE other (x INTEGER)");
}

std::string sqlite_url(const Project& project, const std::string& name) {
    return "sqlite:" + (project.root() / "dbs" / (name + ".sqlite3")).string();
}

}  // namespace

TEST_CASE("--schemas 'tenant\\_%' --jobs 8: 200 schemas, each with its own history, the others untouched",
          "[e2e][many][schemas]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    use_table(project, "schemas");
    // Unqualified: the tenant's search_path makes it the tenant's own table.
    project.write_sql("pre_sync", v1, "tag_items",
                      "-- migrate:up\nINSERT INTO items (tag) VALUES ('schemas');\n"
                      "-- migrate:down\nDELETE FROM items WHERE tag = 'schemas';\n");
    // The password in clear in the base URL; it must not show anywhere all the same.
    const std::string url = all.url(all.schemas_database(), true);
    const std::vector<std::string> base{"--schemas", "tenant\\_%", "--database-url", url, "--jobs", "8"};
    const auto with = [&](std::vector<std::string> args) {
        args.insert(args.end(), base.begin(), base.end());
        return project.run(args);
    };

    const RunResult run = with({"migrate", "--log-format", "json", "--summary-file", "summary.json"});
    INFO("stdout:\n" << run.out.substr(0, 4000) << "\nstderr:\n" << run.err.substr(0, 4000));
    CHECK(run.exit_code == 0);
    CHECK(lines(run.out).back() == "200 targets: 200 migrated");
    CHECK(contains(run.out, "tenant_007: "));
    CHECK(contains(run.err, R"("target":"tenant_199")"));
    std::vector<std::string> expected{"other|-1|0"};
    for (const auto& tenant : tenants()) expected.push_back(tenant + "|1|1");
    expected.emplace_back("tenantx|-1|0");
    CHECK(per_schema("dm_schemas", "schemas") == expected);
    CHECK(all.in_each({all.schemas_database()}, "SELECT to_regclass('public.dm_schemas') IS NULL") ==
          std::vector<std::string>{"t"});

    const RunResult status = with({"status", "--format", "json"});
    CHECK(status.exit_code == 0);
    const json document = status.json();
    REQUIRE(document.at("targets").size() == 200);
    for (std::size_t i = 0; i < 200; ++i) {
        const auto& entry = document.at("targets")[i];
        CHECK(entry.at("target") == tenants()[i]);
        CHECK(entry.at("applied") == 1);
        CHECK(entry.at("migrations")[0].at("state") == "applied");
    }
    for (const std::string& shown : {run.out, run.err, project.read("summary.json"), status.out, status.err}) {
        CHECK_FALSE(contains(shown, all.password()));
    }
    // A history table of a schema of its own would put every tenant's history in one place.
    const RunResult refused = with({"status", "--table", "public.dm"});
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "--table"));
    CHECK(refused.out.empty());
}

TEST_CASE("--schemas: an exec migration works in its tenant's schema (PGOPTIONS, DATAMIG_SCHEMA)",
          "[e2e][many][schemas]") {
    if (without_postgres()) return;
    const Fleet& all = fleet();
    Project project;
    use_table(project, "exec");
    // Unqualified, through psql: libpq reads PGOPTIONS; the row is written only when the session's
    // schema is the one DATAMIG_SCHEMA names.
    project.write("db/data_migrations/post_sync/20260101000000_tag_from_script.sh",
                  "#!/bin/sh\n[ \"$1\" = up ] || exit 0\n"
                  "exec psql -X -q -v ON_ERROR_STOP=1 \"$DATABASE_URL\" -c \"INSERT INTO items (tag) "
                  "SELECT 'exec' WHERE current_schema() = '$DATAMIG_SCHEMA'\"\n",
                  true);
    const RunResult run = project.run({"migrate", "--schemas", "tenant\\_00_", "--database-url",
                                       all.url(all.schemas_database(), true), "--jobs", "4"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.exit_code == 0);
    CHECK(lines(run.out).back() == "10 targets: 10 migrated");
    const auto counts = per_schema("dm_exec", "exec");
    for (int i = 0; i < 10; ++i) {
        CHECK(std::find(counts.begin(), counts.end(), fmt::format("tenant_{:03}|1|1", i)) != counts.end());
    }
    CHECK(std::find(counts.begin(), counts.end(), "tenant_010|-1|0") != counts.end());
}

TEST_CASE("--schemas on SQLite: a usage error, exit 2", "[e2e][many][schemas]") {
    Project project;
    project.write_sql("pre_sync", v1, "anything", "-- migrate:up\nSELECT 1;\n");
    const std::string url = "sqlite:" + (project.root() / "app.sqlite3").string();
    const RunResult run = project.run({"migrate", "--schemas", "tenant\\_%", "--database-url", url});
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    CHECK(contains(run.err, "--schemas"));
    CHECK(run.out.empty());
}

TEST_CASE("--targets of SQLite files: comments, ${VAR}, bare URLs; a failing file does not stop the others",
          "[e2e][many][sqlite]") {
    Project project;
    make_sqlite_files(project);
    project.write_sql("pre_sync", v1, "tag_items", "-- migrate:up\nINSERT INTO items (tag) VALUES ('files');\n");
    const std::map<std::string, std::string> env{{"DBS", (project.root() / "dbs").string()}};
    // A bare URL takes the file's name; the folder comes from the environment.
    project.write("targets.txt",
                  "# the tenants' files\n\nsqlite:${DBS}/a.sqlite3\n   # indented comment\n"
                  "second\tsqlite:${DBS}/b.sqlite3\n\nbroken " +
                      sqlite_url(project, "c") + "\n");

    const RunResult text = project.run({"migrate", "--targets", "targets.txt", "--jobs", "3"}, env);
    INFO("stdout:\n" << text.out << "\nstderr:\n" << text.err);
    CHECK(text.exit_code == 1);
    CHECK(contains(text.out, "3 targets: 2 migrated, 1 failed\nfailed: broken (exit 1)\n"));
    CHECK(contains(text.out, "a: "));
    CHECK(contains(text.out, "second: "));
    for (const char* name : {"a", "b"}) {
        CHECK(query_value(sqlite_url(project, name), "SELECT count(*) FROM data_migrations") == "1");
        CHECK(query_value(sqlite_url(project, name), "SELECT count(*) FROM items WHERE tag = 'files'") == "1");
    }

    const RunResult run = project.run({"migrate", "--targets", "targets.txt", "--format", "json"}, env);
    CHECK(run.exit_code == 1);
    const json targets = run.json().at("targets");
    REQUIRE(targets.size() == 3);
    CHECK(targets[0].at("target") == "a");
    CHECK(targets[1].at("target") == "second");
    CHECK(targets[2].at("target") == "broken");
    CHECK(targets[0].at("exit_code") == 0);
    CHECK(targets[0].at("applied").empty());
    CHECK(targets[2].at("exit_code") == 1);
    CHECK(contains(targets[2].at("error"), "items"));
}

TEST_CASE("a malformed --targets file: exit 2 naming file:line, no target touched", "[e2e][many][sqlite]") {
    Project project;
    make_sqlite_files(project);
    project.write_sql("pre_sync", v1, "tag_items", "-- migrate:up\nINSERT INTO items (tag) VALUES ('files');\n");
    const std::string good = "a " + sqlite_url(project, "a") + "\n# fine so far\nb " + sqlite_url(project, "b") + "\n";
    std::string bad;
    std::string named;
    SECTION("not a URL") {
        bad = "c not-a-url\n";
        named = "targets.txt:4";
    }
    SECTION("an unset variable") {
        bad = "c sqlite:${NOT_SET_ANYWHERE}/c.sqlite3\n";
        named = "targets.txt:4";
    }
    SECTION("a name used twice") {
        bad = "a " + sqlite_url(project, "c") + "\n";
        named = "targets.txt:4";
    }
    SECTION("a name that is not one word") {
        bad = "\n\nc/d " + sqlite_url(project, "c") + "\n";
        named = "targets.txt:6";
    }
    project.write("targets.txt", good + bad);
    const RunResult run = project.run({"migrate", "--targets", "targets.txt", "--jobs", "2"});
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 2);
    CHECK(contains(run.err, named));
    CHECK(run.out.empty());
    for (const char* name : {"a", "b", "c"}) {
        CHECK(query_value(sqlite_url(project, name),
                          "SELECT count(*) FROM sqlite_master WHERE name LIKE 'data_migrations%'") == "0");
    }
}

}  // namespace datamig::test::fleet
