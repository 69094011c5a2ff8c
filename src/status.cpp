#include "datamig/status.hpp"

#include <algorithm>
#include <map>

namespace datamig {

std::string_view to_string(State state) {
    switch (state) {
        case State::applied: return "applied";
        case State::pending: return "pending";
        case State::running: return "running";
        case State::changed: return "changed";
        case State::missing: return "missing";
        case State::partial: return "partial";
    }
    return "unknown";
}

bool is_resumable(const LoadedMigration& file) {
    return file.script.has_value() && file.script->up.options.batch != BatchMode::none;
}

namespace {

State state_of(const HistoryRow& row, const LoadedMigration& file) {
    if (row.status == RowStatus::running) return is_resumable(file) ? State::partial : State::running;
    // Adopted rows carry no checksum: there is nothing to compare against.
    if (row.checksum && *row.checksum != file.checksum) return State::changed;
    return State::applied;
}

}  // namespace

std::vector<StatusEntry> compute_status(const std::vector<LoadedMigration>& files, std::vector<HistoryRow> history,
                                        const std::vector<std::string>& phases) {
    // Each row moves into its entry: status holds one entry per migration until it exits.
    std::map<std::string, HistoryRow*> rows;
    for (auto& row : history) rows.emplace(row.version, &row);

    std::vector<StatusEntry> entries;
    entries.reserve(files.size() + history.size());
    for (const auto& file : files) {
        StatusEntry entry{file.file.version, file.file.name, file.file.phase, file.file.kind, State::pending, {}, &file};
        if (const auto found = rows.find(file.file.version); found != rows.end()) {
            entry.state = state_of(*found->second, file);
            entry.row = std::move(*found->second);
            rows.erase(found);
        }
        entries.push_back(std::move(entry));
    }
    for (const auto& [version, row] : rows) {
        StatusEntry entry{version, row->name.value_or(""), row->phase.value_or(""), std::nullopt,
                          row->status == RowStatus::running ? State::running : State::missing, {}, nullptr};
        entry.row = std::move(*row);
        entries.push_back(std::move(entry));
    }

    const auto phase_rank = [&phases](const std::string& phase) {
        return static_cast<std::size_t>(std::find(phases.begin(), phases.end(), phase) - phases.begin());
    };
    const auto in_order = [&](const StatusEntry& a, const StatusEntry& b) {
        const auto rank_a = phase_rank(a.phase);
        const auto rank_b = phase_rank(b.phase);
        return rank_a != rank_b ? rank_a < rank_b : a.version < b.version;
    };
    // Files come from the catalog in this order already, and the rows without a file are few:
    // sorting only those and merging them in keeps status from moving every entry around.
    const auto rows_begin = entries.begin() + static_cast<std::ptrdiff_t>(files.size());
    if (!std::is_sorted(entries.begin(), rows_begin, in_order)) std::stable_sort(entries.begin(), rows_begin, in_order);
    std::stable_sort(rows_begin, entries.end(), in_order);
    std::inplace_merge(entries.begin(), rows_begin, entries.end(), in_order);
    return entries;
}

}  // namespace datamig
