// `datamig migrate`: order, selection, history rows, events, failures and collisions
// (SPEC §2, §4, §5), on the suite's database.
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

// A table the migrations change, and a log that records the order in which they ran.
void create_items(const Project& project) {
    project.execute(
        "CREATE TABLE items (id integer primary key, v text);"
        "INSERT INTO items (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c');"
        "CREATE TABLE run_log (id integer primary key, v text);");
}

// An up that appends `label` to run_log, with a down that removes it.
std::string logging_migration(const std::string& label) {
    return "-- migrate:up\nINSERT INTO run_log (id, v) SELECT count(*) + 1, '" + label +
           "' FROM run_log;\n\n"
           "-- migrate:down\nDELETE FROM run_log WHERE v = '" +
           label + "';\n";
}

std::vector<std::string> run_order(const Project& project) { return project.rows("SELECT v FROM run_log ORDER BY id"); }

std::vector<std::string> applied_versions(const nlohmann::json& document) {
    std::vector<std::string> versions;
    for (const auto& entry : document.at("applied")) versions.push_back(entry.at("version").get<std::string>());
    return versions;
}

std::vector<std::string> recorded_versions(const Project& project) {
    return project.rows("SELECT version FROM data_migrations ORDER BY version");
}

}  // namespace

TEST_CASE("migrate applies pre_sync then post_sync, each in version order", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("post_sync", "20240101000001", "post_first", logging_migration("post_first"));
    project.write_sql("pre_sync", "20240101000003", "pre_second", logging_migration("pre_second"));
    project.write_sql("pre_sync", "20240101000002", "pre_first", logging_migration("pre_first"));
    project.write_sql("post_sync", "20240101000004", "post_second", logging_migration("post_second"));

    const auto result = project.run({"migrate", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto document = result.json();
    CHECK(document.at("dry_run") == false);
    CHECK(applied_versions(document) ==
          std::vector<std::string>{"20240101000002", "20240101000003", "20240101000001", "20240101000004"});
    CHECK(run_order(project) == std::vector<std::string>{"pre_first", "pre_second", "post_first", "post_second"});
    const auto& first = document.at("applied").at(0);
    CHECK(first.at("phase") == "pre_sync");
    CHECK(first.at("name") == "pre_first");
    CHECK(first.at("rows_affected") == 1);
    CHECK(first.at("duration_ms").is_number_integer());
    CHECK(first.size() == 5);
}

TEST_CASE("migrate records the history row of SPEC §5", "[migrate]") {
    Project project;
    create_items(project);
    const auto file = project.write_sql("pre_sync", "20240101000001", "touch_items",
                                        "-- migrate:up\nUPDATE items SET v = 'x' WHERE id <= 2;\n"
                                        "INSERT INTO items (id, v) VALUES (10, 'z');\n"
                                        "UPDATE items SET v = 'y' WHERE id = 3;\n");

    const auto result =
        project.run({"migrate", "--operator", "alice", "--context", "team=data", "--context", "ticket=42"});
    REQUIRE(result.exit_code == 0);
    CHECK(project.rows("SELECT version, phase, name, status, operator, rows_affected FROM data_migrations") ==
          std::vector<std::string>{"20240101000001|pre_sync|touch_items|applied|alice|4"});
    CHECK(project.value("SELECT checksum FROM data_migrations") == sha256_of_file(file));
    CHECK(nlohmann::json::parse(project.value("SELECT context FROM data_migrations")) ==
          nlohmann::json{{"team", "data"}, {"ticket", "42"}});
    CHECK(project.value("SELECT count(*) FROM data_migrations WHERE started_at IS NOT NULL AND finished_at IS NOT NULL "
                        "AND duration_ms >= 0 AND batch_cursor IS NULL") == "1");
    CHECK(project.rows("SELECT event, version, phase, operator, rows_affected FROM data_migrations_events") ==
          std::vector<std::string>{"apply|20240101000001|pre_sync|alice|4"});
    CHECK(project.value("SELECT count(*) FROM data_migrations_events WHERE at IS NOT NULL AND error IS NULL") == "1");
    CHECK(nlohmann::json::parse(project.value("SELECT context FROM data_migrations_events")) ==
          nlohmann::json{{"team", "data"}, {"ticket", "42"}});
}

TEST_CASE("the operator defaults to $USER", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "touch", "-- migrate:up\nUPDATE items SET v = 'x';\n");
    REQUIRE(project.run({"migrate"}).exit_code == 0);
    CHECK(project.value("SELECT operator FROM data_migrations") == "e2e");
}

TEST_CASE("migrate selects with --phase, --only, --target and --limit", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", logging_migration("one"));
    project.write_sql("pre_sync", "20240101000002", "two", logging_migration("two"));
    project.write_sql("post_sync", "20240101000003", "three", logging_migration("three"));
    project.write_sql("post_sync", "20240101000004", "four", logging_migration("four"));

    SECTION("--phase post_sync applies only that phase") {
        REQUIRE(project.run({"migrate", "--phase", "post_sync"}).exit_code == 0);
        CHECK(run_order(project) == std::vector<std::string>{"three", "four"});
    }
    SECTION("--only applies just one pending version") {
        REQUIRE(project.run({"migrate", "--only", "20240101000003"}).exit_code == 0);
        CHECK(recorded_versions(project) == std::vector<std::string>{"20240101000003"});
    }
    SECTION("--target stops after that version") {
        REQUIRE(project.run({"migrate", "--target", "20240101000002"}).exit_code == 0);
        CHECK(run_order(project) == std::vector<std::string>{"one", "two"});
    }
    SECTION("--limit applies at most N") {
        REQUIRE(project.run({"migrate", "--limit", "3"}).exit_code == 0);
        CHECK(run_order(project) == std::vector<std::string>{"one", "two", "three"});
    }
    SECTION("an unknown phase is a usage error") {
        CHECK(project.run({"migrate", "--phase", "nope"}).exit_code == 2);
        CHECK(run_order(project).empty());
    }
}

TEST_CASE("migrate --dry-run prints the plan and creates nothing", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", logging_migration("one"));
    project.write_sql("post_sync", "20240101000002", "two", logging_migration("two"));

    const auto result = project.run({"migrate", "--dry-run", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto document = result.json();
    CHECK(document.at("dry_run") == true);
    CHECK(applied_versions(document) == std::vector<std::string>{"20240101000001", "20240101000002"});
    CHECK_FALSE(project.table_exists("data_migrations"));
    CHECK_FALSE(project.table_exists("data_migrations_events"));
    CHECK(run_order(project).empty());

    const auto text = project.run({"migrate", "--dry-run"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("20240101000001") != std::string::npos);
    CHECK_FALSE(project.table_exists("data_migrations"));
}

TEST_CASE("a second migrate is a no-op", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", logging_migration("one"));
    REQUIRE(project.run({"migrate"}).exit_code == 0);

    const auto again = project.run({"migrate", "--format", "json"});
    CHECK(again.exit_code == 0);
    CHECK(again.json().at("applied") == nlohmann::json::array());
    CHECK(again.json().at("dry_run") == false);
    CHECK(run_order(project) == std::vector<std::string>{"one"});
    CHECK(project.value("SELECT count(*) FROM data_migrations_events") == "1");
}

TEST_CASE("a failing statement rolls its migration back and stops the run", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "good", logging_migration("good"));
    const auto broken = project.write_sql("pre_sync", "20240101000002", "broken",
                                          "-- migrate:up\n"
                                          "UPDATE items SET v = 'changed' WHERE id = 1;\n"
                                          "INSERT INTO run_log (id, v) VALUES (100, 'broken');\n"
                                          "INSERT INTO no_such_table (id) VALUES (1);\n");
    project.write_sql("pre_sync", "20240101000003", "after", logging_migration("after"));

    const auto result = project.run({"migrate"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find(broken.filename().string()) != std::string::npos);
    CHECK(result.err.find(broken.filename().string() + ":4") != std::string::npos);
    CHECK(project.value("SELECT v FROM items WHERE id = 1") == "a");
    CHECK(run_order(project) == std::vector<std::string>{"good"});
    CHECK(recorded_versions(project) == std::vector<std::string>{"20240101000001"});
    CHECK(project.rows("SELECT event, version FROM data_migrations_events ORDER BY id") ==
          std::vector<std::string>{"apply|20240101000001", "fail|20240101000002"});
    CHECK(project.value(
              "SELECT count(*) FROM data_migrations_events WHERE event = 'fail' AND error LIKE '%no_such_table%'") ==
          "1");
}

TEST_CASE("verify decides whether an up stays", "[migrate]") {
    Project project;
    create_items(project);

    SECTION("a false verify fails the migration and rolls the up back") {
        project.write_sql("pre_sync", "20240101000001", "checked",
                          "-- migrate:up\nUPDATE items SET v = 'y';\n\n"
                          "-- migrate:verify\nSELECT count(*) = 0 FROM items;\n");
        const auto result = project.run({"migrate"});
        CHECK(result.exit_code == 1);
        CHECK(result.err.find("verify") != std::string::npos);
        CHECK(project.value("SELECT count(*) FROM items WHERE v = 'y'") == "0");
        CHECK(project.value("SELECT count(*) FROM data_migrations") == "0");
        CHECK(project.value("SELECT count(*) FROM data_migrations_events WHERE event = 'fail'") == "1");
    }
    SECTION("a verify that returns no row fails") {
        project.write_sql("pre_sync", "20240101000001", "checked",
                          "-- migrate:up\nUPDATE items SET v = 'y';\n\n"
                          "-- migrate:verify\nSELECT id FROM items WHERE id = 999;\n");
        CHECK(project.run({"migrate"}).exit_code == 1);
        CHECK(project.value("SELECT count(*) FROM items WHERE v = 'y'") == "0");
    }
    SECTION("a verify that returns NULL fails") {
        project.write_sql("pre_sync", "20240101000001", "checked",
                          "-- migrate:up\nUPDATE items SET v = 'y';\n\n"
                          "-- migrate:verify\nSELECT max(id) FROM items WHERE id > 999;\n");
        CHECK(project.run({"migrate"}).exit_code == 1);
        CHECK(project.value("SELECT count(*) FROM items WHERE v = 'y'") == "0");
    }
    SECTION("a true verify lets it pass") {
        project.write_sql("pre_sync", "20240101000001", "checked",
                          "-- migrate:up\nUPDATE items SET v = 'y';\n\n"
                          "-- migrate:verify\nSELECT count(*) = 3 FROM items WHERE v = 'y';\n");
        CHECK(project.run({"migrate"}).exit_code == 0);
        CHECK(project.value("SELECT status FROM data_migrations") == "applied");
    }
}

TEST_CASE("statements are split on semicolons outside strings and comments", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "tricky",
                      "-- migrate:up\n"
                      "-- a comment; with a semicolon\n"
                      "INSERT INTO items (id, v) VALUES (20, 'semi;colon');\n"
                      "/* block; comment */ INSERT INTO items (id, v) VALUES (21, 'it''s -- not a comment');\n"
                      "INSERT INTO items (id, v) VALUES (22, 'ünïcødé')\n");
    const auto result = project.run({"migrate"});
    CAPTURE(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(project.rows("SELECT v FROM items WHERE id >= 20 ORDER BY id") ==
          std::vector<std::string>{"semi;colon", "it's -- not a comment", "ünïcødé"});
    CHECK(project.value("SELECT rows_affected FROM data_migrations") == "3");
}

TEST_CASE("a trigger's body keeps its own semicolons", "[migrate]") {
    Project project;
    create_items(project);
    // Two statements in each body: SQLite's BEGIN ... END, PostgreSQL's $$ ... $$.
    const std::string trigger =
        suite_database_kind() == "sqlite"
            ? "CREATE TRIGGER items_logged AFTER UPDATE ON items\n"
              "BEGIN\n"
              "  INSERT INTO run_log (v) VALUES ('updated ' || NEW.id);\n"
              "  INSERT INTO run_log (v) VALUES ('now ' || NEW.v);\n"
              "END;\n"
            : "CREATE FUNCTION items_logged() RETURNS trigger LANGUAGE plpgsql AS $$\n"
              "BEGIN\n"
              "  INSERT INTO run_log (id, v) VALUES (NEW.id * 10, 'updated ' || NEW.id);\n"
              "  INSERT INTO run_log (id, v) VALUES (NEW.id * 10 + 1, 'now ' || NEW.v);\n"
              "  RETURN NEW;\n"
              "END $$;\n"
              "CREATE TRIGGER items_logged AFTER UPDATE ON items FOR EACH ROW EXECUTE FUNCTION items_logged();\n";
    project.write_sql("pre_sync", "20240101000001", "trigger",
                      "-- migrate:up\n" + trigger + "UPDATE items SET v = 'z' WHERE id = 2;\n");
    const auto result = project.run({"migrate"});
    CAPTURE(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(project.rows("SELECT v FROM run_log ORDER BY id") == std::vector<std::string>{"updated 2", "now z"});
    CHECK(project.value("SELECT rows_affected FROM data_migrations") == "1");
}

TEST_CASE("a dry run after some migrations lists only what is pending", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", logging_migration("one"));
    project.write_sql("post_sync", "20240101000002", "two", logging_migration("two"));
    REQUIRE(project.run({"migrate", "--phase", "pre_sync"}).exit_code == 0);
    const auto result = project.run({"migrate", "--dry-run", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(applied_versions(result.json()) == std::vector<std::string>{"20240101000002"});
    CHECK(run_order(project) == std::vector<std::string>{"one"});
    CHECK(project.value("SELECT count(*) FROM data_migrations") == "1");
}

TEST_CASE("--only and --target must name a migration file", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "one", logging_migration("one"));
    for (const char* flag : {"--only", "--target"}) {
        CAPTURE(flag);
        const auto result = project.run({"migrate", flag, "20990101000000"});
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("20990101000000") != std::string::npos);
    }
    CHECK(run_order(project).empty());
}

TEST_CASE("a transaction:false migration is applied and recorded", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "no_txn",
                      "-- migrate:up transaction:false\nUPDATE items SET v = 'nt';\n");
    const auto result = project.run({"migrate", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(result.json().at("applied").at(0).at("rows_affected") == 3);
    CHECK(project.value("SELECT count(*) FROM items WHERE v = 'nt'") == "3");
    CHECK(project.rows("SELECT status, rows_affected FROM data_migrations") == std::vector<std::string>{"applied|3"});
}

TEST_CASE("a file reusing a version recorded under another phase or name is a collision", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "moved", logging_migration("moved"));
    REQUIRE(project.run({"migrate"}).exit_code == 0);
    std::filesystem::remove(project.root() / "db/data_migrations/pre_sync/20240101000001_moved.sql");
    project.write_sql("post_sync", "20240101000002", "innocent", logging_migration("innocent"));

    SECTION("another branch ships the same version in post_sync") {
        project.write_sql("post_sync", "20240101000001", "moved", logging_migration("moved again"));
    }
    SECTION("another branch ships the same version under another name") {
        project.write_sql("pre_sync", "20240101000001", "renamed", logging_migration("renamed"));
    }

    const auto result = project.run({"migrate"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("20240101000001") != std::string::npos);
    CHECK(run_order(project) == std::vector<std::string>{"moved"});
    CHECK(recorded_versions(project) == std::vector<std::string>{"20240101000001"});
}

TEST_CASE("the same version in two phase folders stops migrate before anything runs", "[migrate]") {
    Project project;
    create_items(project);
    project.write_sql("pre_sync", "20240101000001", "first", logging_migration("first"));
    project.write_sql("pre_sync", "20240101000002", "twice", logging_migration("twice pre"));
    project.write_sql("post_sync", "20240101000002", "twice", logging_migration("twice post"));

    const auto result = project.run({"migrate"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("20240101000002") != std::string::npos);
    CHECK(run_order(project).empty());
    if (project.table_exists("data_migrations")) CHECK(project.value("SELECT count(*) FROM data_migrations") == "0");
}

TEST_CASE("a legacy data_migrations(version) table is adopted", "[migrate]") {
    Project project;
    create_items(project);
    project.execute(
        "CREATE TABLE data_migrations (version varchar(255) NOT NULL PRIMARY KEY);"
        "INSERT INTO data_migrations (version) VALUES ('20230101000001'), ('20230101000002');");
    project.write_sql("pre_sync", "20230101000001", "old_one", logging_migration("old_one"));
    project.write_sql("post_sync", "20230101000002", "old_two", logging_migration("old_two"));
    project.write_sql("pre_sync", "20240101000001", "new_one", logging_migration("new_one"));

    const auto result = project.run({"migrate", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    CHECK(applied_versions(result.json()) == std::vector<std::string>{"20240101000001"});
    CHECK(run_order(project) == std::vector<std::string>{"new_one"});
    CHECK(project.rows("SELECT version, phase, status FROM data_migrations ORDER BY version") ==
          std::vector<std::string>{"20230101000001|<null>|applied", "20230101000002|<null>|applied",
                                   "20240101000001|pre_sync|applied"});

    const auto status = project.run({"status", "--format", "json"});
    REQUIRE(status.exit_code == 0);
    CHECK(status.json().at("pending") == 0);
    CHECK(status.json().at("applied") == 3);

    // Adopted rows have no migration datamig knows how to undo: rollback passes them by.
    const auto rollback = project.run({"rollback", "--steps", "5", "--format", "json"});
    REQUIRE(rollback.exit_code == 0);
    CHECK(applied_versions(nlohmann::json{{"applied", rollback.json().at("rolled_back")}}) ==
          std::vector<std::string>{"20240101000001"});
    CHECK(project.value("SELECT count(*) FROM data_migrations") == "2");
    CHECK(project.run({"rollback", "--only", "20230101000001"}).exit_code != 0);
    CHECK(project.value("SELECT count(*) FROM data_migrations") == "2");
}

}  // namespace datamig::test
