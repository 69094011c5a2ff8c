#include "datamig/status.hpp"

#include <algorithm>

namespace datamig {

std::string_view to_string(State state) {
    switch (state) {
        case State::applied: return "applied";
        case State::pending: return "pending";
        case State::running: return "running";
        case State::changed: return "changed";
        case State::missing: return "missing";
        case State::partial: return "partial";
        case State::paused: return "paused";
    }
    return "unknown";
}

bool is_resumable(const LoadedMigration& file) { return file.batch != BatchMode::none; }

namespace {

State state_of(const HistoryRow& row, const LoadedMigration& file) {
    if (row.status == RowStatus::running) {
        if (!is_resumable(file)) return State::running;
        return row.paused_at ? State::paused : State::partial;
    }
    // Adopted rows carry no checksum: there is nothing to compare against.
    if (row.checksum && *row.checksum != file.checksum) return State::changed;
    return State::applied;
}

std::string_view text_or_empty(const std::optional<std::string>& text) { return text ? std::string_view(*text) : ""; }

}  // namespace

std::vector<StatusEntry> compute_status(const std::vector<LoadedMigration>& files,
                                        const std::vector<HistoryRow>& history,
                                        const std::vector<std::string>& phases) {
    // Rows sorted by version for a binary search per file; the rows no file claims follow the
    // files, in version order.
    std::vector<const HistoryRow*> rows;
    rows.reserve(history.size());
    for (const auto& row : history) rows.push_back(&row);
    const auto precedes = [](const HistoryRow* row, const std::string& version) { return row->version < version; };
    std::sort(rows.begin(), rows.end(),
              [&](const HistoryRow* a, const HistoryRow* b) { return precedes(a, b->version); });
    std::vector<bool> claimed(rows.size());

    std::vector<StatusEntry> entries;
    entries.reserve(files.size() + history.size());
    for (const auto& file : files) {
        StatusEntry entry{file.file.version, file.file.name, file.file.phase, file.file.kind, State::pending,
                          nullptr,           &file};
        const auto found = std::lower_bound(rows.begin(), rows.end(), file.file.version, precedes);
        if (found != rows.end() && (*found)->version == file.file.version) {
            entry.state = state_of(**found, file);
            entry.row = *found;
            claimed[static_cast<std::size_t>(found - rows.begin())] = true;
        }
        entries.push_back(entry);
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (claimed[i]) continue;
        const HistoryRow& row = *rows[i];
        entries.push_back({row.version, text_or_empty(row.name), text_or_empty(row.phase), std::nullopt,
                           row.status == RowStatus::running ? State::running : State::missing, &row, nullptr});
    }

    const auto phase_rank = [&phases](std::string_view phase) {
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
