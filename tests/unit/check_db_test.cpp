// check --db's batch:range key findings: which finding follows from which catalog facts, and
// which files are asked about (the memory database answers the catalog).
#include "datamig/check_db.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>

#include "datamig/catalog.hpp"
#include "support/builders.hpp"
#include "support/memory_database.hpp"
#include "support/temp_dir.hpp"

namespace {

using datamig::Findings;
using datamig::KeyFacts;
using datamig::RangeKey;
using datamig::Severity;

const KeyFacts indexed_integer{true, true, true, true};

RangeKey key(bool uses_batch_end = false) {
    return {"db/data_migrations/pre_sync/20260101000000_backfill.sql", 3, "items", "uid", uses_batch_end};
}

datamig::LoadedMigration range_migration(const std::string& version, const std::string& table,
                                         const std::string& column, const std::string& sql) {
    auto loaded = datamig::test::loaded_sql("pre_sync", version, "backfill", datamig::BatchMode::range);
    datamig::SqlScript script;
    script.up.marker_line = 2;
    script.up.sql = sql;
    script.up.options.batch = datamig::BatchMode::range;
    script.up.options.key_table = table;
    script.up.options.key_column = column;
    loaded.script = std::make_shared<const datamig::SqlScript>(std::move(script));
    return loaded;
}

}  // namespace

TEST_CASE("check db: an indexed integer key is clean, with or without :batch_end", "[check_db]") {
    CHECK(datamig::judge_key(key(), indexed_integer).empty());
    CHECK(datamig::judge_key(key(true), indexed_integer).empty());
    CHECK(datamig::judge_key(key(), KeyFacts{true, true, false, true}).empty());  // :batch_last needs no integer
}

TEST_CASE("check db: a missing table or column is one error and nothing else", "[check_db]") {
    const Findings no_table = datamig::judge_key(key(true), KeyFacts{});
    REQUIRE(no_table.size() == 1);
    CHECK(no_table[0].code == "batch-key-missing");
    CHECK(no_table[0].severity == Severity::error);
    CHECK(no_table[0].file == key().file);
    CHECK(no_table[0].line == 3);
    CHECK(no_table[0].message == "key items.uid: table items does not exist, so the batches have no key to walk");

    const Findings no_column = datamig::judge_key(key(true), KeyFacts{true, false, false, false});
    REQUIRE(no_column.size() == 1);
    CHECK(no_column[0].code == "batch-key-missing");
    CHECK(no_column[0].message == "key items.uid: table items has no column uid, so the batches have no key to walk");
}

TEST_CASE("check db: an unindexed key is a warning that names the index to create", "[check_db]") {
    const Findings findings = datamig::judge_key(key(), KeyFacts{true, true, true, false});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].code == "batch-key-unindexed");
    CHECK(findings[0].severity == Severity::warning);
    CHECK(findings[0].message ==
          "key items.uid: no index leads with uid, so every batch scans the table; CREATE INDEX ON items (uid)");
}

TEST_CASE("check db: :batch_end with a non-integer key is an error; an unindexed one warns as well", "[check_db]") {
    const Findings findings = datamig::judge_key(key(true), KeyFacts{true, true, false, false});
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].code == "batch-end-non-integer");
    CHECK(findings[0].severity == Severity::error);
    CHECK(findings[0].message.find(":batch_last") != std::string::npos);
    CHECK(findings[1].code == "batch-key-unindexed");
}

TEST_CASE("check db: only batch:range files are asked about, each key once", "[check_db]") {
    datamig::test::MemoryDatabase db;
    db.keys["items.id"] = indexed_integer;
    db.keys["items.uid"] = KeyFacts{true, true, false, false};
    const std::vector<datamig::LoadedMigration> files{
        datamig::test::loaded_sql("pre_sync", "20260101000001", "plain"),
        datamig::test::loaded_sql("pre_sync", "20260101000002", "loop", datamig::BatchMode::loop),
        datamig::test::loaded_exec("pre_sync", "20260101000003", "script"),
        range_migration("20260101000004", "items", "id", "UPDATE items SET v = 1 WHERE id >= :batch_start;\n"),
        range_migration("20260101000005", "items", "uid", "UPDATE items SET v = 1 WHERE uid < :batch_end;\n"),
        range_migration("20260101000006", "items", "uid", "UPDATE items SET v = 2 WHERE uid <= :batch_last;\n"),
        range_migration("20260101000007", "gone", "id", "UPDATE gone SET v = 1;\n"),
    };
    const Findings findings = datamig::check_batch_keys(files, db);
    CHECK(db.executed() == std::vector<std::string>{"KEY FACTS items.id", "KEY FACTS items.uid", "KEY FACTS gone.id"});
    std::vector<std::string> found;
    for (const auto& finding : findings)
        found.push_back(finding.file.substr(finding.file.rfind('/') + 1) + " " + finding.code);
    CHECK(found == std::vector<std::string>{"20260101000005_backfill.sql batch-end-non-integer",
                                            "20260101000005_backfill.sql batch-key-unindexed",
                                            "20260101000006_backfill.sql batch-key-unindexed",
                                            "20260101000007_backfill.sql batch-key-missing"});
    CHECK(findings.back().line == 2);
}

TEST_CASE("check db: a file loaded without its script is read again for its key", "[check_db]") {
    datamig::test::TempDir dir;
    const auto path = datamig::test::write_file(
        dir.path() / "pre_sync" / "20260101000000_backfill.sql",
        "-- a backfill\n-- migrate:up batch:range key:items.uid\nUPDATE items SET v = 1 WHERE uid < :batch_end;\n");
    const datamig::MigrationFile file{"20260101000000", "backfill", "pre_sync", path.string(), datamig::Kind::sql};
    const auto loaded = datamig::load_migration(file, datamig::Load::findings);
    REQUIRE(loaded.findings.empty());
    REQUIRE(loaded.batch == datamig::BatchMode::range);

    const auto keys = datamig::range_keys({loaded});
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].file == path.string());
    CHECK(keys[0].line == 2);
    CHECK(keys[0].table == "items");
    CHECK(keys[0].column == "uid");
    CHECK(keys[0].uses_batch_end);
}

TEST_CASE("check db: the catalog rules judge only what will still run, not applied migrations", "[check_db]") {
    datamig::test::MemoryDatabase db;
    db.keys["items.id"] = KeyFacts{true, true, true, false};  // unindexed: a warning for each file asked
    const auto applied = range_migration("20260101000001", "items", "id", "UPDATE items SET v = 1 WHERE id >= 1;\n");
    const auto running = range_migration("20260101000002", "items", "id", "UPDATE items SET v = 2 WHERE id >= 1;\n");
    const auto pending = range_migration("20260101000003", "items", "id", "UPDATE items SET v = 3 WHERE id >= 1;\n");
    const std::vector<datamig::HistoryRow> history{datamig::test::row_of(applied),
                                                   datamig::test::row_of(running, datamig::RowStatus::running)};
    const Findings findings = datamig::check_catalog({applied, running, pending}, history, db, 100000);
    std::vector<std::string> files;
    for (const auto& finding : findings) files.push_back(finding.file.substr(finding.file.rfind('/') + 1));
    CHECK(files == std::vector<std::string>{"20260101000002_backfill.sql", "20260101000003_backfill.sql"});
}
