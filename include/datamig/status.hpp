#pragma once
// Joins the files on disk with the history rows into one state per version (SPEC §4 status).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/history.hpp"

namespace datamig {

enum class State { applied, pending, running, changed, missing, partial };
std::string_view to_string(State state);

struct StatusEntry {
    std::string version;
    std::string name;   // "" for adopted rows without a file
    std::string phase;  // "" when unknown (adopted row without a file)
    std::optional<Kind> kind;
    State state = State::pending;
    std::optional<HistoryRow> row;
    const LoadedMigration* file = nullptr;  // points into the vector given to compute_status
};

// One entry per version known from files or rows, ordered by phase (in `phases` order,
// unknown phases last) then version. `files` must outlive the result; the rows move into it.
std::vector<StatusEntry> compute_status(const std::vector<LoadedMigration>& files, std::vector<HistoryRow> history,
                                        const std::vector<std::string>& phases);

// A batch migration that stopped midway resumes; any other `running` row needs an operator.
bool is_resumable(const LoadedMigration& file);

}  // namespace datamig
