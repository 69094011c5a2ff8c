#pragma once
// Applies, rolls back and resolves single migrations against a Database, keeping the history
// row and the events table consistent with what happened (SPEC §2, §3, §5, §6).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "datamig/batch.hpp"
#include "datamig/batch_run.hpp"
#include "datamig/catalog.hpp"
#include "datamig/clock.hpp"
#include "datamig/database.hpp"
#include "datamig/error.hpp"
#include "datamig/settings.hpp"

namespace datamig {

// Holds the runner lock for its lifetime, waiting up to `wait` and logging who holds it.
// Throws Unavailable when the wait runs out.
class RunnerLock {
public:
    RunnerLock(Database& db, std::chrono::milliseconds wait);
    ~RunnerLock();
    RunnerLock(const RunnerLock&) = delete;
    RunnerLock& operator=(const RunnerLock&) = delete;

private:
    Database& db_;
};

// Rolls back on destruction unless committed; never throws from the destructor.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    void commit();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

private:
    Database& db_;
    bool open_ = true;
};

struct Outcome {
    std::string version;
    std::string phase;
    std::string name;
    std::int64_t duration_ms = 0;
    std::optional<std::int64_t> rows_affected;
    std::optional<BatchStats> batches;  // batched migrations
    // A batched migration left partial (time budget, pause): its checkpoint, for the report.
    std::optional<std::string> batch_cursor;
    std::optional<PartialReason> partial;

    // The outcome of `file` that took `duration_ms` and changed `rows`; no batch details.
    static Outcome of(const MigrationFile& file, std::int64_t duration_ms, std::optional<std::int64_t> rows) {
        return {file.version, file.phase, file.name, duration_ms, rows, std::nullopt, std::nullopt, std::nullopt};
    }
};

// Runs the migration's verify query (SPEC §2): nullopt when it passes or there is none, else why
// it failed ("file:line: verify failed: ..."). Throws MigrationFailed when the query is rejected
// or is more than one statement.
std::optional<std::string> verify_failure_of(Database& db, const LoadedMigration& migration);
// Whether the migration has a verify query (a section of only comments checks nothing).
bool has_verify(const LoadedMigration& migration);

// A rejected statement of `section` as a failure naming the file and line.
MigrationFailed statement_failure(const LoadedMigration& migration, const Section& section, const SqlError& error);

class Runner {
public:
    // `progress` hears about every batch of a batched migration; it may be empty.
    // No batch starts at or after `deadline` (migrate --time-budget).
    Runner(Database& db, const Settings& settings, ProgressListener progress = {},
           std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

    // Runs `up` and records it. Throws MigrationFailed (with file:line for SQL errors) after
    // recording a `fail` event; Stopped when a signal arrived, after recording what is known:
    // an exec program that exited 0 after it as applied, other work outside a transaction as
    // still `running` (its effect is unknown). `interrupted` is the `running` row a batched
    // migration resumes from.
    Outcome apply(const LoadedMigration& migration, const std::optional<HistoryRow>& interrupted = std::nullopt);
    // Runs `down` and deletes the row. Throws MigrationFailed for irreversible migrations.
    Outcome roll_back(const LoadedMigration& migration);
    // Throws MigrationFailed when `migration` has no way down; checked for a whole rollback
    // plan before any of it runs.
    static void require_reversible(const LoadedMigration& migration);
    // Settles an interrupted (`running`) row: mark it applied, or delete it.
    void resolve(const HistoryRow& row, bool applied);

private:
    Outcome run_transactional(const LoadedMigration& migration, const Section& section, bool up);
    Outcome run_outside_transaction(const LoadedMigration& migration, bool up);
    Outcome run_batched(const LoadedMigration& migration, const std::optional<HistoryRow>& interrupted);
    // Records the outcome in one write: the history row (up) or its removal (down), plus the event.
    void finish(const LoadedMigration& migration, const Outcome& outcome, bool up, const std::string& started_at,
                const std::optional<std::string>& batch_cursor);
    // Runs `sql`, the text of `section` (or of one batch of it); SQL errors name the file line.
    std::int64_t run_section(const LoadedMigration& migration, const Section& section, std::string_view sql);
    void verify(const LoadedMigration& migration);
    void run_program(const LoadedMigration& migration, bool up);
    HistoryRow row_for(const LoadedMigration& migration, const std::string& started_at) const;
    // Appends the `fail` event (in one write with deleting the migration's row when
    // `delete_row`), then rethrows as Stopped (a signal arrived) or as the failure.
    [[noreturn]] void record_failure(const LoadedMigration& migration, std::int64_t duration_ms, const Error& error,
                                     bool delete_row);

    Database& db_;
    const Settings& settings_;
    std::string context_;
    ProgressListener progress_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    RowClock clock_;
};

}  // namespace datamig
