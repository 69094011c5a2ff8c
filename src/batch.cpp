#include "datamig/batch.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

// The sizer answers a batch over 2x its target at once (batch_sizer.cpp); a statement past that
// point holds its row locks for nothing the sizer needs to learn. The floor keeps a small
// batch_time from cancelling batches over a scheduler hiccup or a checkpoint's fsync.
constexpr std::int64_t limit_multiple = 2;
constexpr std::chrono::milliseconds limit_floor{100};

}  // namespace

BatchSettings batch_settings(const SectionOptions& options, const Settings& settings) {
    BatchSettings batch;
    batch.mode = options.batch;
    batch.size = settings.batch_size.value_or(options.batch_size.value_or(batch.size));
    batch.pause = settings.pause.value_or(options.pause.value_or(batch.pause));
    batch.batch_time = settings.batch_time ? settings.batch_time : options.batch_time;
    batch.size_max = options.batch_size_max.value_or(100 * batch.size);
    batch.retries = options.batch_retries.value_or(batch.retries);
    // A --statement-timeout the user set (0 included: "no limit") is theirs to keep.
    if (batch.batch_time && !settings.statement_timeout) {
        batch.statement_limit = derived_statement_limit(*batch.batch_time);
    }
    return batch;
}

std::chrono::milliseconds derived_statement_limit(std::chrono::milliseconds batch_time) {
    return std::max(limit_floor, batch_time * limit_multiple);
}

std::string key_literal(const std::string& key, bool integer) {
    if (integer) return key;
    std::string literal = "'";
    for (const char c : key) {
        literal += c;
        if (c == '\'') literal += '\'';
    }
    return literal + "'";
}

std::string batch_sql(const std::string& sql, std::int64_t size, const std::optional<BatchKeys>& keys) {
    std::string text = substitute_placeholder(sql, "batch_size", std::to_string(size));
    if (keys) {
        text = substitute_placeholder(text, "batch_start", keys->start);
        text = substitute_placeholder(text, "batch_last", keys->last);
        if (keys->end) text = substitute_placeholder(text, "batch_end", *keys->end);
    }
    return text;
}

bool uses_batch_end(const std::string& sql) { return substitute_placeholder(sql, "batch_end", "0") != sql; }

std::string last_key_query(const SectionOptions& options) {
    return fmt::format("SELECT {0} FROM {1} WHERE {0} IS NOT NULL ORDER BY {0} DESC LIMIT 1", options.key_column,
                       options.key_table);
}

std::string first_key_query(const SectionOptions& options, const std::optional<std::string>& from) {
    std::string query = fmt::format("SELECT min({0}) FROM {1}", options.key_column, options.key_table);
    if (from) query += fmt::format(" WHERE {} >= {}", options.key_column, *from);
    return query;
}

std::string keyset_query(const SectionOptions& options, const std::optional<std::string>& after,
                         const std::string& last, std::int64_t offset) {
    const std::string& key = options.key_column;
    std::string query = fmt::format("SELECT {0} FROM {1} WHERE {0} <= {2}", key, options.key_table, last);
    if (after) query += fmt::format(" AND {} > {}", key, *after);
    query += fmt::format(" ORDER BY {} LIMIT 1", key);
    if (offset > 0) query += fmt::format(" OFFSET {}", offset);
    return query;
}

std::int64_t parse_key(const std::string& text, const std::string& what) {
    std::int64_t key = 0;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), key);
    if (status != std::errc() || end != text.data() + text.size()) {
        throw MigrationFailed(fmt::format("{} is '{}', not a whole number", what, text));
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
    if (progress.size > 0) text += fmt::format(", size {}", progress.size);
    if (progress.retries > 0) text += fmt::format(", {} retr{}", progress.retries, progress.retries == 1 ? "y" : "ies");
    if (progress.throttled.count() > 0) text += ", throttled " + format_duration(progress.throttled);
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
