#include "datamig/batch_run.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/key_walk.hpp"
#include "datamig/runner.hpp"
#include "datamig/stop.hpp"
#include "datamig/verify.hpp"

namespace datamig {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds since(SteadyClock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
}

// SPEC §2: the first retry waits at least 100 ms, each later one twice as long as the one
// before (capped, so a large batch_retries cannot overflow the wait).
constexpr milliseconds first_back_off{100};
constexpr int max_doublings = 10;
// While throttled: how often health is checked again, and how often the log says why.
constexpr milliseconds health_recheck{1000};
constexpr milliseconds throttle_report{10'000};

}  // namespace

std::string_view to_string(PartialReason reason) {
    return reason == PartialReason::time_budget ? "time-budget" : "paused";
}

BatchRun::BatchRun(Database& db, const Settings& settings, const LoadedMigration& migration, ProgressListener progress,
                   RetryEvent retry_event, std::optional<std::chrono::steady_clock::time_point> deadline)
    : db_(db),
      settings_(settings),
      migration_(migration),
      progress_(std::move(progress)),
      retry_event_(std::move(retry_event)),
      batch_(batch_settings(migration.script->up.options, settings)),
      sizer_(batch_.size, batch_.batch_time, batch_.size_max),
      deadline_(deadline) {
    live_.label = migration.file.label();
}

BatchStats BatchRun::run(HistoryRow& row) {
    start_ = SteadyClock::now();
    const Section& up = migration_.script->up;
    try {
        if (batch_.mode == BatchMode::loop) {
            walk(
                row,
                [&] {
                    return std::optional<Planned>({batch_sql(up.sql, sizer_.size(), std::nullopt), sizer_.size(), {}});
                },
                // The run that finds nothing left ends the loop.
                [](const Planned&, std::int64_t rows) { return rows == 0; });
        } else {
            const std::string where = fmt::format("{}:{}", migration_.file.path, up.marker_line);
            KeyWalk keys(db_, up.options, where, row.batch_cursor, batch_.size_max);
            keys.refuse_batch_end(up.sql);
            walk(
                row,
                [&]() -> std::optional<Planned> {
                    auto next = keys.next(sizer_.size());
                    if (!next) return std::nullopt;
                    return Planned{batch_sql(up.sql, next->size, next->keys), next->size, std::move(next)};
                },
                [&](const Planned& batch, std::int64_t) {
                    keys.advance(*batch.keys);
                    return batch.keys->last;
                });
        }
    } catch (const Error&) {
        write_pending_retries();
        report(BatchEnd::stopped);
        throw;
    }
    report(BatchEnd::completed);
    return stats_;
}

void BatchRun::walk(HistoryRow& row, const std::function<std::optional<Planned>()>& plan,
                    const std::function<bool(const Planned&, std::int64_t rows)>& finished) {
    std::int64_t failures = 0;  // retries spent on the batch in hand (batch_retries)
    for (;;) {
        throw_if_stopped();
        wait_while_unhealthy();
        // Between batches: the last one committed with its checkpoint, so stopping here leaves
        // the migration partial, to resume on the next run.
        if ((stats_.left_partial = reason_to_stop())) return;
        const auto batch = plan();
        if (!batch) return;
        const auto began = SteadyClock::now();
        std::int64_t rows = 0;
        try {
            rows = run_batch(*batch, row);
        } catch (const SqlError& error) {
            const milliseconds took = since(began);
            if (retry(error, batch->size, took, failures)) continue;
            const MigrationFailed failure = statement_failure(migration_, migration_.script->up, error);
            if (!gave_up_retrying_) throw failure;
            std::string why;
            if (cut_off_by_limit(error, took)) {
                why = "; a batch of size 1 ran past the " + format_duration(*batch_.statement_limit) +
                      " limit derived from batch_time, which --statement-timeout replaces";
            }
            throw MigrationFailed(
                fmt::format("{} (gave up after {} retries{}; the next migrate resumes after the last checkpoint)",
                            failure.what(), batch_.retries, why));
        }
        failures = 0;
        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - began);
        sizer_.measured(batch->size, took);
        const bool done = finished(*batch, rows);
        if (done && rows == 0 && !batch->keys) return;  // a loop's empty run is no batch of work
        stats_.batches += 1;
        spdlog::debug("batch {} of {}: size {}, {} rows, {} ms", stats_.batches, live_.label, batch->size, rows,
                      took.count() / 1000);
        live_.batches = stats_.batches;
        live_.rows += rows;
        live_.size = batch->size;
        if (batch->keys) live_.done = batch->keys->done;
        report(BatchEnd::running);
        if (done) return;
        sleep_unless_stopped(batch_.pause);
    }
}

std::int64_t BatchRun::run_batch(const Planned& batch, HistoryRow& row) {
    Transaction transaction(db_);
    // Set in the batch's own transaction, so it ends with it: bookkeeping outside a batch, other
    // migrations and a rehearsal never get it.
    if (batch_.statement_limit) db_.limit_statements(*batch_.statement_limit);
    const std::int64_t rows = db_.execute(batch.sql);
    for (const Event& event : pending_retries_) db_.append_event(event);
    HistoryRow checkpoint = row;
    checkpoint.rows_affected = row.rows_affected.value_or(0) + rows;
    if (batch.keys) checkpoint.batch_cursor = batch.keys->checkpoint;
    db_.save_row(checkpoint);
    // As for a single transaction: a signal seen before commit rolls this batch back.
    throw_if_stopped();
    transaction.commit();
    pending_retries_.clear();
    row = checkpoint;
    return rows;
}

void BatchRun::write_pending_retries() noexcept {
    try {
        for (const Event& event : pending_retries_) db_.append_event(event);
    } catch (const Error& error) {
        // The failure being reported matters more than its retries' record; the log keeps them.
        spdlog::warn("{}: the retry events could not be recorded: {}", live_.label, error.what());
    }
    pending_retries_.clear();
}

bool BatchRun::cut_off_by_limit(const SqlError& error, milliseconds took) const {
    // An operator's pg_cancel_backend() sends the same SQLSTATE; one that came before the limit
    // could have fired is not the limit's.
    return error.transient() == Transient::statement_timeout && batch_.statement_limit &&
           took >= *batch_.statement_limit;
}

bool BatchRun::retry(const SqlError& error, std::int64_t size, milliseconds took, std::int64_t& failures) {
    throw_if_stopped();  // a stop cancels statements too; it is never retried
    if (error.transient() == Transient::no) return false;
    const bool limit = cut_off_by_limit(error, took);
    // A batch cut off by the limit derived from batch_time met costlier rows than it was sized
    // for: a sizing signal, not a failure. The user set no limit, so it spends no retry while
    // the size can still be halved; at size 1 it counts like any other.
    const bool sizing = limit && size > 1;
    if (!sizing && ++failures > batch_.retries) {
        gave_up_retrying_ = true;
        return false;
    }
    // A sizing retry waits the shortest back-off: the cause is the batch's size, not contention.
    const milliseconds back_off =
        sizing ? first_back_off
               : milliseconds(first_back_off * (1LL << std::min<std::int64_t>(failures - 1, max_doublings)));
    std::string message = statement_failure(migration_, migration_.script->up, error).what();
    if (limit) message += " (the " + format_duration(*batch_.statement_limit) + " limit derived from batch_time)";
    stats_.retries += 1;
    live_.retries = stats_.retries;
    // A batch too big to finish within the statement timeout is split (GitLab's batched
    // background migrations do the same); the other causes pass with time.
    if (error.transient() == Transient::statement_timeout) sizer_.cut_off(size, took);
    if (sizing) {
        spdlog::warn("{}: batch of size {} cut off, retry at size {} in {}: {}", live_.label, size, sizer_.size(),
                     format_duration(back_off), message);
    } else {
        spdlog::warn("{}: batch rolled back, retry {} of {} in {}: {}", live_.label, failures, batch_.retries,
                     format_duration(back_off), message);
    }
    pending_retries_.push_back(retry_event_(message, took));
    sleep_unless_stopped(back_off);
    return true;
}

std::optional<PartialReason> BatchRun::reason_to_stop() {
    if (deadline_ && SteadyClock::now() >= *deadline_) return PartialReason::time_budget;
    if (db_.paused(migration_.file.version)) return PartialReason::paused;
    return std::nullopt;
}

void BatchRun::wait_while_unhealthy() {
    auto reason = unhealthy();
    if (!reason) return;
    const auto began = SteadyClock::now();
    auto next_report = began;
    while (reason) {
        if (SteadyClock::now() >= next_report) {
            spdlog::info("{}: throttled, no batch starts while {}", live_.label, *reason);
            next_report = SteadyClock::now() + throttle_report;
        }
        sleep_unless_stopped(health_recheck);
        throw_if_stopped();
        // A pause or the end of the time budget ends the wait: the caller stops there.
        if (reason_to_stop()) break;
        reason = unhealthy();
    }
    const milliseconds waited = since(began);
    stats_.throttled += waited;
    live_.throttled = stats_.throttled;
    if (!reason) spdlog::info("{}: healthy again after {} throttled", live_.label, format_duration(waited));
}

std::optional<std::string> BatchRun::unhealthy() {
    if (settings_.max_replica_lag && db_.replicas_lag_behind(*settings_.max_replica_lag)) {
        return "a standby replays more than " + format_duration(*settings_.max_replica_lag) +
               " (or 16 MB of WAL) behind";
    }
    if (settings_.throttle_query) {
        QueryAnswer answer;
        try {
            answer = db_.query_answer(*settings_.throttle_query);
        } catch (const SqlError& error) {
            throw UsageError(std::string("--throttle-query: ") + error.what());
        }
        if (first_cell_true(answer)) return "--throttle-query returns " + *answer.value;
    }
    return std::nullopt;
}

void BatchRun::report(BatchEnd end) {
    live_.elapsed = since(start_);
    live_.end = end;
    if (progress_) progress_(live_);
}

}  // namespace datamig
