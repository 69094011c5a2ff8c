#include "datamig/planner.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "datamig/error.hpp"
#include "datamig/settings.hpp"
#include "datamig/version_lookup.hpp"

namespace datamig {
namespace {

std::map<std::string, const HistoryRow*> index_by_version(const std::vector<HistoryRow>& history) {
    std::map<std::string, const HistoryRow*> rows;
    for (const auto& row : history) rows.emplace(row.version, &row);
    return rows;
}

// A version is recorded once for the whole database (SPEC §5); a file that reuses a version
// recorded under another phase or name would silently never run.
void refuse_collisions(const Catalog& catalog, const std::map<std::string, const HistoryRow*>& rows) {
    Findings collisions;
    for (const auto& file : catalog.files) {
        const auto found = rows.find(file.version);
        if (found == rows.end() || found->second->adopted()) continue;
        const HistoryRow& row = *found->second;
        if (row.phase == file.phase && row.name == file.name) continue;
        collisions.push_back({Severity::error, file.path, 0, "version-collision",
                              fmt::format("version {} is already recorded as {}/{}; give this migration a new "
                                          "version (datamig generate)",
                                          file.version, row.phase.value_or("?"), row.name.value_or("?"))});
    }
    require_no_errors(collisions, "version collision with the history table");
}

std::size_t position_of(const Catalog& catalog, const std::string& version, const char* flag) {
    const MigrationFile* found = find_version(catalog.files, version);
    if (found == nullptr) throw InvalidInput(fmt::format("{}: no migration file has version {}", flag, version));
    return static_cast<std::size_t>(found - catalog.files.data());
}

// A `running` row is not settled: what reaches the plan is a batch migration that resumes, as
// refuse_interrupted refused the interrupted rows that need an operator.
bool is_settled(const std::map<std::string, const HistoryRow*>& rows, const std::string& version) {
    const auto found = rows.find(version);
    return found != rows.end() && found->second->status != RowStatus::running;
}

bool in_phase(const std::optional<std::string>& wanted, const std::optional<std::string>& phase) {
    return !wanted || wanted == phase;
}

// Interrupted rows of exec and transaction:false migrations need an operator's judgement
// (SPEC §6); a batch migration's row resumes instead.
void refuse_interrupted(const Catalog& catalog, const std::vector<HistoryRow>& history, const MigrateRequest& request) {
    std::vector<std::string> blocking;
    for (const auto& row : running_rows(history, request.phase)) {
        const MigrationFile* file = find_version(catalog.files, row.version);
        if (file != nullptr && request.resumable && request.resumable(*file)) continue;
        blocking.push_back(fmt::format("{} {}/{} (running since {})", row.version, row.phase.value_or("?"),
                                       row.name.value_or("?"), row.started_at));
    }
    if (blocking.empty()) return;
    throw Blocked(
        fmt::format("interrupted migration{} must be settled first: {}. Check what it did, then run "
                    "`datamig resolve VERSION --applied` (it finished) or `--pending` (run it again)",
                    blocking.size() == 1 ? "" : "s", fmt::join(blocking, "; ")));
}

}  // namespace

std::vector<MigrationFile> plan_migrate(const Catalog& catalog, const std::vector<HistoryRow>& history,
                                        const std::vector<std::string>& phases, const MigrateRequest& request) {
    require_known_phase(phases, request.phase);
    if (request.limit && *request.limit < 1) throw UsageError("--limit must be at least 1");
    const auto rows = index_by_version(history);
    refuse_collisions(catalog, rows);
    refuse_interrupted(catalog, history, request);

    const std::size_t only_position = request.only ? position_of(catalog, *request.only, "--only") : 0;
    const std::size_t last_position =
        request.target ? position_of(catalog, *request.target, "--target") : catalog.files.size();

    std::vector<MigrationFile> plan;
    for (std::size_t i = 0; i < catalog.files.size() && i <= last_position; ++i) {
        const MigrationFile& file = catalog.files[i];
        if (!in_phase(request.phase, file.phase) || is_settled(rows, file.version)) continue;
        if (request.only && i != only_position) continue;
        if (request.limit && plan.size() >= static_cast<std::size_t>(*request.limit)) break;
        plan.push_back(file);
    }
    return plan;
}

std::vector<HistoryRow> plan_rollback(const std::vector<HistoryRow>& history, const RollbackRequest& request) {
    const int selectors = int{request.steps.has_value()} + int{request.to.has_value()} + int{request.only.has_value()};
    if (selectors > 1) throw UsageError("use only one of --steps, --to and --only");
    if (request.steps && *request.steps < 1) throw UsageError("--steps must be at least 1");

    // Apply order, latest first: rollback undoes what was done last, whatever its version.
    std::vector<HistoryRow> applied;
    for (const auto& row : history) {
        if (row.status == RowStatus::applied && !row.adopted() && in_phase(request.phase, row.phase))
            applied.push_back(row);
    }
    std::sort(applied.begin(), applied.end(), [](const HistoryRow& a, const HistoryRow& b) {
        return a.finished_at != b.finished_at ? a.finished_at > b.finished_at : a.version > b.version;
    });

    const auto find_applied = [&](const std::string& version, const char* flag) {
        const auto found =
            std::find_if(applied.begin(), applied.end(), [&](const HistoryRow& row) { return row.version == version; });
        if (found != applied.end()) return found;
        const bool adopted = std::any_of(history.begin(), history.end(), [&](const HistoryRow& row) {
            return row.version == version && row.adopted();
        });
        throw InvalidInput(adopted
                               ? fmt::format("{}: {} was adopted from a legacy table; its migration is unknown, so it "
                                             "cannot be rolled back",
                                             flag, version)
                               : fmt::format("{}: {} is not an applied migration{}", flag, version,
                                             request.phase ? " of phase " + *request.phase : ""));
    };

    if (request.only) return {*find_applied(*request.only, "--only")};
    if (request.to) return {applied.begin(), find_applied(*request.to, "--to")};
    const auto count = std::min(applied.size(), static_cast<std::size_t>(request.steps.value_or(1)));
    return {applied.begin(), applied.begin() + static_cast<std::ptrdiff_t>(count)};
}

std::vector<HistoryRow> running_rows(const std::vector<HistoryRow>& history, const std::optional<std::string>& phase) {
    std::vector<HistoryRow> running;
    for (const auto& row : history) {
        if (row.status == RowStatus::running && in_phase(phase, row.phase)) running.push_back(row);
    }
    return running;
}

}  // namespace datamig
