#include "datamig/runner.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/exec.hpp"
#include "datamig/sql_text.hpp"
#include "datamig/stop.hpp"
#include "datamig/verify.hpp"

namespace datamig {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t elapsed_ms(SteadyClock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - since).count();
}

}  // namespace

RunnerLock::RunnerLock(Database& db, std::chrono::milliseconds wait) : db_(db) {
    const auto deadline = SteadyClock::now() + wait;
    auto next_report = SteadyClock::now();
    while (!db_.try_lock()) {
        const auto now = SteadyClock::now();
        if (now >= deadline) {
            throw Unavailable(
                fmt::format("runner lock not acquired within {} (held by {}); retry later or raise "
                            "--lock-wait",
                            format_duration(wait), db_.lock_holder()));
        }
        // Say who holds the lock now and then, not on every attempt: a Job's log should show
        // why it waits without being flooded.
        if (now >= next_report) {
            spdlog::info("waiting for the runner lock, held by {}", db_.lock_holder());
            next_report = now + std::chrono::seconds(10);
        }
        sleep_unless_stopped(std::chrono::milliseconds(100));
    }
}

RunnerLock::~RunnerLock() { db_.unlock(); }

Transaction::Transaction(Database& db) : db_(db) { db_.begin(); }

Transaction::~Transaction() {
    if (open_) db_.rollback();
}

void Transaction::commit() {
    db_.commit();
    open_ = false;
}

Runner::Runner(Database& db, const Settings& settings, ProgressListener progress,
               std::optional<std::chrono::steady_clock::time_point> deadline)
    : db_(db),
      settings_(settings),
      context_(context_json(settings)),
      progress_(std::move(progress)),
      deadline_(deadline) {}

Outcome Runner::apply(const LoadedMigration& migration, const std::optional<HistoryRow>& interrupted) {
    throw_if_stopped();
    Outcome outcome;
    if (migration.file.kind == Kind::exec) {
        spdlog::info("applying {}", migration.file.label());
        outcome = run_outside_transaction(migration, true);
    } else if (migration.script->up.options.batch != BatchMode::none) {
        outcome = run_batched(migration, interrupted);
    } else {
        spdlog::info("applying {}", migration.file.label());
        const Section& up = migration.script->up;
        outcome =
            up.options.transaction ? run_transactional(migration, up, true) : run_outside_transaction(migration, true);
    }
    spdlog::debug("applied {} in {}ms{}", migration.file.label(), outcome.duration_ms,
                  outcome.rows_affected ? fmt::format(", {} rows", *outcome.rows_affected) : "");
    return outcome;
}

Outcome Runner::roll_back(const LoadedMigration& migration) {
    throw_if_stopped();
    require_reversible(migration);
    spdlog::info("rolling back {}", migration.file.label());
    const bool in_transaction = migration.file.kind == Kind::sql && migration.script->down->options.transaction;
    return in_transaction ? run_transactional(migration, *migration.script->down, false)
                          : run_outside_transaction(migration, false);
}

void Runner::require_reversible(const LoadedMigration& migration) {
    if (migration.file.kind == Kind::sql && !migration.script->down) {
        throw MigrationFailed(fmt::format(
            "{}: irreversible: it has no '-- migrate:down' section; nothing was rolled back", migration.file.path));
    }
}

void Runner::resolve(const HistoryRow& row, bool applied) {
    const std::string now = clock_.next();
    const Event event{row.version,
                      row.phase.value_or(""),
                      EventKind::resolve,
                      now,
                      settings_.operator_name,
                      context_,
                      std::nullopt,
                      std::nullopt,
                      applied ? "resolved as applied" : "resolved as pending"};
    if (applied) {
        HistoryRow settled = row;
        settled.status = RowStatus::applied;
        settled.finished_at = now;
        db_.record(settled, event);
    } else {
        db_.record_removal(event);
    }
}

Outcome Runner::run_transactional(const LoadedMigration& migration, const Section& section, bool up) {
    const std::string started_at = clock_.next();
    const auto start = SteadyClock::now();
    try {
        Transaction transaction(db_);
        const std::int64_t rows = run_section(migration, section, section.sql);
        if (up) verify(migration);
        // A signal seen before commit wins: the work is rolled back, never half-recorded.
        throw_if_stopped();
        const Outcome outcome = Outcome::of(migration.file, elapsed_ms(start), rows);
        finish(migration, outcome, up, started_at, std::nullopt);
        transaction.commit();
        return outcome;
    } catch (const Error& error) {
        record_failure(migration, elapsed_ms(start), error, false);
    }
}

Outcome Runner::run_outside_transaction(const LoadedMigration& migration, bool up) {
    const std::string started_at = clock_.next();
    const auto start = SteadyClock::now();
    // The effect happens outside any transaction, so the row says `running` first: a crash in
    // between leaves evidence for an operator instead of a silent re-run (SPEC §3, §6).
    if (up) {
        HistoryRow running = row_for(migration, started_at);
        running.status = RowStatus::running;
        db_.save_row(running);
    }
    std::optional<std::int64_t> rows;
    try {
        if (migration.file.kind == Kind::exec) {
            run_program(migration, up);
        } else {
            const Section& section = up ? migration.script->up : *migration.script->down;
            rows = run_section(migration, section, section.sql);
            if (up) verify(migration);
        }
    } catch (const Error& error) {
        // Without a stop signal the failure is known: undoing the `running` row lets the next
        // migrate retry it. After one, the effect is unknown (earlier statements committed, the
        // program got the signal midway), so the row stays for `datamig resolve` (SPEC §3, §6).
        const bool known = stop_signal() == 0;
        if (up && !known) {
            spdlog::warn(
                "{} was stopped midway and its effect is unknown: it stays `running`; check what it did, "
                "then run `datamig resolve {} --applied` or `--pending`",
                migration.file.label(), migration.file.version);
        }
        record_failure(migration, elapsed_ms(start), error, up && known);
    }
    const Outcome outcome = Outcome::of(migration.file, elapsed_ms(start), rows);
    // A program that got the stop and still finished its work is recorded as it did, and listed;
    // the next apply() sees the stop, and main() exits 130/143 all the same.
    finish(migration, outcome, up, started_at, std::nullopt);
    return outcome;
}

Outcome Runner::run_batched(const LoadedMigration& migration, const std::optional<HistoryRow>& interrupted) {
    const auto start = SteadyClock::now();
    // Each batch commits on its own, so the row says `running` until the last one has run,
    // and carries the checkpoint and the rows so far: a stopped run resumes (SPEC §2).
    HistoryRow row = row_for(migration, interrupted ? interrupted->started_at : clock_.next());
    row.status = RowStatus::running;
    if (interrupted) {
        row.rows_affected = interrupted->rows_affected;
        row.batch_cursor = interrupted->batch_cursor;
        spdlog::info("resuming {}{}", migration.file.label(),
                     row.batch_cursor ? " from key " + *row.batch_cursor : std::string());
    } else {
        spdlog::info("applying {}", migration.file.label());
    }
    row.rows_affected = row.rows_affected.value_or(0);
    db_.save_row(row);

    const auto retry_event = [&](const std::string& error, std::chrono::milliseconds took) {
        return Event{migration.file.version,
                     migration.file.phase,
                     EventKind::retry,
                     clock_.next(),
                     settings_.operator_name,
                     context_,
                     took.count(),
                     std::nullopt,
                     error};
    };
    BatchRun run(db_, settings_, migration, progress_, retry_event, deadline_);
    BatchStats stats;
    try {
        stats = run.run(row);
        if (!stats.left_partial) verify(migration);
    } catch (const Error& error) {
        // Finished batches stay committed with their checkpoint, and the row stays `running`:
        // the next migrate resumes after the last of them instead of starting over. Before the
        // first, there is nothing to resume and nothing is left behind but the `fail` event;
        // a lost connection may hide a commit that happened, so it keeps the row, and so does
        // a batch that failed transiently until its retries ran out (SPEC §2: it resumes).
        const bool nothing_done =
            !any_batch_committed(row) && error.code() != Exit::unavailable && !run.gave_up_retrying();
        record_failure(migration, elapsed_ms(start), error, nothing_done);
    }

    Outcome outcome = Outcome::of(migration.file, elapsed_ms(start), row.rows_affected);
    outcome.batches = stats;
    outcome.batch_cursor = row.batch_cursor;
    outcome.partial = stats.left_partial;
    if (outcome.partial) {
        // Its row stays `running` with the checkpoint of the last batch: the next migrate
        // resumes it (SPEC §2). Nothing else to record; verify waits for the last batch.
        spdlog::info("{} stays partial ({}); the next migrate resumes it from its checkpoint", migration.file.label(),
                     *outcome.partial == PartialReason::paused ? "paused by datamig pause" : "time budget spent");
        return outcome;
    }
    finish(migration, outcome, true, row.started_at, row.batch_cursor);
    return outcome;
}

void Runner::finish(const LoadedMigration& migration, const Outcome& outcome, bool up, const std::string& started_at,
                    const std::optional<std::string>& batch_cursor) {
    const std::string finished_at = clock_.next();
    const Event event{outcome.version,     outcome.phase,           up ? EventKind::apply : EventKind::rollback,
                      finished_at,         settings_.operator_name, context_,
                      outcome.duration_ms, outcome.rows_affected,   std::nullopt};
    if (!up) {
        db_.record_removal(event);
        return;
    }
    HistoryRow row = row_for(migration, started_at);
    row.finished_at = finished_at;
    row.duration_ms = outcome.duration_ms;
    row.rows_affected = outcome.rows_affected;
    row.batch_cursor = batch_cursor;
    db_.record(row, event);
}

MigrationFailed statement_failure(const LoadedMigration& migration, const Section& section, const SqlError& error) {
    const int line = error.line() > 0 ? section.first_line() + error.line() - 1 : section.marker_line;
    return MigrationFailed(fmt::format("{}:{}: {}", migration.file.path, line, error.what()));
}

std::int64_t Runner::run_section(const LoadedMigration& migration, const Section& section, std::string_view sql) {
    try {
        return db_.execute(sql);
    } catch (const SqlError& error) {
        throw statement_failure(migration, section, error);
    }
}

std::optional<std::string> verify_failure_of(Database& db, const LoadedMigration& migration) {
    if (!migration.script || !migration.script->verify) return std::nullopt;
    const Section& section = *migration.script->verify;
    // A verify section holding only comments (as generated) checks nothing.
    const auto statements = split_statements(section.sql);
    if (statements.empty()) return std::nullopt;
    const int line = section.first_line() + statements.front().first_line - 1;
    if (statements.size() > 1) {
        throw MigrationFailed(fmt::format("{}:{}: verify must be a single query", migration.file.path, line));
    }
    QueryAnswer answer;
    try {
        answer = db.query_answer(statements.front().text);
    } catch (const SqlError& error) {
        throw MigrationFailed(fmt::format("{}:{}: verify: {}", migration.file.path, line, error.what()));
    }
    if (const auto failure = verify_failure(answer)) {
        return fmt::format("{}:{}: verify failed: {}", migration.file.path, line, *failure);
    }
    return std::nullopt;
}

bool has_verify(const LoadedMigration& migration) {
    return migration.script && migration.script->verify && !split_statements(migration.script->verify->sql).empty();
}

void Runner::verify(const LoadedMigration& migration) {
    if (const auto failure = verify_failure_of(db_, migration)) throw MigrationFailed(*failure);
}

void Runner::run_program(const LoadedMigration& migration, bool up) {
    const ExecRequest request = migration_request(migration.file, up, settings_);
    const ExecResult result = run_process(request);
    if (!succeeded(result))
        throw MigrationFailed(fmt::format("{}: {}", migration.file.path, describe(result, request)));
}

HistoryRow Runner::row_for(const LoadedMigration& migration, const std::string& started_at) const {
    HistoryRow row;
    row.version = migration.file.version;
    row.phase = migration.file.phase;
    row.name = migration.file.name;
    row.checksum = migration.checksum;
    row.started_at = started_at;
    row.operator_name = settings_.operator_name;
    row.context = context_;
    return row;
}

void Runner::record_failure(const LoadedMigration& migration, std::int64_t duration_ms, const Error& error,
                            bool delete_row) {
    const MigrationFile& file = migration.file;
    // Every failure names its migration: a statement's error already does (with its line), a
    // rejected bookkeeping write does not.
    const std::string_view what = error.what();
    const std::string message =
        what.substr(0, file.path.size()) == file.path ? std::string(what) : file.path + ": " + std::string(what);
    const Event event{file.version, file.phase,  EventKind::fail, clock_.next(), settings_.operator_name,
                      context_,     duration_ms, std::nullopt,    message};
    if (delete_row) {
        db_.record_removal(event);
    } else {
        db_.append_event(event);
    }
    // The event is on record; a stop is reported as a stop, everything else as a failure.
    throw_if_stopped();
    if (error.code() == Exit::failed) throw MigrationFailed(message);
    throw Error(error.code(), message);
}

}  // namespace datamig
