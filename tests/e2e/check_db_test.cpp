// `datamig check --db` (SPEC §4): batch:range keys (batch-key-missing, batch-key-unindexed,
// batch-end-non-integer) and non-batched writes of large tables (large-unbatched), asked of the
// real catalog of each database.
#include <filesystem>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

// items.id: integer primary key (SQLite's rowid alias); n: integer with an index; uid: text,
// no index.
const char* const items_table =
    "CREATE TABLE items (id integer primary key, uid text, n integer, v text);"
    "CREATE INDEX items_n ON items (n);";

std::string range_up(const std::string& key, const std::string& where) {
    return "-- backfill v\n-- migrate:up batch:range key:" + key + "\nUPDATE items SET v = 'x' WHERE " + where + ";\n";
}

std::multiset<std::string> codes(const nlohmann::json& findings) {
    std::multiset<std::string> found;
    for (const auto& finding : findings) found.insert(finding.at("code").get<std::string>());
    return found;
}

// The one finding of a `check --format json` run that exits 0: a warning.
nlohmann::json only_warning(const RunResult& result) {
    CAPTURE(result.out, result.err);
    CHECK(result.exit_code == 0);
    const auto document = result.json();
    CHECK(document.at("errors").empty());
    REQUIRE(document.at("warnings").size() == 1);
    return document.at("warnings").at(0);
}

// events: 2000 rows, as each database estimates them (PostgreSQL after ANALYZE, SQLite by its
// largest rowid); settings: 3 rows.
void make_tables(const Project& project) {
    const bool postgres = suite_database_kind() == "postgres";
    project.execute(
        "CREATE TABLE events (id integer primary key, v text); CREATE TABLE settings (id integer primary key, v text);"
        "INSERT INTO settings (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c');");
    project.execute(postgres ? "INSERT INTO events SELECT g, 'x' FROM generate_series(1, 2000) g;"
                             : "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000) "
                               "INSERT INTO events SELECT n, 'x' FROM g;");
    // Apart: an ANALYZE in the transaction that wrote the rows has the statistics count them twice.
    if (postgres) project.execute("ANALYZE events;");
}

std::string up(const std::string& marker_options, const std::string& sql) {
    return "-- a data migration\n-- migrate:up" + marker_options + "\n" + sql + "\n";
}

}  // namespace

TEST_CASE("check --db: a non-batched write of a large table is large-unbatched", "[check_db]") {
    Project project;
    make_tables(project);
    const auto large = project.write_sql("pre_sync", "20240101000001", "retag_events",
                                         up("",
                                            "UPDATE settings SET v = 'z' WHERE id = 1;\n"
                                            "WITH old AS (SELECT id FROM events WHERE id < 10)\n"
                                            "UPDATE events SET v = 'y' WHERE id IN (SELECT id FROM old);"));
    project.write_sql("pre_sync", "20240101000002", "small", up("", "DELETE FROM settings WHERE id = 3;"));
    project.write_sql(
        "pre_sync", "20240101000003", "batched",
        up(" batch:range key:events.id", "UPDATE events SET v = 'y' WHERE id BETWEEN :batch_start AND :batch_last;"));
    project.write_sql("pre_sync", "20240101000004", "later_table", up("", "DELETE FROM archive WHERE id < 5;"));
    const std::string file = std::filesystem::relative(large, project.root()).string();
    const std::string message =
        "UPDATE events is not batched and events holds about 2000 rows (more than --large-table 1000): its one "
        "transaction locks every row it changes until it commits, and writers of those rows wait that long; batch "
        "it (batch:range)";

    const auto warning = only_warning(project.run({"check", "--db", "--large-table", "1000", "--format", "json"}));
    CHECK(warning.at("code") == "large-unbatched");
    CHECK(warning.at("file") == file);
    CHECK(warning.at("line") == 5);  // the UPDATE, after its WITH
    CHECK(warning.at("message") == message);

    const auto text = project.run({"check", "--db", "--large-table", "1000"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("20240101000001_retag_events.sql: warning: line 5: " + message + " [large-unbatched]") !=
          std::string::npos);
    const auto github = project.run({"check", "--db", "--large-table", "1000", "--format", "github"});
    CHECK(github.out.find("::warning file=" + file + ",line=5::" + message) != std::string::npos);
    CHECK(project.run({"check", "--db", "--large-table", "1000", "--strict"}).exit_code == 1);

    // The threshold: the default (100000) and one above the table, from the flag or datamig.toml.
    const auto quiet = [&](const std::vector<std::string>& args) {
        const auto run = project.run(args);
        CAPTURE(run.out, run.err);
        CHECK(run.exit_code == 0);
        CHECK(run.json().at("warnings").empty());
    };
    quiet({"check", "--db", "--format", "json"});
    quiet({"check", "--db", "--large-table", "2000", "--format", "json"});
    project.write("datamig.toml", "large_table = 1000\n");
    CHECK(project.run({"check", "--db", "--format", "json"}).json().at("warnings").size() == 1);
    quiet({"check", "--db", "--large-table", "5000", "--format", "json"});  // the flag wins
    // Without --db nothing is estimated.
    quiet({"check", "--format", "json"});
}

TEST_CASE("check --db: --large-table takes a positive row count", "[check_db]") {
    Project project;
    for (const std::string bad : {"0", "lots", "1e6", "12rows"}) {
        const auto result = project.run({"check", "--db", "--large-table", bad});
        CAPTURE(bad, result.err);
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("--large-table") != std::string::npos);
        CHECK(result.err.find("must be a positive integer") != std::string::npos);
    }
    project.write("datamig.toml", "large_table = \"many\"\n");
    const auto result = project.run({"check", "--db"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("datamig.toml:1") != std::string::npos);
}

TEST_CASE("check --db: an indexed integer key, with :batch_end, has no finding", "[check_db]") {
    Project project;
    project.execute(items_table);
    project.write_sql("pre_sync", "20240101000001", "by_id",
                      range_up("items.id", "id >= :batch_start AND id < :batch_end"));
    project.write_sql("pre_sync", "20240101000002", "by_n",
                      range_up("items.n", "n BETWEEN :batch_start AND :batch_last"));
    const auto result = project.run({"check", "--db", "--format", "json"});
    CAPTURE(result.out, result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.json() == nlohmann::json{{"errors", nlohmann::json::array()}, {"warnings", nlohmann::json::array()}});
    CHECK(project.run({"check", "--db", "--strict"}).exit_code == 0);
}

TEST_CASE("check --db: a key whose table or column does not exist is an error", "[check_db]") {
    Project project;
    project.execute(items_table);
    const auto no_table = project.write_sql("pre_sync", "20240101000001", "no_table",
                                            range_up("orders.id", "id >= :batch_start AND id <= :batch_last"));
    project.write_sql("pre_sync", "20240101000002", "no_column",
                      range_up("items.item_id", "item_id >= :batch_start AND item_id <= :batch_last"));
    const auto result = project.run({"check", "--db", "--format", "json"});
    CAPTURE(result.out, result.err);
    CHECK(result.exit_code == 1);
    const auto document = result.json();
    CHECK(codes(document.at("errors")) == std::multiset<std::string>{"batch-key-missing", "batch-key-missing"});
    CHECK(document.at("warnings").empty());
    bool named_table = false;
    for (const auto& error : document.at("errors")) {
        CHECK(error.at("line") == 2);  // the -- migrate:up marker
        if (error.at("file") == std::filesystem::relative(no_table, project.root()).string()) {
            named_table = true;
            CHECK(error.at("message") ==
                  "key orders.id: table orders does not exist, so the batches have no key to walk");
        } else {
            CHECK(error.at("message") ==
                  "key items.item_id: table items has no column item_id, so the batches have no key to walk");
        }
    }
    CHECK(named_table);
    // Without --db nothing is asked of the database.
    CHECK(project.run({"check"}).exit_code == 0);
}

TEST_CASE("check --db: an unindexed key is a warning (an error with --strict)", "[check_db]") {
    Project project;
    project.execute(items_table);
    const auto file = project.write_sql("pre_sync", "20240101000001", "by_uid",
                                        range_up("items.uid", "uid >= :batch_start AND uid <= :batch_last"));
    const auto warning = only_warning(project.run({"check", "--db", "--format", "json"}));
    CHECK(warning.at("code") == "batch-key-unindexed");
    CHECK(warning.at("file") == std::filesystem::relative(file, project.root()).string());
    CHECK(warning.at("line") == 2);
    CHECK(warning.at("message") ==
          "key items.uid: no index leads with uid, so every batch scans the table; CREATE INDEX ON items (uid)");

    const auto text = project.run({"check", "--db"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("20240101000001_by_uid.sql: warning: line 2: key items.uid: no index leads with uid, so "
                        "every batch scans the table; CREATE INDEX ON items (uid) [batch-key-unindexed]") !=
          std::string::npos);
    const auto github = project.run({"check", "--db", "--format", "github"});
    CHECK(github.out.find("::warning file=") != std::string::npos);
    CHECK(github.out.find("line=2::key items.uid: no index leads with uid") != std::string::npos);

    CHECK(project.run({"check", "--db", "--strict"}).exit_code == 1);

    // Once the index exists the warning is gone.
    project.execute("CREATE INDEX items_uid ON items (uid);");
    CHECK(project.run({"check", "--db", "--strict"}).exit_code == 0);
}

TEST_CASE("check --db: :batch_end with a non-integer key is an error", "[check_db]") {
    Project project;
    project.execute(items_table);
    project.execute("CREATE INDEX items_uid ON items (uid);");
    project.write_sql("pre_sync", "20240101000001", "by_uid",
                      range_up("items.uid", "uid >= :batch_start AND uid < :batch_end"));
    const auto result = project.run({"check", "--db", "--format", "json"});
    CAPTURE(result.out, result.err);
    CHECK(result.exit_code == 1);
    const auto document = result.json();
    REQUIRE(document.at("errors").size() == 1);
    CHECK(document.at("errors").at(0).at("code") == "batch-end-non-integer");
    CHECK(document.at("errors").at(0).at("line") == 2);
    CHECK(document.at("errors").at(0).at("message").get<std::string>().find(":batch_last") != std::string::npos);
    CHECK(document.at("warnings").empty());

    // The same key with :batch_last is fine.
    project.write_sql("pre_sync", "20240101000001", "by_uid",
                      range_up("items.uid", "uid >= :batch_start AND uid <= :batch_last"));
    CHECK(project.run({"check", "--db", "--strict"}).exit_code == 0);
}

}  // namespace datamig::test
