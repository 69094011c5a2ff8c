#include "datamig/runner.hpp"

#include <functional>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <set>

#include <spdlog/spdlog.h>

#include "datamig/stop.hpp"
#include "support/builders.hpp"
#include "support/memory_database.hpp"
#include "support/temp_dir.hpp"

using datamig::EventKind;
using datamig::HistoryRow;
using datamig::LoadedMigration;
using datamig::RowStatus;
using datamig::test::MemoryDatabase;
using datamig::test::TempDir;
using Strings = std::vector<std::string>;

namespace {

// Records each write with whether a transaction was open at the time, so tests can tell
// "recorded together" from "recorded one after the other".
class WatchedDatabase : public MemoryDatabase {
public:
    Strings writes;

    void save_row(const HistoryRow& row) override {
        writes.push_back(std::string("save ") + std::string(datamig::to_string(row.status)) + where());
        MemoryDatabase::save_row(row);
    }
    void append_event(const datamig::Event& event) override {
        writes.push_back(std::string("event ") + std::string(datamig::to_string(event.kind)) + where());
        MemoryDatabase::append_event(event);
    }
    // When set, called before record() writes; it may throw, as a rejected write would.
    std::function<void(const HistoryRow& row)> reject_record;

    void record(const HistoryRow& row, const datamig::Event& event) override {
        if (reject_record) reject_record(row);
        writes.push_back(std::string("save ") + std::string(datamig::to_string(row.status)) + " + event " +
                         std::string(datamig::to_string(event.kind)) + where());
        MemoryDatabase::record(row, event);
    }
    void record_removal(const datamig::Event& event) override {
        writes.push_back("delete + event " + std::string(datamig::to_string(event.kind)) + where());
        MemoryDatabase::record_removal(event);
    }

private:
    std::string where() const { return in_transaction() ? " in transaction" : " alone"; }
};

// The runner logs each step; test output should show only test results.
class QuietLog {
public:
    QuietLog() : level_(spdlog::default_logger()->level()) { spdlog::default_logger()->set_level(spdlog::level::off); }
    ~QuietLog() { spdlog::default_logger()->set_level(level_); }
    QuietLog(const QuietLog&) = delete;
    QuietLog& operator=(const QuietLog&) = delete;

private:
    spdlog::level::level_enum level_;
};

class Fixture {
public:
    Fixture() {
        settings.database_url = "sqlite:" + (dir.path() / "app.sqlite3").string();
        settings.operator_name = "ops-bot";
        settings.context = {{"ticket", "OPS-1"}};
    }

    LoadedMigration sql(const std::string& text, const std::string& name = "backfill") const {
        const auto path =
            datamig::test::write_file(dir.path() / "pre_sync" / ("20260101000000_" + name + ".sql"), text);
        LoadedMigration loaded =
            datamig::load_migration({"20260101000000", name, "pre_sync", path.string(), datamig::Kind::sql});
        REQUIRE(loaded.script);
        return loaded;
    }

    LoadedMigration exec(const std::string& script_body) const {
        const auto path = datamig::test::write_file(dir.path() / "post_sync" / "20260102000000_enqueue.sh",
                                                    "#!/bin/sh\n" + script_body + "\n", true);
        return datamig::load_migration({"20260102000000", "enqueue", "post_sync", path.string(), datamig::Kind::exec});
    }

    std::string path_of(const LoadedMigration& migration) const { return migration.file.path; }

    QuietLog quiet;
    TempDir dir;
    WatchedDatabase db;
    datamig::Settings settings;
};

// Applies `migration`, expecting MigrationFailed, and returns its message.
std::string failure_of(datamig::Runner& runner, const LoadedMigration& migration) {
    try {
        runner.apply(migration);
    } catch (const datamig::MigrationFailed& failure) {
        return failure.what();
    }
    FAIL("expected MigrationFailed");
    return "";
}

}  // namespace

TEST_CASE("apply: a transactional migration commits its work, row and apply event together", "[runner]") {
    Fixture f;
    const auto migration = f.sql("-- migrate:up\nUPDATE a ROWS 2;\nUPDATE b ROWS 3;\n");
    datamig::Runner runner(f.db, f.settings);

    const datamig::Outcome outcome = runner.apply(migration);
    CHECK(outcome.version == "20260101000000");
    CHECK(outcome.phase == "pre_sync");
    CHECK(outcome.name == "backfill");
    CHECK(outcome.rows_affected == 5);

    CHECK(f.db.writes == Strings{"save applied + event apply in transaction"});
    CHECK_FALSE(f.db.in_transaction());
    CHECK(f.db.executed() == Strings{"UPDATE a ROWS 2", "UPDATE b ROWS 3"});

    REQUIRE(f.db.rows().count("20260101000000") == 1);
    const HistoryRow& row = f.db.rows().at("20260101000000");
    CHECK(row.status == RowStatus::applied);
    CHECK(row.phase == "pre_sync");
    CHECK(row.name == "backfill");
    CHECK(row.checksum == migration.checksum);
    CHECK(row.operator_name == "ops-bot");
    CHECK(row.context == R"({"ticket":"OPS-1"})");
    CHECK(row.rows_affected == 5);
    CHECK(row.duration_ms == outcome.duration_ms);
    CHECK_FALSE(row.started_at.empty());
    CHECK(row.finished_at > row.started_at);

    REQUIRE(f.db.events().size() == 1);
    const datamig::Event& event = f.db.events()[0];
    CHECK(event.kind == EventKind::apply);
    CHECK(event.version == "20260101000000");
    CHECK(event.phase == "pre_sync");
    CHECK(event.rows_affected == 5);
    CHECK(event.operator_name == "ops-bot");
    CHECK(event.context == R"({"ticket":"OPS-1"})");
    CHECK(event.at == row.finished_at);
    CHECK_FALSE(event.error.has_value());
}

TEST_CASE("apply: a failing statement rolls everything back and records a fail event with file:line", "[runner]") {
    Fixture f;
    // The up section starts on line 4; the failing statement begins on file line 6.
    const auto migration = f.sql("-- header comment\n\n-- migrate:up\nUPDATE a ROWS 1;\n\nUPDATE b\n  SET FAIL = 1;\n");
    datamig::Runner runner(f.db, f.settings);

    const std::string message = failure_of(runner, migration);
    CHECK_THAT(message, Catch::Contains(f.path_of(migration) + ":6: boom"));
    CHECK(f.db.rows().empty());
    CHECK(f.db.executed().empty());  // the first UPDATE was rolled back with the rest
    REQUIRE(f.db.events().size() == 1);
    const datamig::Event& event = f.db.events()[0];
    CHECK(event.kind == EventKind::fail);
    CHECK(event.version == "20260101000000");
    CHECK(event.phase == "pre_sync");
    CHECK(event.error == message);
    CHECK(event.duration_ms.has_value());
    CHECK_FALSE(event.rows_affected.has_value());
    CHECK(f.db.writes.back() == "event fail alone");  // outside the rolled-back transaction
}

TEST_CASE("apply: a rejected bookkeeping write names the migration", "[runner]") {
    Fixture f;
    f.db.reject_record = [](const HistoryRow&) {
        throw datamig::SqlError("relation \"data_migrations_events\" does not exist", 0);
    };
    const auto migration = f.sql("-- migrate:up\nUPDATE a ROWS 1;\n");
    datamig::Runner runner(f.db, f.settings);

    const std::string message = failure_of(runner, migration);
    CHECK(message == f.path_of(migration) + ": relation \"data_migrations_events\" does not exist");
    CHECK(f.db.rows().empty());
    REQUIRE_FALSE(f.db.events().empty());
    CHECK(f.db.events().back().error == message);
}

TEST_CASE("apply: verify decides whether the work is kept", "[runner]") {
    Fixture f;
    const auto migration =
        f.sql("-- migrate:up\nUPDATE a SET x = 1;\n\n-- migrate:verify\n\nSELECT count(*) = 0 FROM a;\n");
    datamig::Runner runner(f.db, f.settings);

    SECTION("a true/non-zero value keeps it") {
        const auto value = GENERATE(as<std::string>{}, "t", "true", "1", "42");
        f.db.query_result = value;
        runner.apply(migration);
        CHECK(f.db.rows().count("20260101000000") == 1);
        CHECK(f.db.executed() == Strings{"UPDATE a SET x = 1", "SELECT count(*) = 0 FROM a"});
    }
    SECTION("false, 0, NULL or no row rolls it back and fails") {
        f.db.query_result = GENERATE(as<std::optional<std::string>>{}, "f", "false", "0", "", std::nullopt);
        const std::string message = failure_of(runner, migration);
        CHECK_THAT(message, Catch::Contains(f.path_of(migration) + ":6: verify failed"));
        CHECK(f.db.rows().empty());
        CHECK(f.db.executed().empty());
        REQUIRE(f.db.events().size() == 1);
        CHECK(f.db.events()[0].kind == EventKind::fail);
    }
    SECTION("a verify query the database rejects fails the migration") {
        const auto rejected =
            f.sql("-- migrate:up\nUPDATE a SET x = 1;\n-- migrate:verify\nSELECT FAIL;\n", "rejected");
        CHECK_THAT(failure_of(runner, rejected), Catch::Contains(f.path_of(rejected) + ":4: verify: boom"));
        CHECK(f.db.rows().empty());
    }
}

TEST_CASE("apply: a verify section of only comments checks nothing", "[runner]") {
    Fixture f;
    const auto migration = f.sql("-- migrate:up\nUPDATE a SET x = 1;\n-- migrate:verify\n-- SELECT false;\n");
    f.db.query_result = "f";
    datamig::Runner runner(f.db, f.settings);
    runner.apply(migration);
    CHECK(f.db.rows().count("20260101000000") == 1);
    CHECK(f.db.executed() == Strings{"UPDATE a SET x = 1"});
}

TEST_CASE("apply: transaction:false records `running` first, then `applied`", "[runner]") {
    Fixture f;
    datamig::Runner runner(f.db, f.settings);
    SECTION("success") {
        const auto migration = f.sql("-- migrate:up transaction:false\nVACUUM ROWS 7;\n");
        const auto outcome = runner.apply(migration);
        CHECK(outcome.rows_affected == 7);
        CHECK(f.db.writes == Strings{"save running alone", "save applied + event apply alone"});
        CHECK(f.db.rows().at("20260101000000").status == RowStatus::applied);
        CHECK(f.db.rows().at("20260101000000").rows_affected == 7);
    }
    SECTION("a failure deletes the row so the next migrate retries it") {
        const auto migration = f.sql("-- migrate:up transaction:false\nVACUUM;\nSELECT FAIL;\n");
        CHECK_THAT(failure_of(runner, migration), Catch::Contains(f.path_of(migration) + ":3: boom"));
        CHECK(f.db.writes == Strings{"save running alone", "delete + event fail alone"});
        CHECK(f.db.rows().empty());
        CHECK(f.db.executed() == Strings{"VACUUM"});  // no transaction: what ran stays done
    }
}

TEST_CASE("apply: a stop during a transaction:false section never deletes its row", "[runner]") {
    Fixture f;
    const datamig::SimulatedStop stop;
    datamig::Runner runner(f.db, f.settings);
    const auto migration = f.sql("-- migrate:up transaction:false\nUPDATE first ROWS 1;\nUPDATE second;\n");
    SECTION("the statement in flight is canceled: what ran before it stays done, so the row stays `running`") {
        f.db.rows_for = [&](const std::string& statement) -> std::int64_t {
            if (statement.find("second") == std::string::npos) return 1;
            stop.arrive(SIGTERM);
            throw datamig::SqlError("canceling statement due to user request", 1);
        };
        CHECK_THROWS_AS(runner.apply(migration), datamig::Stopped);
        CHECK(f.db.writes == Strings{"save running alone", "event fail alone"});
        CHECK(f.db.rows().at("20260101000000").status == RowStatus::running);
        CHECK(f.db.executed() == Strings{"UPDATE first ROWS 1"});
        REQUIRE(f.db.events().size() == 1);
        CHECK(f.db.events()[0].kind == EventKind::fail);
    }
    SECTION("the section finished all the same: it is recorded applied, and the next apply stops") {
        f.db.rows_for = [&](const std::string&) -> std::int64_t {
            stop.arrive(SIGTERM);
            return 1;
        };
        CHECK(runner.apply(migration).rows_affected == 2);  // listed with what the run did
        CHECK(f.db.writes == Strings{"save running alone", "save applied + event apply alone"});
        CHECK(f.db.rows().at("20260101000000").rows_affected == 2);
        CHECK_THROWS_AS(runner.apply(f.sql("-- migrate:up\nUPDATE third;\n")), datamig::Stopped);
        CHECK(f.db.executed() == Strings{"UPDATE first ROWS 1", "UPDATE second"});
    }
}

TEST_CASE("apply: an exec migration runs its program with the DATAMIG_* environment", "[runner]") {
    Fixture f;
    const auto out = f.dir.path() / "env.txt";
    const auto migration = f.exec("{ echo \"args=$*\"; echo \"cwd=$(pwd)\"; env; } > '" + out.string() + "'");
    datamig::Runner runner(f.db, f.settings);

    const auto outcome = runner.apply(migration);
    CHECK_FALSE(outcome.rows_affected.has_value());
    CHECK(f.db.writes == Strings{"save running alone", "save applied + event apply alone"});
    const HistoryRow& row = f.db.rows().at("20260102000000");
    CHECK(row.status == RowStatus::applied);
    CHECK(row.phase == "post_sync");
    CHECK(row.checksum == migration.checksum);
    CHECK_FALSE(row.rows_affected.has_value());

    const std::string seen = datamig::test::read_file(out);
    CHECK_THAT(seen, Catch::Contains("args=up\n"));
    CHECK_THAT(seen, Catch::Contains("cwd=" + std::filesystem::current_path().string() + "\n"));
    CHECK_THAT(seen, Catch::Contains("\nDATABASE_URL=" + f.settings.database_url + "\n"));
    CHECK_THAT(seen, Catch::Contains("\nDATAMIG_VERSION=20260102000000\n"));
    CHECK_THAT(seen, Catch::Contains("\nDATAMIG_NAME=enqueue\n"));
    CHECK_THAT(seen, Catch::Contains("\nDATAMIG_PHASE=post_sync\n"));
    CHECK_THAT(seen, Catch::Contains("\nDATAMIG_DIRECTION=up\n"));
    CHECK_THAT(seen, Catch::Contains("\nDATAMIG_OPERATOR=ops-bot\n"));
}

TEST_CASE("apply: a failing exec migration deletes its row and records the failure", "[runner]") {
    Fixture f;
    datamig::Runner runner(f.db, f.settings);
    SECTION("non-zero exit") {
        const auto migration = f.exec("exit 3");
        const std::string message = failure_of(runner, migration);
        CHECK_THAT(message, Catch::Contains(f.path_of(migration)) && Catch::Contains("exited with status 3"));
    }
    SECTION("timeout") {
        f.settings.exec_timeout = std::chrono::milliseconds(200);
        const auto migration = f.exec("sleep 5");
        const auto start = std::chrono::steady_clock::now();
        CHECK_THAT(failure_of(runner, migration), Catch::Contains("timed out"));
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    }
    CHECK(f.db.writes == Strings{"save running alone", "delete + event fail alone"});
    CHECK(f.db.rows().empty());
    REQUIRE(f.db.events().size() == 1);
    CHECK(f.db.events()[0].kind == EventKind::fail);
    CHECK(f.db.events()[0].version == "20260102000000");
}

TEST_CASE("roll_back runs down and deletes the row with a rollback event", "[runner]") {
    Fixture f;
    datamig::Runner runner(f.db, f.settings);
    SECTION("SQL, in a transaction") {
        const auto migration = f.sql("-- migrate:up\nUPDATE a SET x = 1;\n-- migrate:down\nUPDATE a ROWS 4;\n");
        runner.apply(migration);
        f.db.writes.clear();
        const auto outcome = runner.roll_back(migration);
        CHECK(outcome.rows_affected == 4);
        CHECK(f.db.writes == Strings{"delete + event rollback in transaction"});
        CHECK(f.db.executed() == Strings{"UPDATE a SET x = 1", "UPDATE a ROWS 4"});
        CHECK(f.db.events().back().rows_affected == 4);
    }
    SECTION("exec, with `down` as argument") {
        const auto out = f.dir.path() / "direction.txt";
        const auto migration = f.exec("echo \"$1 $DATAMIG_DIRECTION\" > '" + out.string() + "'");
        runner.apply(migration);
        f.db.writes.clear();
        runner.roll_back(migration);
        CHECK(datamig::test::read_file(out) == "down down\n");
        CHECK(f.db.writes == Strings{"delete + event rollback alone"});
    }
    CHECK(f.db.rows().empty());
    REQUIRE(f.db.events().size() == 2);
    CHECK(f.db.events()[1].kind == EventKind::rollback);
    CHECK_FALSE(f.db.events()[1].error.has_value());
}

TEST_CASE("roll_back: a failing down keeps the row", "[runner]") {
    Fixture f;
    const auto migration = f.sql("-- migrate:up\nUPDATE a SET x = 1;\n-- migrate:down\nUPDATE FAIL;\n");
    datamig::Runner runner(f.db, f.settings);
    runner.apply(migration);
    CHECK_THROWS_AS(runner.roll_back(migration), datamig::MigrationFailed);
    CHECK(f.db.rows().count("20260101000000") == 1);
    CHECK(f.db.executed() == Strings{"UPDATE a SET x = 1"});
    CHECK(f.db.events().back().kind == EventKind::fail);
    CHECK_THAT(*f.db.events().back().error, Catch::Contains(f.path_of(migration) + ":4: boom"));
}

TEST_CASE("roll_back refuses an irreversible migration and changes nothing", "[runner]") {
    Fixture f;
    const auto migration = f.sql("-- migrate:up\nUPDATE a SET x = 1;\n");
    datamig::Runner runner(f.db, f.settings);
    runner.apply(migration);
    f.db.writes.clear();
    CHECK_THROWS_AS(datamig::Runner::require_reversible(migration), datamig::MigrationFailed);
    CHECK_THROWS_AS(runner.roll_back(migration), datamig::MigrationFailed);
    CHECK_THROWS_WITH(runner.roll_back(migration),
                      Catch::Contains("irreversible") && Catch::Contains(f.path_of(migration)));
    CHECK(f.db.writes.empty());
    CHECK(f.db.rows().count("20260101000000") == 1);
    CHECK(f.db.executed() == Strings{"UPDATE a SET x = 1"});
    CHECK_NOTHROW(datamig::Runner::require_reversible(f.exec("exit 0")));
}

TEST_CASE("resolve settles a running row with a resolve event", "[runner]") {
    Fixture f;
    HistoryRow running;
    running.version = "20260102000000";
    running.phase = "post_sync";
    running.name = "enqueue";
    running.status = RowStatus::running;
    running.started_at = "2026-01-02T00:00:00.000000Z";
    f.db.save_row(running);
    f.db.writes.clear();
    datamig::Runner runner(f.db, f.settings);

    SECTION("as applied") {
        runner.resolve(running, true);
        const HistoryRow& row = f.db.rows().at("20260102000000");
        CHECK(row.status == RowStatus::applied);
        CHECK(row.finished_at > row.started_at);
        CHECK(row.started_at == running.started_at);
        CHECK(f.db.writes == Strings{"save applied + event resolve alone"});
        CHECK(f.db.events().back().error == "resolved as applied");
    }
    SECTION("as pending") {
        runner.resolve(running, false);
        CHECK(f.db.rows().empty());
        CHECK(f.db.writes == Strings{"delete + event resolve alone"});
        CHECK(f.db.events().back().error == "resolved as pending");
    }
    REQUIRE(f.db.events().size() == 1);
    const datamig::Event& event = f.db.events()[0];
    CHECK(event.kind == EventKind::resolve);
    CHECK(event.version == "20260102000000");
    CHECK(event.phase == "post_sync");
    CHECK(event.operator_name == "ops-bot");
}

TEST_CASE("RunnerLock waits for the holder, then gives up with Unavailable", "[runner]") {
    const QuietLog quiet;
    MemoryDatabase first;
    MemoryDatabase second(first.state());
    first.holder = "pid 4242, application datamig";
    second.holder = first.holder;  // both sessions see the same holder, as on a server
    {
        const datamig::RunnerLock held(first, std::chrono::milliseconds(0));
        const auto start = std::chrono::steady_clock::now();
        CHECK_THROWS_AS(datamig::RunnerLock(second, std::chrono::milliseconds(300)), datamig::Unavailable);
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
        CHECK_THROWS_WITH(datamig::RunnerLock(second, std::chrono::milliseconds(0)), Catch::Contains("pid 4242"));
        CHECK(first.state()->locked);  // a waiter that gave up does not release another's lock
    }
    CHECK_FALSE(first.state()->locked);
    const datamig::RunnerLock now_free(second, std::chrono::milliseconds(0));
    CHECK(second.state()->locked);
}

TEST_CASE("Transaction rolls back on destruction unless committed", "[runner]") {
    MemoryDatabase db;
    HistoryRow row;
    row.version = "20260101000000";
    {
        datamig::Transaction transaction(db);
        CHECK(db.in_transaction());
        db.save_row(row);
    }
    CHECK_FALSE(db.in_transaction());
    CHECK(db.rows().empty());
    {
        datamig::Transaction transaction(db);
        db.save_row(row);
        transaction.commit();
    }
    CHECK_FALSE(db.in_transaction());
    CHECK(db.rows().size() == 1);
}

namespace {

// A table of integer keys behind the memory database, answering the queries of batch:range
// and counting the keys each batch's UPDATE covers.
class KeyTable {
public:
    KeyTable(MemoryDatabase& db, std::set<long long> keys) : keys_(std::move(keys)) {
        db.answer = [this](const std::string& query) -> std::optional<std::string> {
            if (keys_.empty()) return std::nullopt;
            if (query.find(" DESC LIMIT 1") != std::string::npos) return std::to_string(*keys_.rbegin());
            const auto from = query.find(">= ");
            const auto next =
                from == std::string::npos ? keys_.begin() : keys_.lower_bound(std::stoll(query.substr(from + 3)));
            if (next == keys_.end()) return std::nullopt;
            return std::to_string(*next);
        };
        db.rows_for = [this](const std::string& statement) -> std::int64_t {
            long long start = 0;
            long long end = 0;
            REQUIRE(std::sscanf(statement.c_str(), "UPDATE items SET n = n + 1 WHERE id >= %lld AND id < %lld", &start,
                                &end) == 2);
            if (start == fail_at) throw datamig::SqlError("deadlock detected", 1);
            batches.push_back({start, end});
            return std::distance(keys_.lower_bound(start), keys_.lower_bound(end));
        };
    }

    std::vector<std::pair<long long, long long>> batches;  // [start, end) of each batch run
    long long fail_at = -1;                                // the batch starting here fails

private:
    std::set<long long> keys_;
};

const std::string range_migration =
    "-- migrate:up batch:range key:items.id batch_size:5\n"
    "UPDATE items SET n = n + 1 WHERE id >= :batch_start AND id < :batch_end;\n";

// The `running` row an earlier, stopped run of `migration` left, with its checkpoint.
HistoryRow save_interrupted(MemoryDatabase& db, const LoadedMigration& migration, const std::string& cursor,
                            std::optional<std::int64_t> rows) {
    HistoryRow interrupted = datamig::test::row_of(migration, RowStatus::running);
    interrupted.batch_cursor = cursor;
    interrupted.rows_affected = rows;
    db.save_row(interrupted);
    return interrupted;
}

}  // namespace

TEST_CASE("apply batch:loop runs the section until a batch changes nothing", "[runner][batch]") {
    Fixture f;
    std::vector<std::int64_t> answers = {3, 3, 1, 0};
    f.db.rows_for = [&](const std::string&) {
        const std::int64_t rows = answers.front();
        answers.erase(answers.begin());
        return rows;
    };
    const auto migration = f.sql(
        "-- migrate:up batch:loop batch_size:3\nUPDATE items SET done = 1 WHERE id IN (SELECT id LIMIT "
        ":batch_size);\n");
    std::vector<datamig::BatchProgress> seen;
    datamig::Runner runner(f.db, f.settings, [&](const datamig::BatchProgress& p) { seen.push_back(p); });

    const auto outcome = runner.apply(migration);
    CHECK(outcome.rows_affected == 7);
    CHECK(answers.empty());
    CHECK(f.db.executed() == Strings(4, "UPDATE items SET done = 1 WHERE id IN (SELECT id LIMIT 3)"));
    // The row is `running` on its own first, then each batch commits with its progress.
    CHECK(f.db.writes == Strings{"save running alone", "save running in transaction", "save running in transaction",
                                 "save running in transaction", "save running in transaction",
                                 "save applied + event apply alone"});
    const HistoryRow& row = f.db.rows().at("20260101000000");
    CHECK(row.status == RowStatus::applied);
    CHECK(row.rows_affected == 7);
    CHECK_FALSE(row.batch_cursor.has_value());
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back().end == datamig::BatchEnd::completed);
    CHECK(seen.back().batches == 3);  // the run that found nothing left is no batch
    CHECK(seen.back().rows == 7);
    CHECK_FALSE(seen.back().done.has_value());
}

TEST_CASE("apply batch:range walks the keys in ranges, skipping gaps, with a checkpoint per batch", "[runner][batch]") {
    Fixture f;
    KeyTable table(f.db, {1, 2, 3, 10, 11, 100});
    std::vector<datamig::BatchProgress> seen;
    datamig::Runner runner(f.db, f.settings, [&](const datamig::BatchProgress& p) { seen.push_back(p); });

    const auto outcome = runner.apply(f.sql(range_migration));
    CHECK(table.batches == std::vector<std::pair<long long, long long>>{{1, 6}, {10, 15}, {100, 105}});
    CHECK(outcome.rows_affected == 6);
    const HistoryRow& row = f.db.rows().at("20260101000000");
    CHECK(row.status == RowStatus::applied);
    CHECK(row.batch_cursor == "105");  // kept after completion (SPEC §2)
    CHECK(row.rows_affected == 6);

    REQUIRE(seen.size() == 4);  // one per batch, then the end
    CHECK(seen[0].rows == 3);
    CHECK(seen[0].done.value_or(0) == Approx(5.0 / 100.0));
    CHECK(seen[1].done.value_or(0) == Approx(14.0 / 100.0));
    CHECK(seen[2].done.value_or(0) == Approx(1.0));
    CHECK(seen[3].end == datamig::BatchEnd::completed);
    CHECK(seen[3].batches == 3);
}

TEST_CASE("apply batch:range resumes after the checkpoint of an interrupted run", "[runner][batch]") {
    Fixture f;
    KeyTable table(f.db, {1, 2, 3, 10, 11, 100});
    const auto migration = f.sql(range_migration);
    const HistoryRow interrupted = save_interrupted(f.db, migration, "6", 3);
    datamig::Runner runner(f.db, f.settings);

    const auto outcome = runner.apply(migration, interrupted);
    CHECK(table.batches == std::vector<std::pair<long long, long long>>{{10, 15}, {100, 105}});
    CHECK(outcome.rows_affected == 6);  // the sum of every batch, before and after the stop
    const HistoryRow& row = f.db.rows().at("20260101000000");
    CHECK(row.status == RowStatus::applied);
    CHECK(row.started_at == interrupted.started_at);
    CHECK(f.db.events().back().kind == EventKind::apply);
}

TEST_CASE("apply batch:range: a failing batch keeps the finished ones and the row to resume from", "[runner][batch]") {
    Fixture f;
    KeyTable table(f.db, {1, 2, 3, 10, 11, 100});
    table.fail_at = 10;
    const auto migration = f.sql(range_migration);
    std::vector<datamig::BatchProgress> seen;
    datamig::Runner runner(f.db, f.settings, [&](const datamig::BatchProgress& p) { seen.push_back(p); });

    CHECK_THAT(failure_of(runner, migration), Catch::Contains(f.path_of(migration) + ":2: deadlock detected"));
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back().end == datamig::BatchEnd::stopped);  // a live line is closed before the error
    CHECK(seen.back().batches == 1);
    const HistoryRow& row = f.db.rows().at("20260101000000");
    CHECK(row.status == RowStatus::running);
    CHECK(row.batch_cursor == "6");
    CHECK(row.rows_affected == 3);
    CHECK(f.db.events().back().kind == EventKind::fail);

    table.fail_at = -1;
    runner.apply(migration, row);
    CHECK(table.batches == std::vector<std::pair<long long, long long>>{{1, 6}, {10, 15}, {100, 105}});
    CHECK(f.db.rows().at("20260101000000").status == RowStatus::applied);
}

TEST_CASE("apply batch:range: --batch-size wins, an empty table needs no batch, :batch_end needs an integer key",
          "[runner][batch]") {
    Fixture f;
    datamig::Runner runner(f.db, f.settings);
    SECTION("--batch-size") {
        KeyTable table(f.db, {1, 2, 3, 10, 11, 100});
        f.settings.batch_size = 50;
        runner.apply(f.sql(range_migration));
        CHECK(table.batches == std::vector<std::pair<long long, long long>>{{1, 51}, {100, 150}});
    }
    SECTION("empty table") {
        KeyTable table(f.db, {});
        const auto outcome = runner.apply(f.sql(range_migration));
        CHECK(table.batches.empty());
        CHECK(outcome.rows_affected == 0);
        CHECK(f.db.rows().at("20260101000000").status == RowStatus::applied);
    }
    SECTION("a key that is no integer, with :batch_end") {
        f.db.query_result = "3f2a-uuid";
        const auto migration = f.sql(range_migration);
        CHECK_THAT(failure_of(runner, migration),
                   Catch::Contains(f.path_of(migration) + ":1: :batch_end needs an integer key, and items.id is text"));
        CHECK(f.db.executed().size() == 1);  // only the highest key was read: no batch ran
        CHECK(f.db.rows().empty());
    }
}

TEST_CASE("apply batch: a failure before any batch committed deletes the row, with its fail event", "[runner][batch]") {
    Fixture f;
    datamig::Runner runner(f.db, f.settings);
    SECTION("the key cannot be read") {
        const auto migration = f.sql(
            "-- migrate:up batch:range key:FAIL.id batch_size:5\n"
            "UPDATE items SET n = 1 WHERE id >= :batch_start;\n");
        CHECK_THAT(failure_of(runner, migration), Catch::Contains("reading key FAIL.id"));
    }
    SECTION("keys too close to the 64-bit limit") {
        KeyTable table(f.db, {1, 9223372036854775805});
        CHECK_THAT(failure_of(runner, f.sql(range_migration)), Catch::Contains("64-bit limit"));
    }
    SECTION("the first batch fails") {
        KeyTable table(f.db, {1, 2, 3, 10});
        table.fail_at = 1;
        CHECK_THAT(failure_of(runner, f.sql(range_migration)), Catch::Contains("deadlock detected"));
    }
    SECTION("a stop before the first batch commits") {
        KeyTable table(f.db, {1, 2, 3, 10});
        const datamig::SimulatedStop stop;
        f.db.rows_for = [&](const std::string&) -> std::int64_t {
            stop.arrive(SIGTERM);
            return 3;
        };
        CHECK_THROWS_AS(runner.apply(f.sql(range_migration)), datamig::Stopped);
    }
    CHECK(f.db.rows().empty());
    CHECK(f.db.writes.front() == "save running alone");
    CHECK(f.db.writes.back() == "delete + event fail alone");
    REQUIRE(f.db.events().size() == 1);
    CHECK(f.db.events()[0].kind == EventKind::fail);
}

TEST_CASE("apply batch:range: a resumed migration that fails before its next batch keeps its row", "[runner][batch]") {
    Fixture f;
    KeyTable table(f.db, {1, 2, 3, 10, 11, 100});
    const auto migration = f.sql(range_migration);
    const HistoryRow interrupted = save_interrupted(f.db, migration, "not-a-key", std::nullopt);
    datamig::Runner runner(f.db, f.settings);

    CHECK_THROWS_WITH(runner.apply(migration, interrupted), Catch::Contains("checkpoint"));
    CHECK(table.batches.empty());
    const HistoryRow& row = f.db.rows().at("20260101000000");
    CHECK(row.status == RowStatus::running);
    CHECK(row.batch_cursor == "not-a-key");
    CHECK(f.db.events().back().kind == EventKind::fail);
}
