#pragma once
// Decides what migrate and rollback will do, before anything runs, so that every refusal
// (collision, blocking interrupted row, unknown version) happens with nothing changed.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/history.hpp"

namespace datamig {

struct MigrateRequest {
    std::optional<std::string> phase;
    std::optional<std::string> only;
    std::optional<std::string> target;
    std::optional<std::int64_t> limit;
    // Whether the file of a `running` row resumes where it stopped (a batch migration) rather than
    // needing an operator's judgement. Unset: none does.
    std::function<bool(const MigrationFile&)> resumable;
};

// The files to apply, in order: phases in phase order, versions ascending. Throws
// InvalidInput for collisions with recorded versions or unknown --only/--target versions, and
// Blocked for interrupted (`running`) rows of the run's phases that do not resume: an exec or
// transaction:false migration that died midway is never re-run silently (SPEC §6). Files with a
// `running` row that resumes are planned again.
std::vector<MigrationFile> plan_migrate(const Catalog& catalog, const std::vector<HistoryRow>& history,
                                        const std::vector<std::string>& phases, const MigrateRequest& request);

struct RollbackRequest {
    std::optional<std::string> phase;
    std::optional<std::int64_t> steps;
    std::optional<std::string> to;
    std::optional<std::string> only;
};

// The applied rows to roll back, latest applied first. Throws InvalidInput for unknown
// versions and UsageError for conflicting options.
std::vector<HistoryRow> plan_rollback(const std::vector<HistoryRow>& history, const RollbackRequest& request);

// Rows that are in `running` state within the phases of this run (all phases when nullopt).
std::vector<HistoryRow> running_rows(const std::vector<HistoryRow>& history, const std::optional<std::string>& phase);

}  // namespace datamig
