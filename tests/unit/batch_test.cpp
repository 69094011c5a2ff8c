#include "datamig/batch.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"

using datamig::BatchKeys;
using datamig::BatchMode;
using datamig::BatchProgress;
using std::chrono::milliseconds;

namespace {

datamig::SectionOptions range_options() {
    datamig::SectionOptions options;
    options.batch = BatchMode::range;
    options.key_table = "app.users";
    options.key_column = "id";
    return options;
}

}  // namespace

TEST_CASE("batch_settings: the file's options, overridden by --batch-size and --pause", "[batch]") {
    datamig::SectionOptions options;
    options.batch = BatchMode::loop;
    datamig::Settings settings;

    auto batch = datamig::batch_settings(options, settings);
    CHECK(batch.mode == BatchMode::loop);
    CHECK(batch.size == 1000);  // SPEC §2 defaults
    CHECK(batch.pause == milliseconds(0));

    options.batch_size = 200;
    options.pause = milliseconds(250);
    batch = datamig::batch_settings(options, settings);
    CHECK(batch.size == 200);
    CHECK(batch.pause == milliseconds(250));

    settings.batch_size = 5000;
    settings.pause = milliseconds(2000);
    batch = datamig::batch_settings(options, settings);
    CHECK(batch.size == 5000);
    CHECK(batch.pause == milliseconds(2000));
}

TEST_CASE("batch_settings: adaptive size, its maximum and the retries", "[batch]") {
    datamig::SectionOptions options;
    options.batch = BatchMode::range;
    datamig::Settings settings;
    auto batch = datamig::batch_settings(options, settings);
    CHECK_FALSE(batch.batch_time);     // fixed size unless asked
    CHECK(batch.size_max == 100'000);  // SPEC §2: 100 x batch_size
    CHECK(batch.retries == 3);

    options.batch_time = milliseconds(100);
    options.batch_size = 50;
    options.batch_retries = 0;
    batch = datamig::batch_settings(options, settings);
    CHECK(batch.batch_time == milliseconds(100));
    CHECK(batch.size_max == 5000);
    CHECK(batch.retries == 0);

    options.batch_size_max = 700;
    settings.batch_time = milliseconds(250);
    batch = datamig::batch_settings(options, settings);
    CHECK(batch.batch_time == milliseconds(250));  // --batch-time overrides batch_time:
    CHECK(batch.size_max == 700);
}

TEST_CASE("batch_settings: batch_time derives a statement limit unless --statement-timeout is set", "[batch]") {
    CHECK(datamig::derived_statement_limit(milliseconds(100)) == milliseconds(200));
    CHECK(datamig::derived_statement_limit(milliseconds(2000)) == milliseconds(4000));
    CHECK(datamig::derived_statement_limit(milliseconds(20)) == milliseconds(100));  // the floor

    datamig::SectionOptions options;
    options.batch = BatchMode::range;
    datamig::Settings settings;
    CHECK_FALSE(datamig::batch_settings(options, settings).statement_limit);  // a fixed size: none

    options.batch_time = milliseconds(100);
    CHECK(datamig::batch_settings(options, settings).statement_limit == milliseconds(200));
    settings.batch_time = milliseconds(300);  // --batch-time decides, as for the size
    CHECK(datamig::batch_settings(options, settings).statement_limit == milliseconds(600));

    // The user's own limit is theirs to keep, "none" (0) included.
    settings.statement_timeout = milliseconds(5000);
    CHECK_FALSE(datamig::batch_settings(options, settings).statement_limit);
    settings.statement_timeout = milliseconds(0);
    CHECK_FALSE(datamig::batch_settings(options, settings).statement_limit);
}

TEST_CASE("batch_sql replaces the batch placeholders with integer literals", "[batch]") {
    CHECK(datamig::batch_sql("UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)", 500,
                             std::nullopt) == "UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT 500)");
    CHECK(datamig::batch_sql("UPDATE t SET x = 1\n WHERE id >= :batch_start AND id < :batch_end;", 10,
                             BatchKeys{"-5", "4", "5"}) == "UPDATE t SET x = 1\n WHERE id >= -5 AND id < 5;");
    CHECK(datamig::batch_sql("UPDATE t SET x = 1 WHERE k BETWEEN :batch_start AND :batch_last", 10,
                             BatchKeys{"'a'", "'it''s'", std::nullopt}) ==
          "UPDATE t SET x = 1 WHERE k BETWEEN 'a' AND 'it''s'");
    // Casts stay casts; without a range its placeholders are left for the database to reject.
    CHECK(datamig::batch_sql("SELECT :batch_size::bigint, :batch_start", 7, std::nullopt) ==
          "SELECT 7::bigint, :batch_start");
}

TEST_CASE("key_literal: integers bare, anything else quoted with ' doubled", "[batch]") {
    CHECK(datamig::key_literal("-42", true) == "-42");
    CHECK(datamig::key_literal("2026-01-01 00:00:00+00", false) == "'2026-01-01 00:00:00+00'");
    CHECK(datamig::key_literal("O'Brien'); DROP TABLE users; --", false) == "'O''Brien''); DROP TABLE users; --'");
    CHECK(datamig::key_literal("''", false) ==
          "''"
          "''"
          "''");
}

TEST_CASE("uses_batch_end: the placeholder outside strings and comments", "[batch]") {
    CHECK(datamig::uses_batch_end("UPDATE t SET x = 1 WHERE id < :batch_end"));
    CHECK_FALSE(datamig::uses_batch_end("UPDATE t SET x = ':batch_end' -- :batch_end\nWHERE id <= :batch_last"));
}

TEST_CASE("key queries read the range's bounds from the key column", "[batch]") {
    CHECK(datamig::last_key_query(range_options()) ==
          "SELECT id FROM app.users WHERE id IS NOT NULL ORDER BY id DESC LIMIT 1");
    CHECK(datamig::first_key_query(range_options(), std::nullopt) == "SELECT min(id) FROM app.users");
    CHECK(datamig::first_key_query(range_options(), "-42") == "SELECT min(id) FROM app.users WHERE id >= -42");
    CHECK(datamig::keyset_query(range_options(), std::nullopt, "'z'", 0) ==
          "SELECT id FROM app.users WHERE id <= 'z' ORDER BY id LIMIT 1");
    CHECK(datamig::keyset_query(range_options(), "'m'", "'z'", 999) ==
          "SELECT id FROM app.users WHERE id <= 'z' AND id > 'm' ORDER BY id LIMIT 1 OFFSET 999");
}

TEST_CASE("parse_key accepts whole numbers only", "[batch]") {
    CHECK(datamig::parse_key("9223372036854775807", "key") == 9223372036854775807);
    CHECK(datamig::parse_key("-3", "key") == -3);
    for (const char* bad : {"", "1.5", "12abc", "9223372036854775808", " 4"}) {
        CHECK_THROWS_AS(datamig::parse_key(bad, "key users.id"), datamig::MigrationFailed);
    }
    CHECK_THROWS_WITH(datamig::parse_key("1.5", "f.sql:3: key users.id"),
                      "f.sql:3: key users.id is '1.5', not a whole number");
}

TEST_CASE("any_batch_committed: a checkpoint or changed rows", "[batch]") {
    datamig::HistoryRow row;
    row.status = datamig::RowStatus::running;
    CHECK_FALSE(datamig::any_batch_committed(row));
    row.rows_affected = 0;
    CHECK_FALSE(datamig::any_batch_committed(row));  // a loop run that changed nothing
    row.rows_affected = 40;
    CHECK(datamig::any_batch_committed(row));  // batch:loop keeps no checkpoint
    row.rows_affected = 0;
    row.batch_cursor = "1001";
    CHECK(datamig::any_batch_committed(row));  // a range whose keys matched no row still moved on
}

TEST_CASE("describe: batches, rows, rate, and for ranges the share done and an ETA", "[batch]") {
    BatchProgress progress;
    progress.label = "pre_sync/20260101000000_backfill";
    progress.batches = 1;
    progress.rows = 1000;
    CHECK(describe(progress) == "pre_sync/20260101000000_backfill: 1 batch, 1000 rows");

    progress.batches = 12;
    progress.rows = 12000;
    progress.elapsed = milliseconds(3000);
    CHECK(describe(progress) == "pre_sync/20260101000000_backfill: 12 batches, 12000 rows, 4000 rows/s");

    progress.size = 1000;
    progress.retries = 1;
    progress.throttled = milliseconds(4000);
    CHECK(describe(progress) ==
          "pre_sync/20260101000000_backfill: 12 batches, 12000 rows, 4000 rows/s, size 1000, 1 retry, throttled 4s");
    progress.size = 0;
    progress.retries = 0;
    progress.throttled = milliseconds(0);

    progress.done = 0.6;
    CHECK(describe(progress) == "pre_sync/20260101000000_backfill: 12 batches, 12000 rows, 4000 rows/s, 60%, ETA 2s");

    progress.done = 1.0;
    progress.end = datamig::BatchEnd::completed;
    CHECK(describe(progress) ==
          "pre_sync/20260101000000_backfill: 12 batches, 12000 rows, 4000 rows/s, 100%, done in 3s");

    progress.done = 0.5;
    progress.end = datamig::BatchEnd::stopped;
    CHECK(describe(progress) ==
          "pre_sync/20260101000000_backfill: 12 batches, 12000 rows, 4000 rows/s, 50%, stopped after 3s");
}
