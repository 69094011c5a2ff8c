#include "datamig/key_walk.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "datamig/error.hpp"

namespace datamig {

KeyWalk::KeyWalk(Database& db, const SectionOptions& options, std::string where,
                 const std::optional<std::string>& checkpoint, std::int64_t size_max)
    : db_(db), options_(options), where_(std::move(where)), cursor_(checkpoint) {
    QueryAnswer highest;
    try {
        highest = db_.query_answer(last_key_query(options_));
    } catch (const SqlError& error) {
        throw MigrationFailed(
            fmt::format("{}: reading key {}.{}: {}", where_, options_.key_table, options_.key_column, error.what()));
    }
    last_ = highest.value;
    integer_ = highest.type == QueryAnswer::Type::integer;
    type_name_ = highest.type_name;
    if (!last_ || !integer_) return;
    const std::int64_t last = parse_key(*last_, where_ + ": key " + options_.key_table + "." + options_.key_column);
    if (cursor_) parse_key(*cursor_, where_ + ": the checkpoint (batch_cursor) of an integer key");
    if (last > std::numeric_limits<std::int64_t>::max() - size_max) {
        throw MigrationFailed(
            fmt::format("{}: key {}.{} reaches {}, too close to the 64-bit limit for batches of up to {}", where_,
                        options_.key_table, options_.key_column, last, size_max));
    }
}

void KeyWalk::refuse_batch_end(const std::string& sql) const {
    if (!last_ || integer_ || !uses_batch_end(sql)) return;
    throw MigrationFailed(
        fmt::format("{}: :batch_end needs an integer key, and {}.{} is {}; use :batch_last (the last key, inclusive)",
                    where_, options_.key_table, options_.key_column, type_name_));
}

std::optional<KeyBatch> KeyWalk::next(std::int64_t size) {
    if (!last_) return std::nullopt;
    return integer_ ? next_span(size) : next_rows(size);
}

std::optional<std::string> KeyWalk::read_key(const std::string& query) {
    try {
        return db_.query_value(query);
    } catch (const SqlError& error) {
        throw MigrationFailed(
            fmt::format("{}: reading key {}.{}: {}", where_, options_.key_table, options_.key_column, error.what()));
    }
}

std::optional<KeyBatch> KeyWalk::next_span(std::int64_t size) {
    const std::string what = where_ + ": key " + options_.key_table + "." + options_.key_column;
    const auto found = read_key(first_key_query(options_, cursor_));
    const std::int64_t last = parse_key(*last_, what);
    if (!found) return std::nullopt;
    const std::int64_t start = parse_key(*found, what);
    if (start > last) return std::nullopt;
    if (!first_) first_ = start;
    const std::int64_t end = start + size;
    KeyBatch batch;
    batch.keys.start = std::to_string(start);
    batch.keys.last = std::to_string(end - 1);
    batch.keys.end = std::to_string(end);
    batch.size = size;
    batch.checkpoint = std::to_string(end);
    batch.last = end > last;
    batch.done = std::min(1.0, static_cast<double>(end - *first_) / static_cast<double>(last - *first_ + 1));
    return batch;
}

std::optional<KeyBatch> KeyWalk::next_rows(std::int64_t size) {
    const std::string last = key_literal(*last_, false);
    const auto after = cursor_ ? std::optional<std::string>(key_literal(*cursor_, false)) : std::nullopt;
    const auto start = read_key(keyset_query(options_, after, last, 0));
    if (!start) return std::nullopt;
    // Fewer than `size` keys left: the batch ends at the highest key of the run.
    KeyBatch batch;
    batch.checkpoint = read_key(keyset_query(options_, after, last, size - 1)).value_or(*last_);
    batch.keys.start = key_literal(*start, false);
    batch.keys.last = key_literal(batch.checkpoint, false);
    batch.size = size;
    batch.last = batch.checkpoint == *last_;
    return batch;
}

}  // namespace datamig
