#include "datamig/commands.hpp"

#include <unistd.h>
#include <algorithm>
#include <functional>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "datamig/catalog.hpp"
#include "datamig/check.hpp"
#include "datamig/check_db.hpp"
#include "datamig/database.hpp"
#include "datamig/duration.hpp"
#include "datamig/generate.hpp"
#include "datamig/planner.hpp"
#include "datamig/progress.hpp"
#include "datamig/rehearsal.hpp"
#include "datamig/report.hpp"
#include "datamig/runner.hpp"
#include "datamig/session.hpp"
#include "datamig/status.hpp"
#include "datamig/stop.hpp"
#include "datamig/version_lookup.hpp"

namespace datamig {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Loads the files a run will execute and refuses the whole run if any is invalid. Warnings (such
// as DDL in a data migration) do not stop it and are check's to list: the run only counts them.
std::vector<LoadedMigration> load_runnable(std::vector<MigrationFile> files) {
    std::vector<LoadedMigration> loaded = load_migrations(std::move(files), Load::full);
    const Findings findings = findings_of(loaded);
    require_no_errors(findings, "invalid migration files, nothing was run (run datamig check)");
    log_warning_count(findings, "in the migrations to run");
    return loaded;
}

Outcome planned(const MigrationFile& file) { return Outcome::of(file, 0, std::nullopt); }

void refuse_github_format(const Settings& settings) {
    if (settings.format == OutputFormat::github) throw UsageError("--format github is for check only");
}

// A batch migration's `running` row resumes where it stopped; any other needs `datamig resolve`.
bool resumes(const MigrationFile& file) { return is_resumable(load_migration(file, Load::summary)); }

// Runs the plan in order and prints what was done. The first failure stops the run, but what
// succeeded before it is still printed, and JSON output is always one document: a script
// reading it must learn what happened. A step that returns nothing, or a migration left partial
// (time budget, pause), ends the run there: later migrations may depend on it.
using Step = std::function<std::optional<Outcome>(const LoadedMigration&)>;
void run_in_order(std::ostream& out, const std::vector<LoadedMigration>& plan, const Step& step, Direction direction,
                  OutputFormat format) {
    std::vector<Outcome> outcomes;
    try {
        for (const auto& migration : plan) {
            auto outcome = step(migration);
            if (!outcome) break;
            outcomes.push_back(std::move(*outcome));
            if (outcomes.back().partial) break;
        }
    } catch (const Error&) {
        if (!outcomes.empty() || format == OutputFormat::json) print_outcomes(out, outcomes, direction, false, format);
        throw;
    }
    print_outcomes(out, outcomes, direction, false, format);
}

Exit run_generate(const Invocation& invocation) {
    const CommandOptions& options = invocation.options;
    const GenerateRequest request{options.name, options.phase, options.kind == "exec" ? Kind::exec : Kind::sql,
                                  !options.batch             ? BatchMode::none
                                  : *options.batch == "loop" ? BatchMode::loop
                                                             : BatchMode::range};
    *invocation.out << generate_migration(invocation.settings, request, std::chrono::system_clock::now()).string()
                    << '\n';
    return Exit::ok;
}

// A `running` batch migration not started in this run (time budget spent, paused): listed as
// partial, as it stands.
Outcome left_partial(const LoadedMigration& migration, const HistoryRow& row, PartialReason reason) {
    Outcome outcome = Outcome::of(migration.file, 0, row.rows_affected);
    outcome.batch_cursor = row.batch_cursor;
    outcome.partial = reason;
    return outcome;
}

Exit run_migrate(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    const CommandOptions& options = invocation.options;
    // --time-budget counts from the start of the run, waiting for the lock included: a Job's
    // deadline does.
    const auto deadline =
        settings.time_budget ? std::make_optional(SteadyClock::now() + *settings.time_budget) : std::nullopt;
    refuse_github_format(settings);
    const MigrateRequest request{options.phase, options.only, options.target, options.limit, resumes};

    // 1. Read the tree first: an invalid tree must stop the run before anything changes.
    const Catalog catalog = list_migrations(settings.dir, settings.phases);
    require_no_errors(catalog.findings, "invalid migrations tree, nothing was applied (run datamig check)");

    // 2. Connect and take the runner lock before reading history, so each migration runs exactly
    //    once however many runners start. A dry run changes nothing: no lock, nothing created.
    Session session(settings, access_for(options.dry_run, options.rehearse));
    Database& db = session.db();

    // 3. Ask the replicas once: --max-replica-lag on a database without standbys to measure
    //    (SQLite) is refused before anything changes, not at the first batch.
    if (settings.max_replica_lag) db.replicas_lag_behind(*settings.max_replica_lag);

    // 4. Read what planning needs of the history.
    const std::vector<HistoryRow> history = db.read_history(Database::Detail::plan);

    // 5. Plan and load everything before the first migration runs, so that a refusal (collision,
    //    interrupted row, invalid file) leaves nothing half-done.
    const auto plan = load_runnable(plan_migrate(catalog, history, settings.phases, request));

    // 6. A rehearsal runs the plan for real and rolls it back; a dry run ends with the plan.
    if (options.rehearse) {
        const auto rehearsals = rehearse(db, settings, plan, history);
        print_rehearsals(*invocation.out, rehearsals, settings.format);
        const bool failed = std::any_of(rehearsals.begin(), rehearsals.end(), [](const Rehearsal& rehearsal) {
            return rehearsal.result == Rehearsal::Result::failed;
        });
        return failed ? Exit::failed : Exit::ok;
    }
    if (options.dry_run) {
        std::vector<Outcome> outcomes;
        for (const auto& migration : plan) outcomes.push_back(planned(migration.file));
        print_outcomes(*invocation.out, outcomes, Direction::up, true, settings.format);
        return Exit::ok;
    }

    // 7. Apply in order; the first failure stops the run (later migrations may depend on it).
    //    A batch migration with a `running` row resumes from its checkpoint.
    //    None starts once the time budget is spent, and a paused one is not started: the run
    //    stops there, listing a started batch migration as partial.
    Runner runner(db, settings, progress_listener(settings), deadline);
    const Step apply = [&](const LoadedMigration& migration) -> std::optional<Outcome> {
        const HistoryRow* row = find_version(history, migration.file.version);
        const auto interrupted =
            row != nullptr && row->status == RowStatus::running ? std::make_optional(*row) : std::nullopt;
        if (deadline && SteadyClock::now() >= *deadline) {
            spdlog::info("time budget of {} spent: {} and later migrations wait for the next run",
                         format_duration(*settings.time_budget), migration.file.label());
            if (!interrupted) return std::nullopt;
            return left_partial(migration, *interrupted, PartialReason::time_budget);
        }
        if (interrupted && interrupted->paused_at) {
            spdlog::info("{} is paused (since {}): the run stops here; `datamig resume {}` lets it continue",
                         migration.file.label(), *interrupted->paused_at, migration.file.version);
            return left_partial(migration, *interrupted, PartialReason::paused);
        }
        return runner.apply(migration, interrupted);
    };
    run_in_order(*invocation.out, plan, apply, Direction::up, settings.format);
    return Exit::ok;
}

Exit run_status(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    refuse_github_format(settings);
    require_known_phase(settings.phases, invocation.options.phase);

    // A tree with invalid files is refused as migrate refuses it: listing what is left would
    // show fewer pending migrations than there are, and "no migrations yet" for a tree of them.
    Catalog catalog = list_migrations(settings.dir, settings.phases);
    const auto files = load_migrations(std::move(catalog.files), Load::summary);
    const Findings findings = check_tree(std::move(catalog.findings), files, std::nullopt);
    require_no_errors(findings, "invalid migrations tree, no status shown (run datamig check)");
    log_warning_count(findings, "about the migrations tree");

    const auto db = open_database(settings, Access::read_only);
    const std::vector<HistoryRow> history = db->read_history();
    auto status = compute_status(files, history, settings.phases);
    if (const auto& phase = invocation.options.phase) {
        status.erase(
            std::remove_if(status.begin(), status.end(), [&](const StatusEntry& e) { return e.phase != *phase; }),
            status.end());
    }
    print_status(
        *invocation.out, status, settings.format,
        settings.format == OutputFormat::text && isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr);

    const bool unfinished = std::any_of(status.begin(), status.end(), [](const StatusEntry& e) {
        return e.state == State::pending || e.state == State::partial || e.state == State::paused;
    });
    return invocation.options.exit_code && unfinished ? Exit::failed : Exit::ok;
}

Exit run_rollback(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    const CommandOptions& options = invocation.options;
    refuse_github_format(settings);
    require_known_phase(settings.phases, options.phase);
    const RollbackRequest request{options.phase, options.steps, options.to, options.only};
    const Catalog catalog = list_migrations(settings.dir, settings.phases);

    // 1. Lock before reading history, as migrate does (a dry run only reads).
    Session session(settings, access_for(options.dry_run));
    const auto rows = plan_rollback(session.db().read_history(), request);

    // 2. Every migration of the plan must have its file and a way down before any runs,
    //    so a rollback is refused whole rather than stopping halfway.
    std::vector<MigrationFile> files;
    for (const auto& row : rows) {
        const MigrationFile* file = find_version(catalog.files, row.version);
        if (file == nullptr) {
            throw InvalidInput(fmt::format("cannot roll back {} {}/{}: its file is missing; nothing was rolled back",
                                           row.version, row.phase.value_or("?"), row.name.value_or("?")));
        }
        files.push_back(*file);
    }
    const auto plan = load_runnable(files);
    for (const auto& migration : plan) Runner::require_reversible(migration);

    if (options.dry_run) {
        std::vector<Outcome> outcomes;
        std::transform(files.begin(), files.end(), std::back_inserter(outcomes), planned);
        print_outcomes(*invocation.out, outcomes, Direction::down, true, settings.format);
        return Exit::ok;
    }

    // 3. Roll back, latest applied first.
    Runner runner(session.db(), settings);
    run_in_order(
        *invocation.out, plan, [&](const LoadedMigration& migration) { return runner.roll_back(migration); },
        Direction::down, settings.format);
    return Exit::ok;
}

Exit run_check(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    // 1. Every file-system rule, all findings collected before deciding.
    Catalog catalog = list_migrations(settings.dir, settings.phases);
    const std::size_t files_checked = catalog.files_checked;
    const auto files = load_migrations(std::move(catalog.files), Load::findings);
    Findings findings = check_tree(std::move(catalog.findings), files, settings.schema_dir);

    // 2. Only with --db does check connect; CI runs it without a database.
    if (invocation.options.use_db) {
        const auto db = open_database(settings, Access::read_only);
        const std::vector<HistoryRow> history = db->read_history();
        const Findings drift = check_history(compute_status(files, history, settings.phases));
        findings.insert(findings.end(), drift.begin(), drift.end());
        const Findings keys = check_batch_keys(files, *db);  // batch:range keys against the catalog
        findings.insert(findings.end(), keys.begin(), keys.end());
    }
    if (invocation.options.strict) make_strict(findings);
    print_findings(*invocation.out, findings, settings.format, files_checked);
    return has_errors(findings) ? Exit::failed : Exit::ok;
}

Exit run_resolve(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    if (invocation.options.mark_applied == invocation.options.mark_pending) {
        throw UsageError("resolve needs --applied or --pending");
    }
    const std::string& version = invocation.options.version;
    Session session(settings, Access::read_write);
    const auto history = session.db().read_history();
    const HistoryRow* row = find_version(history, version);
    if (row == nullptr || row->status != RowStatus::running) {
        throw InvalidInput(fmt::format("{} is not an interrupted migration ({}); only `running` rows can be resolved",
                                       version, row == nullptr ? "no row" : "it is applied"));
    }
    Runner(session.db(), settings).resolve(*row, invocation.options.mark_applied);
    print_resolution(*invocation.out, version, invocation.options.mark_applied, settings.format);
    return Exit::ok;
}

// pause and resume (SPEC §2): the mark and its event are one write, made without the runner
// lock, which the runner they address holds; it notices before its next batch.
Exit run_pause_or_resume(const Invocation& invocation, bool pause) {
    const Settings& settings = invocation.settings;
    const std::string& version = invocation.options.version;
    const char* verb = pause ? "paused" : "resumed";
    // 1. Only a batch migration that has started can be paused: its file says whether it is
    //    batched, its row whether it has started.
    const Catalog catalog = list_migrations(settings.dir, settings.phases);
    const MigrationFile* file = find_version(catalog.files, version);
    Session session(settings, Access::write_unlocked);
    const auto history = session.db().read_history();
    const HistoryRow* row = find_version(history, version);
    const char* refusal = file == nullptr                     ? "no migration file has that version"
                          : row == nullptr                    ? "it has not started"
                          : row->status != RowStatus::running ? "it is applied"
                          : !resumes(*file)                   ? "it is not a batch migration"
                                                              : nullptr;
    if (refusal != nullptr) {
        throw UsageError(
            fmt::format("{} cannot be {}: {}; only a batch migration that has started (running or "
                        "partial) can be paused or resumed",
                        version, verb, refusal));
    }
    // 2. Mark it, unless it already is as asked: repeating a pause changes nothing.
    if (row->paused_at.has_value() == pause) {
        spdlog::info("{} is already {}", file->label(), pause ? "paused" : "not paused");
    } else {
        const std::string now = RowClock().next();
        const Event event{version,
                          file->phase,
                          pause ? EventKind::pause : EventKind::resume,
                          now,
                          settings.operator_name,
                          context_json(settings),
                          std::nullopt,
                          std::nullopt,
                          std::nullopt};
        session.db().set_paused(version, pause ? std::make_optional(now) : std::nullopt, event);
        spdlog::info(
            "{} {}{}", file->label(), verb,
            pause ? "; a runner working on it stops before its next batch" : "; the next migrate continues it");
    }
    print_mark(*invocation.out, version, pause, settings.format);
    return Exit::ok;
}

Exit run_pause(const Invocation& invocation) { return run_pause_or_resume(invocation, true); }
Exit run_resume(const Invocation& invocation) { return run_pause_or_resume(invocation, false); }

// --- the command table -----------------------------------------------------------------------

void add_phase(CLI::App& app, CommandOptions& options) { app.add_option("--phase", options.phase, "only this phase"); }

void generate_options(CLI::App& app, CommandOptions& options, SettingFlags&) {
    app.add_option("NAME", options.name, "what the migration does, e.g. BackfillUserRoles")->required();
    app.add_option("--phase", options.phase, "phase folder (default: the first phase)");
    app.add_option("--kind", options.kind, "sql or exec")->check(CLI::IsMember({"sql", "exec"}));
    app.add_option("--batch", options.batch, "loop or range: a batched SQL template")
        ->check(CLI::IsMember({"loop", "range"}));
}

void migrate_options(CLI::App& app, CommandOptions& options, SettingFlags& settings) {
    add_phase(app, options);
    app.add_option("--only", options.only, "apply just this pending version");
    app.add_option("--target", options.target, "stop after this version");
    app.add_option("--limit", options.limit, "apply at most N migrations");
    app.add_flag("--dry-run", options.dry_run, "print the plan, change nothing");
    app.add_flag("--rehearse", options.rehearse,
                 "run the planned SQL migrations and roll each back, reporting rows and verify")
        ->excludes("--dry-run");
    settings.add(app, migrate_setting_flags);
}

void status_options(CLI::App& app, CommandOptions& options, SettingFlags&) {
    add_phase(app, options);
    app.add_flag("--exit-code", options.exit_code, "exit 1 when anything is pending, partial or paused");
}

void rollback_options(CLI::App& app, CommandOptions& options, SettingFlags&) {
    add_phase(app, options);
    app.add_option("--steps", options.steps, "how many to roll back (default 1)");
    app.add_option("--to", options.to, "roll back everything applied after this version");
    app.add_option("--only", options.only, "roll back just this version");
    app.add_flag("--dry-run", options.dry_run, "print the plan, change nothing");
}

void check_options(CLI::App& app, CommandOptions& options, SettingFlags& settings) {
    app.add_flag("--db", options.use_db, "also compare with the history table");
    app.add_flag("--strict", options.strict, "warnings are errors");
    settings.add(app, check_setting_flags);
}

void resolve_options(CLI::App& app, CommandOptions& options, SettingFlags&) {
    app.add_option("VERSION", options.version, "the interrupted version")->required();
    auto* applied = app.add_flag("--applied", options.mark_applied, "it did its work: mark it applied");
    auto* pending = app.add_flag("--pending", options.mark_pending, "it did not: delete its row so it runs again");
    applied->excludes(pending);
}

void version_option(CLI::App& app, CommandOptions& options, SettingFlags&) {
    app.add_option("VERSION", options.version, "a batch migration that has started")->required();
}

}  // namespace

const std::vector<Command>& command_table() {
    static const std::vector<Command> commands = {
        {"generate", "write a new migration from a template and print its path", generate_options, run_generate,
         PerTarget::once},
        {"migrate", "apply pending migrations", migrate_options, run_migrate, PerTarget::each},
        {"status", "list migrations and their state", status_options, run_status, PerTarget::each},
        {"rollback", "run `down` of the most recently applied migrations", rollback_options, run_rollback,
         PerTarget::each},
        {"check", "validate the migrations tree (for CI)", check_options, run_check, PerTarget::each_with_db},
        {"resolve", "settle an interrupted (running) migration", resolve_options, run_resolve, PerTarget::each},
        {"pause", "stop a running batch migration before its next batch, until resumed", version_option, run_pause,
         PerTarget::refused},
        {"resume", "let a paused batch migration continue", version_option, run_resume, PerTarget::refused},
    };
    return commands;
}

}  // namespace datamig
