#pragma once
// Decides what migrate and rollback will do, before anything runs, so that every refusal
// (collision, blocking interrupted row, unknown version) happens with nothing changed.
#include <cstdint>
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
};

// The files to apply, in order: phases in phase order, versions ascending. Throws
// InvalidInput for collisions with recorded versions or unknown --only/--target versions.
// Files with a `running` row are planned (a batch migration resumes): refuse the interrupted
// rows that need an operator's judgement before planning.
std::vector<MigrationFile> plan_migrate(const Catalog& catalog, const std::vector<HistoryRow>& history,
                                        const std::vector<std::string>& phases,
                                        const MigrateRequest& request);

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
std::vector<HistoryRow> running_rows(const std::vector<HistoryRow>& history,
                                     const std::optional<std::string>& phase);

}  // namespace datamig
