// `datamig check --db` on batch:range keys (SPEC §4): batch-key-missing, batch-key-unindexed and
// batch-end-non-integer, asked of the real catalog of each database.
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

}  // namespace

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
    const auto result = project.run({"check", "--db", "--format", "json"});
    CAPTURE(result.out, result.err);
    CHECK(result.exit_code == 0);
    const auto document = result.json();
    CHECK(document.at("errors").empty());
    REQUIRE(document.at("warnings").size() == 1);
    const auto& warning = document.at("warnings").at(0);
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
