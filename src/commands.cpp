#include "datamig/commands.hpp"

#include <algorithm>
#include <functional>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/catalog.hpp"
#include "datamig/check.hpp"
#include "datamig/database.hpp"
#include "datamig/duration.hpp"
#include "datamig/generate.hpp"
#include "datamig/planner.hpp"
#include "datamig/progress.hpp"
#include "datamig/report.hpp"
#include "datamig/runner.hpp"
#include "datamig/status.hpp"
#include "datamig/stop.hpp"

namespace datamig {
namespace {

using SteadyClock = std::chrono::steady_clock;

enum class Access { read_only, read_write };

// --wait: a Kubernetes Job often starts before its database accepts connections.
std::unique_ptr<Database> open_database(const Settings& settings, Access access) {
    const ConnectOptions options{settings.table, settings.statement_timeout, access == Access::read_only};
    const auto deadline = SteadyClock::now() + settings.wait_timeout;
    auto next_report = SteadyClock::now();
    for (;;) {
        try {
            return connect(settings.database_url, options);
        } catch (const Unavailable& error) {
            if (!settings.wait || SteadyClock::now() >= deadline) throw;
            if (SteadyClock::now() >= next_report) {
                spdlog::info("database not reachable yet, retrying for up to {}: {}", format_duration(settings.wait_timeout),
                             error.what());
                next_report = SteadyClock::now() + std::chrono::seconds(10);
            }
            sleep_unless_stopped(std::chrono::milliseconds(500));
        }
    }
}

// Loads the files a run will execute and refuses the whole run if any is invalid; warnings
// (such as DDL in a data migration) are logged and do not stop it.
std::vector<LoadedMigration> load_runnable(std::vector<MigrationFile> files) {
    std::vector<LoadedMigration> loaded = load_migrations(std::move(files), Load::full);
    Findings findings;
    for (const auto& migration : loaded) findings.insert(findings.end(), migration.findings.begin(), migration.findings.end());
    require_no_errors(findings, "invalid migration files, nothing was applied (run datamig check)");
    for (const auto& finding : findings) spdlog::warn("{}", describe(finding));
    return loaded;
}

Outcome planned(const MigrationFile& file) { return {file.version, file.phase, file.name, 0, std::nullopt}; }

void refuse_github_format(const Settings& settings) {
    if (settings.format == OutputFormat::github) throw UsageError("--format github is for check only");
}

// Interrupted rows of exec and transaction:false migrations need an operator's judgement
// (SPEC §6); a batch migration's row resumes instead.
void refuse_interrupted(const std::vector<HistoryRow>& history, const Catalog& catalog,
                        const std::optional<std::string>& phase) {
    std::vector<std::string> blocking;
    for (const auto& row : running_rows(history, phase)) {
        const auto file = std::find_if(catalog.files.begin(), catalog.files.end(),
                                       [&](const MigrationFile& f) { return f.version == row.version; });
        if (file != catalog.files.end() && is_resumable(load_migration(*file, Load::summary))) continue;
        blocking.push_back(fmt::format("{} {}/{} (running since {})", row.version, row.phase.value_or("?"),
                                       row.name.value_or("?"), row.started_at));
    }
    if (blocking.empty()) return;
    throw Blocked(fmt::format("interrupted migration{} must be settled first: {}. Check what it did, then run "
                              "`datamig resolve VERSION --applied` (it finished) or `--pending` (run it again)",
                              blocking.size() == 1 ? "" : "s", fmt::join(blocking, "; ")));
}

// Runs the plan in order and prints what was done. The first failure stops the run, but what
// succeeded before it is still printed, and JSON output is always one document: a script
// reading it must learn what happened.
using Step = std::function<Outcome(const LoadedMigration&)>;
void run_in_order(const std::vector<LoadedMigration>& plan, const Step& step, Direction direction, OutputFormat format) {
    std::vector<Outcome> outcomes;
    try {
        for (const auto& migration : plan) outcomes.push_back(step(migration));
    } catch (const Error&) {
        if (!outcomes.empty() || format == OutputFormat::json) print_outcomes(std::cout, outcomes, direction, false, format);
        throw;
    }
    print_outcomes(std::cout, outcomes, direction, false, format);
}

}  // namespace

Exit run_generate(const Invocation& invocation) {
    const CommandOptions& options = invocation.options;
    const GenerateRequest request{options.name, options.phase, options.kind == "exec" ? Kind::exec : Kind::sql,
                                  !options.batch ? BatchMode::none
                                  : *options.batch == "loop" ? BatchMode::loop
                                                             : BatchMode::range};
    std::cout << generate_migration(invocation.settings, request, std::chrono::system_clock::now()).string() << '\n';
    return Exit::ok;
}

Exit run_migrate(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    const CommandOptions& options = invocation.options;
    refuse_github_format(settings);
    const MigrateRequest request{options.phase, options.only, options.target, options.limit};

    // 1. Read the tree first: an invalid tree must stop the run before anything changes.
    const Catalog catalog = list_migrations(settings.dir, settings.phases);
    require_no_errors(catalog.findings, "invalid migrations tree, nothing was applied (run datamig check)");

    // 2. A dry run changes nothing: no lock, no history table created.
    if (options.dry_run) {
        const auto db = open_database(settings, Access::read_only);
        const auto history = db->read_history(Database::Detail::plan);
        refuse_interrupted(history, catalog, options.phase);
        const auto plan = plan_migrate(catalog, history, settings.phases, request);
        load_runnable(plan);
        std::vector<Outcome> outcomes;
        std::transform(plan.begin(), plan.end(), std::back_inserter(outcomes), planned);
        print_outcomes(std::cout, outcomes, Direction::up, true, settings.format);
        return Exit::ok;
    }

    // 3. Connect and take the runner lock before reading history: concurrent runners then see
    //    each other's work, and each migration runs exactly once.
    const auto db = open_database(settings, Access::read_write);
    const OnStop cancel_statement([&db] { db->interrupt(); });
    const RunnerLock lock(*db, settings.lock_wait);
    db->ensure_history();
    const std::vector<HistoryRow> history = db->read_history(Database::Detail::plan);

    // 4. Plan and validate everything before the first migration runs.
    refuse_interrupted(history, catalog, options.phase);
    const auto plan = load_runnable(plan_migrate(catalog, history, settings.phases, request));

    // 5. Apply in order; the first failure stops the run (later migrations may depend on it).
    //    A batch migration with a `running` row resumes from its checkpoint.
    const auto interrupted = running_rows(history, options.phase);
    Runner runner(*db, settings, progress_listener(settings));
    const Step apply = [&](const LoadedMigration& migration) {
        const auto row = std::find_if(interrupted.begin(), interrupted.end(),
                                      [&](const HistoryRow& r) { return r.version == migration.file.version; });
        return runner.apply(migration, row == interrupted.end() ? std::nullopt : std::make_optional(*row));
    };
    run_in_order(plan, apply, Direction::up, settings.format);
    return Exit::ok;
}

Exit run_status(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    refuse_github_format(settings);
    require_known_phase(settings.phases, invocation.options.phase);

    // Status shows what it can: an invalid file is reported, not a reason to show nothing.
    Catalog catalog = list_migrations(settings.dir, settings.phases);
    for (const auto& finding : catalog.findings) spdlog::warn("{}", describe(finding));
    const auto files = load_migrations(std::move(catalog.files), Load::summary);

    const auto db = open_database(settings, Access::read_only);
    const std::vector<HistoryRow> history = db->read_history();
    auto status = compute_status(files, history, settings.phases);
    if (const auto& phase = invocation.options.phase) {
        status.erase(std::remove_if(status.begin(), status.end(), [&](const StatusEntry& e) { return e.phase != *phase; }),
                     status.end());
    }
    print_status(std::cout, status, settings.format, settings.format == OutputFormat::text && isatty(STDOUT_FILENO) != 0 &&
                                                        std::getenv("NO_COLOR") == nullptr);

    const bool unfinished = std::any_of(status.begin(), status.end(), [](const StatusEntry& e) {
        return e.state == State::pending || e.state == State::partial;
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
    const auto db = open_database(settings, options.dry_run ? Access::read_only : Access::read_write);
    const OnStop cancel_statement([&db] { db->interrupt(); });
    std::optional<RunnerLock> lock;
    if (!options.dry_run) {
        lock.emplace(*db, settings.lock_wait);
        db->ensure_history();
    }
    const auto rows = plan_rollback(db->read_history(), request);

    // 2. Every migration of the plan must have its file and a way down before any runs,
    //    so a rollback is refused whole rather than stopping halfway.
    std::vector<MigrationFile> files;
    for (const auto& row : rows) {
        const auto file = std::find_if(catalog.files.begin(), catalog.files.end(),
                                       [&](const MigrationFile& f) { return f.version == row.version; });
        if (file == catalog.files.end()) {
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
        print_outcomes(std::cout, outcomes, Direction::down, true, settings.format);
        return Exit::ok;
    }

    // 3. Roll back, latest applied first.
    Runner runner(*db, settings);
    run_in_order(plan, [&](const LoadedMigration& migration) { return runner.roll_back(migration); }, Direction::down,
                 settings.format);
    return Exit::ok;
}

Exit run_check(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    // 1. Every file-system rule, all findings collected before deciding.
    Catalog catalog = list_migrations(settings.dir, settings.phases);
    const auto files = load_migrations(std::move(catalog.files), Load::findings);
    Findings findings = check_tree(std::move(catalog.findings), files, settings.schema_dir);

    // 2. Only with --db does check connect; CI runs it without a database.
    if (invocation.options.use_db) {
        const auto db = open_database(settings, Access::read_only);
        const std::vector<HistoryRow> history = db->read_history();
        const Findings drift = check_history(compute_status(files, history, settings.phases));
        findings.insert(findings.end(), drift.begin(), drift.end());
    }
    if (invocation.options.strict) make_strict(findings);
    print_findings(std::cout, findings, settings.format, files.size());
    return has_errors(findings) ? Exit::failed : Exit::ok;
}

Exit run_resolve(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    const std::string& version = invocation.options.version;
    const auto db = open_database(settings, Access::read_write);
    const RunnerLock lock(*db, settings.lock_wait);
    db->ensure_history();
    const auto history = db->read_history();
    const auto row = std::find_if(history.begin(), history.end(), [&](const HistoryRow& r) { return r.version == version; });
    if (row == history.end() || row->status != RowStatus::running) {
        throw InvalidInput(fmt::format("{} is not an interrupted migration ({}); only `running` rows can be resolved",
                                       version, row == history.end() ? "no row" : "it is applied"));
    }
    Runner(*db, settings).resolve(*row, invocation.options.mark_applied);
    print_resolution(std::cout, version, invocation.options.mark_applied, settings.format);
    return Exit::ok;
}

}  // namespace datamig
