#pragma once
// Rows of the history table and its events table (SPEC §5), as the core sees them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace datamig {

enum class RowStatus { applied, running };
std::string_view to_string(RowStatus status);

struct HistoryRow {
    std::string version;
    std::optional<std::string> phase;  // nullopt for rows adopted from a legacy table
    std::optional<std::string> name;   // nullopt for adopted rows
    std::optional<std::string> checksum;
    RowStatus status = RowStatus::applied;
    std::string started_at;   // ISO-8601 UTC ("2026-11-22T09:30:00.123456Z"), "" if unknown
    std::string finished_at;  // "" while running or unknown
    std::optional<std::int64_t> duration_ms;
    std::string operator_name;
    std::string context = "{}";  // JSON object
    std::optional<std::int64_t> rows_affected;
    std::optional<std::string> batch_cursor;
    // Set by `datamig pause`, cleared by `resume` (ISO-8601 UTC); only those commands write it.
    std::optional<std::string> paused_at;

    bool adopted() const { return !phase.has_value(); }
};

enum class EventKind { apply, rollback, fail, resolve, retry, pause, resume };
std::string_view to_string(EventKind kind);

struct Event {
    std::string version;
    std::string phase;
    EventKind kind = EventKind::apply;
    std::string at;  // ISO-8601 UTC
    std::string operator_name;
    std::string context = "{}";
    std::optional<std::int64_t> duration_ms;
    std::optional<std::int64_t> rows_affected;
    std::optional<std::string> error;
};

}  // namespace datamig
