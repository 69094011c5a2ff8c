#pragma once
// Joins the files on disk with the history rows into one state per version (SPEC §4 status).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/history.hpp"

namespace datamig {

enum class State { applied, pending, running, changed, missing, partial, paused };
std::string_view to_string(State state);

// One migration's state, viewing the files and rows given to compute_status rather than
// copying them: status holds an entry for each of thousands of migrations.
struct StatusEntry {
    std::string_view version;
    std::string_view name;   // "" for adopted rows without a file
    std::string_view phase;  // "" when unknown (adopted row without a file)
    std::optional<Kind> kind;
    State state = State::pending;
    const HistoryRow* row = nullptr;        // nullptr: no row
    const LoadedMigration* file = nullptr;  // nullptr: no file
};

// One entry per version known from files or rows, ordered by phase (in `phases` order,
// unknown phases last) then version. `files` and `history` must outlive the result.
std::vector<StatusEntry> compute_status(const std::vector<LoadedMigration>& files,
                                        const std::vector<HistoryRow>& history, const std::vector<std::string>& phases);
// The entries would point into temporaries.
std::vector<StatusEntry> compute_status(std::vector<LoadedMigration>&& files, const std::vector<HistoryRow>& history,
                                        const std::vector<std::string>& phases) = delete;
std::vector<StatusEntry> compute_status(const std::vector<LoadedMigration>& files, std::vector<HistoryRow>&& history,
                                        const std::vector<std::string>& phases) = delete;

// A batch migration that stopped midway resumes; any other `running` row needs an operator.
bool is_resumable(const LoadedMigration& file);

}  // namespace datamig
