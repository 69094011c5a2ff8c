#include "datamig/batch_run.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/builders.hpp"
#include "support/memory_database.hpp"

using datamig::BatchRun;
using datamig::EventKind;
using datamig::HistoryRow;
using datamig::LoadedMigration;
using datamig::SqlError;
using datamig::Transient;
using datamig::test::MemoryDatabase;
using std::chrono::milliseconds;

namespace {

// A batch:loop migration whose statement is "UPDATE <size>": the memory database answers how
// many rows each run changes. `options`: "retries:N" and "size:N" (default 100), space separated.
LoadedMigration loop_migration(const std::string& options) {
    LoadedMigration migration = datamig::test::loaded_sql("pre_sync", "20260101000000", "backfill");
    datamig::SqlScript script;
    script.up.sql = "UPDATE :batch_size;";
    script.up.marker_line = 1;
    script.up.options.batch = datamig::BatchMode::loop;
    script.up.options.batch_size = 100;
    std::istringstream words(options);
    for (std::string word; words >> word;) {
        const auto value = std::stoll(word.substr(word.find(':') + 1));
        (word.rfind("retries:", 0) == 0 ? script.up.options.batch_retries : script.up.options.batch_size) = value;
    }
    migration.script = std::make_shared<const datamig::SqlScript>(std::move(script));
    return migration;
}

struct Run {
    Run() { spdlog::default_logger()->set_level(spdlog::level::off); }
    ~Run() { spdlog::default_logger()->set_level(spdlog::level::info); }
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    // Runs `migration`; `failures` are thrown by the first statements, one each.
    datamig::BatchStats run(const LoadedMigration& migration, std::vector<Transient> failures = {}, int batches = 3) {
        db.rows_for = [this, failures, batches](const std::string& statement) mutable -> std::int64_t {
            sizes.push_back(std::stoi(statement.substr(7)));
            limits.push_back(db.statement_limit());
            if (slow) slow(sizes.back());
            if (!failures.empty()) {
                const Transient cause = failures.front();
                failures.erase(failures.begin());
                throw SqlError("canceling statement", 1, cause);
            }
            return done++ < batches ? 10 : 0;
        };
        BatchRun batch_run(
            db, settings, migration, {},
            [](const std::string& error, milliseconds took) {
                return datamig::Event{"20260101000000", "pre_sync", EventKind::retry, "now", "ops", "{}", took.count(),
                                      std::nullopt,     error};
            },
            deadline);
        row.version = "20260101000000";
        try {
            return batch_run.run(row);
        } catch (const datamig::Error&) {
            gave_up = batch_run.gave_up_retrying();
            throw;
        }
    }

    MemoryDatabase db;
    datamig::Settings settings;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    HistoryRow row;
    std::vector<int> sizes;  // the :batch_size of every statement run
    // The statement limit of each statement's transaction (limit_statements).
    std::vector<std::optional<milliseconds>> limits;
    // Called with each statement's size before `failures` are thrown; may throw itself.
    std::function<void(int size)> slow;
    int done = 0;
    bool gave_up = false;
};

// A statement of more than `most` units "runs past" the transaction's statement limit: it
// takes the limit, then is cancelled as PostgreSQL's statement_timeout cancels it.
std::function<void(int)> cut_off_above(const MemoryDatabase& db, int most) {
    return [&db, most](int size) {
        if (size <= most || !db.statement_limit()) return;
        std::this_thread::sleep_for(*db.statement_limit());
        throw SqlError("canceling statement due to statement timeout", 1, Transient::statement_timeout);
    };
}

int events_of(const MemoryDatabase& db, EventKind kind) {
    int count = 0;
    for (const auto& event : db.events()) count += event.kind == kind ? 1 : 0;
    return count;
}

}  // namespace

TEST_CASE("BatchRun: a transient failure is rolled back and retried; its event commits with the next batch",
          "[batch_run]") {
    Run run;
    const auto stats = run.run(loop_migration(""), {Transient::lock_timeout, Transient::deadlock});
    CHECK(stats.retries == 2);
    CHECK(stats.batches == 3);
    CHECK(run.row.rows_affected == 30);
    CHECK(run.sizes == std::vector<int>{100, 100, 100, 100, 100, 100});
    CHECK(events_of(run.db, EventKind::retry) == 2);
    CHECK(run.db.events().front().error.value_or("").find("canceling statement") != std::string::npos);
}

TEST_CASE("BatchRun: after a statement timeout the retried batch is half the size", "[batch_run]") {
    Run run;
    const auto stats = run.run(loop_migration(""), {Transient::statement_timeout, Transient::statement_timeout});
    CHECK(stats.retries == 2);
    CHECK(run.sizes.front() == 100);
    CHECK(run.sizes.at(1) == 50);
    CHECK(run.sizes.at(2) == 25);
    CHECK(run.sizes.back() == 25);  // a fixed size stays split
}

TEST_CASE("BatchRun: with batch_time, a batch cut off at the derived limit is retried at half its size, free",
          "[batch_run]") {
    Run run;
    run.settings.batch_time = milliseconds(40);  // the limit: 100 ms, the floor
    run.slow = cut_off_above(run.db, 12);
    const auto stats = run.run(loop_migration("retries:1"), {}, 1);
    // 100, 50 and 25 are cut off; 12 fits; the sizer grows again (less than x2: the cut-offs
    // taught it a unit costs at least 100 ms / 25), is cut off, and half that finds no rows left.
    // Four cut-offs and one retry allowed, and the run completes.
    REQUIRE(run.sizes.size() == 6);
    CHECK(std::vector<int>(run.sizes.begin(), run.sizes.begin() + 4) == std::vector<int>{100, 50, 25, 12});
    CHECK(run.sizes[4] > 12);
    CHECK(run.sizes[4] < 24);
    CHECK(run.sizes[5] == run.sizes[4] / 2);
    CHECK(stats.retries == 4);
    CHECK_FALSE(run.gave_up);
    CHECK(run.row.rows_affected == 10);
    CHECK(events_of(run.db, EventKind::retry) == 4);
    CHECK(run.db.events().front().error.value_or("").find(
              "canceling statement due to statement timeout (the 100ms limit derived from batch_time)") !=
          std::string::npos);
    CHECK(run.db.events().front().duration_ms >= 100);
    // Every batch's transaction had the limit; it ended with the transaction.
    for (const auto& limit : run.limits) CHECK(limit == milliseconds(100));
    CHECK_FALSE(run.db.statement_limit());
}

TEST_CASE("BatchRun: a batch of size 1 cut off at the derived limit spends a retry; the failure names the limit",
          "[batch_run]") {
    Run run;
    run.settings.batch_time = milliseconds(40);
    run.slow = cut_off_above(run.db, 0);
    CHECK_THROWS_WITH(run.run(loop_migration("size:4 retries:1")),
                      Catch::Contains("gave up after 1 retries; a batch of size 1 ran past the 100ms limit derived "
                                      "from batch_time, which --statement-timeout replaces"));
    CHECK(run.gave_up);
    CHECK(run.sizes == std::vector<int>{4, 2, 1, 1});
    CHECK(events_of(run.db, EventKind::retry) == 3);
}

TEST_CASE("BatchRun: the user's --statement-timeout, or a cancel before the limit, spends retries as before",
          "[batch_run]") {
    const std::vector<Transient> two_timeouts = {Transient::statement_timeout, Transient::statement_timeout};
    SECTION("--statement-timeout set: no derived limit") {
        Run run;
        run.settings.batch_time = milliseconds(40);
        run.settings.statement_timeout = milliseconds(0);
        CHECK_THROWS_WITH(run.run(loop_migration("retries:1"), two_timeouts),
                          Catch::Contains("gave up after 1 retries"));
        CHECK(run.gave_up);
        for (const auto& limit : run.limits) CHECK_FALSE(limit);
    }
    SECTION("a cancel that came before the derived limit could fire (pg_cancel_backend)") {
        Run run;
        run.settings.batch_time = milliseconds(40);
        CHECK_THROWS_WITH(
            run.run(loop_migration("retries:1"), two_timeouts),
            !Catch::Contains("limit derived from batch_time") && Catch::Contains("gave up after 1 retries"));
        CHECK(run.sizes == std::vector<int>{100, 50});  // still split: it was a statement timeout
        CHECK(run.limits.front() == milliseconds(100));
    }
}

TEST_CASE("BatchRun: when the retries run out the failure is resumable and the retries are on record", "[batch_run]") {
    Run run;
    const auto migration = loop_migration("retries:2");
    CHECK_THROWS_WITH(run.run(migration, {Transient::serialization_failure, Transient::serialization_failure,
                                          Transient::serialization_failure}),
                      Catch::Contains("gave up after 2 retries"));
    CHECK(run.gave_up);
    CHECK(run.sizes.size() == 3);
    CHECK(events_of(run.db, EventKind::retry) == 2);  // written on their own once the run failed
}

TEST_CASE("BatchRun: any other error fails at once", "[batch_run]") {
    Run run;
    CHECK_THROWS_AS(run.run(loop_migration(""), {Transient::no}), datamig::MigrationFailed);
    CHECK_FALSE(run.gave_up);
    CHECK(run.sizes.size() == 1);
    CHECK(run.db.events().empty());
}

TEST_CASE("BatchRun: no batch starts while a standby lags or the throttle query is true", "[batch_run]") {
    Run run;
    int asked = 0;
    run.db.lagging = [&] { return ++asked == 1; };  // lagging at the first check only
    run.settings.max_replica_lag = milliseconds(500);
    run.settings.throttle_query = "SELECT incident_open";
    run.db.answer = [&](const std::string& query) -> std::optional<std::string> {
        // The throttle query is true once; it is asked only while no standby lags.
        return query == "SELECT incident_open" ? std::optional<std::string>(asked == 2 ? "1" : "0") : std::nullopt;
    };
    const auto stats = run.run(loop_migration(""));
    CHECK(stats.throttled >= milliseconds(2000));  // two checks, a second apart
    CHECK(stats.throttled < milliseconds(5000));
    CHECK(stats.batches == 3);
    CHECK(asked >= 4);  // before each batch
}

TEST_CASE("BatchRun: no batch starts once the time budget is spent; the run is left partial", "[batch_run]") {
    Run run;
    run.deadline = std::chrono::steady_clock::now();
    const auto stats = run.run(loop_migration(""));
    CHECK(stats.left_partial == datamig::PartialReason::time_budget);
    CHECK(stats.batches == 0);
    CHECK(run.sizes.empty());
}

TEST_CASE("BatchRun: a pause mark set by another process stops the run before its next batch", "[batch_run]") {
    Run run;
    HistoryRow running;
    running.version = "20260101000000";
    running.status = datamig::RowStatus::running;
    run.db.save_row(running);
    int statements = 0;
    // `datamig pause` arrives while the second batch runs.
    run.db.rows_for = [&](const std::string&) -> std::int64_t {
        if (++statements == 2) {
            run.db.set_paused("20260101000000", std::string("2026-01-01T00:00:00Z"),
                              datamig::Event{"20260101000000", "pre_sync", EventKind::pause, "now", "ops", "{}",
                                             std::nullopt, std::nullopt, std::nullopt});
        }
        return 10;
    };
    const auto migration = loop_migration("");
    datamig::BatchRun batch_run(
        run.db, run.settings, migration, {},
        [](const std::string& error, milliseconds) {
            return datamig::Event{"", "", EventKind::retry, "", "", "{}", std::nullopt, std::nullopt, error};
        },
        std::nullopt);
    run.row = running;
    const auto stats = batch_run.run(run.row);
    CHECK(stats.left_partial == datamig::PartialReason::paused);
    CHECK(stats.batches == 2);  // the batch in flight committed
    CHECK(run.row.rows_affected == 20);
    CHECK(run.db.rows().at("20260101000000").paused_at.has_value());  // the checkpoint kept the mark
}
