#include "datamig/batch.hpp"

#include <charconv>

#include <fmt/format.h>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {

BatchSettings batch_settings(const SectionOptions& options, const Settings& settings) {
    BatchSettings batch;
    batch.mode = options.batch;
    batch.size = settings.batch_size.value_or(options.batch_size.value_or(batch.size));
    batch.pause = settings.pause.value_or(options.pause.value_or(batch.pause));
    return batch;
}

std::string batch_sql(const std::string& sql, std::int64_t size, const std::optional<KeyRange>& range) {
    std::string text = substitute_placeholder(sql, "batch_size", std::to_string(size));
    if (range) {
        text = substitute_placeholder(text, "batch_start", std::to_string(range->start));
        text = substitute_placeholder(text, "batch_end", std::to_string(range->end));
    }
    return text;
}

std::string first_key_query(const SectionOptions& options, const std::optional<std::int64_t>& from) {
    // The key names passed the parser's identifier check, so they are safe to splice; they stay
    // unquoted to resolve exactly as in the section's own SQL.
    std::string query = fmt::format("SELECT min({0}) FROM {1}", options.key_column, options.key_table);
    if (from) query += fmt::format(" WHERE {} >= {}", options.key_column, *from);
    return query;
}

std::string last_key_query(const SectionOptions& options) {
    return fmt::format("SELECT max({}) FROM {}", options.key_column, options.key_table);
}

std::int64_t parse_key(const std::string& text, const std::string& what) {
    std::int64_t key = 0;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), key);
    if (status != std::errc() || end != text.data() + text.size()) {
        throw MigrationFailed(
            fmt::format("{} is '{}', not a whole number: batch:range needs an integer key", what, text));
    }
    return key;
}

bool any_batch_committed(const HistoryRow& row) {
    return row.batch_cursor.has_value() || row.rows_affected.value_or(0) != 0;
}

std::string describe(const BatchProgress& progress) {
    std::string text = fmt::format("{}: {} batch{}, {} rows", progress.label, progress.batches,
                                   progress.batches == 1 ? "" : "es", progress.rows);
    const double seconds = static_cast<double>(progress.elapsed.count()) / 1000.0;
    if (seconds > 0) text += fmt::format(", {:.0f} rows/s", static_cast<double>(progress.rows) / seconds);
    if (progress.done) {
        text += fmt::format(", {:.0f}%", *progress.done * 100.0);
        // An estimate needs some progress to extrapolate from; at 100% there is nothing left.
        if (progress.end == BatchEnd::running && *progress.done > 0 && *progress.done < 1) {
            const double left_ms =
                static_cast<double>(progress.elapsed.count()) * (1.0 - *progress.done) / *progress.done;
            text += ", ETA " + format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(left_ms)));
        }
    }
    if (progress.end == BatchEnd::completed) text += ", done in " + format_duration(progress.elapsed);
    if (progress.end == BatchEnd::stopped) text += ", stopped after " + format_duration(progress.elapsed);
    return text;
}

}  // namespace datamig
