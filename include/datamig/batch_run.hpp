#pragma once
// The loop of one batched `up` (SPEC §2, batches under live traffic): batches of a fixed or
// adaptive size, each committed with its checkpoint; transient failures retried with a growing
// back-off; no batch started while the database is unhealthy (throttling); progress after each.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/batch.hpp"
#include "datamig/batch_sizer.hpp"
#include "datamig/catalog.hpp"
#include "datamig/database.hpp"
#include "datamig/error.hpp"
#include "datamig/key_walk.hpp"
#include "datamig/settings.hpp"

namespace datamig {

// Why a batched run stopped before its work was done, leaving the migration `partial` for the
// next migrate to resume (SPEC §2).
enum class PartialReason { time_budget, paused };
std::string_view to_string(PartialReason reason);  // "time-budget", "paused" (SPEC §8)

// What a batched run did, for the report (SPEC §8: batches, retries, throttled_ms).
struct BatchStats {
    std::int64_t batches = 0;
    std::int64_t retries = 0;
    std::chrono::milliseconds throttled{0};
    std::optional<PartialReason> left_partial;  // set when it stopped before the work was done
};

class BatchRun {
public:
    // The `retry` event of a batch that failed with `error` after `took`, stamped now.
    using RetryEvent = std::function<Event(const std::string& error, std::chrono::milliseconds took)>;

    // No batch starts at or after `deadline` (--time-budget).
    BatchRun(Database& db, const Settings& settings, const LoadedMigration& migration, ProgressListener progress,
             RetryEvent retry_event, std::optional<std::chrono::steady_clock::time_point> deadline);

    // Runs batches until no work is left. `row` is the migration's `running` row; it gains each
    // batch's rows and checkpoint as they commit. Throws MigrationFailed (file:line) or Stopped.
    BatchStats run(HistoryRow& row);
    // After run() threw: whether it gave up retrying a transient failure. The row then stays
    // `running` with the last checkpoint, for the next migrate to resume (SPEC §2).
    bool gave_up_retrying() const { return gave_up_retrying_; }

private:
    // One batch planned but not run: its SQL and what it leaves behind.
    struct Planned {
        std::string sql;
        std::int64_t size = 0;
        std::optional<KeyBatch> keys;  // batch:range only
    };

    void walk(HistoryRow& row, const std::function<std::optional<Planned>()>& plan,
              const std::function<bool(const Planned&, std::int64_t rows)>& finished);
    std::int64_t run_batch(const Planned& batch, HistoryRow& row);
    // Writes the pending retry events on their own, once the run has failed or stopped.
    void write_pending_retries() noexcept;
    // Whether the batch failed with `error` after `took` was cut off by the statement limit
    // derived from batch_time (BatchSettings::statement_limit).
    bool cut_off_by_limit(const SqlError& error, std::chrono::milliseconds took) const;
    // Whether a batch of `size` that failed with `error` may be retried now: transient, retries
    // left (`failures` counts those spent; a cut-off by the derived limit spends none above
    // size 1), no stop. Logs, records the retry, halves the size after a statement timeout and
    // waits the back-off.
    bool retry(const SqlError& error, std::int64_t size, std::chrono::milliseconds took, std::int64_t& failures);
    // Why no further batch may start now: the time budget is spent, or `datamig pause` marked
    // the migration (asked of the database before each batch).
    std::optional<PartialReason> reason_to_stop();
    void wait_while_unhealthy();
    std::optional<std::string> unhealthy();
    void report(BatchEnd end);

    Database& db_;
    const Settings& settings_;
    const LoadedMigration& migration_;
    ProgressListener progress_;
    RetryEvent retry_event_;
    // Retry events not yet written. They are written with the next batch, in its transaction:
    // on SQLite a write of their own would wait for the very lock the batch timed out on.
    std::vector<Event> pending_retries_;
    BatchSettings batch_;
    BatchSizer sizer_;
    BatchProgress live_;
    BatchStats stats_;
    std::chrono::steady_clock::time_point start_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    bool gave_up_retrying_ = false;
};

}  // namespace datamig
