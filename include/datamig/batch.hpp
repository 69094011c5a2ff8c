#pragma once
// Batched `up` sections (SPEC §2): the size and pause of a run, the SQL of each batch, the
// queries that walk a batch:range key, the checkpoint text and the progress report.
// Pure functions; the loop itself lives in the Runner, which owns transactions and rows.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "datamig/history.hpp"
#include "datamig/migration.hpp"
#include "datamig/settings.hpp"

namespace datamig {

struct BatchSettings {
    BatchMode mode = BatchMode::none;
    std::int64_t size = 1000;
    std::chrono::milliseconds pause{0};
};

// The section's batch options with --batch-size / --pause laid over them.
BatchSettings batch_settings(const SectionOptions& options, const Settings& settings);

// Keys [start, end) of one batch:range batch.
struct KeyRange {
    std::int64_t start = 0;
    std::int64_t end = 0;
};

// The SQL of one batch: :batch_size, and for a range :batch_start and :batch_end, replaced by
// integer literals (line numbers stay as in the file).
std::string batch_sql(const std::string& sql, std::int64_t size, const std::optional<KeyRange>& range);

// "SELECT min(id) FROM users WHERE id >= 42": the first key at or after `from` (the lowest key
// without it). Walking keys this way skips gaps instead of running one empty batch per gap.
std::string first_key_query(const SectionOptions& options, const std::optional<std::int64_t>& from);
// "SELECT max(id) FROM users", read once per run: rows added later belong to the new code.
std::string last_key_query(const SectionOptions& options);

// A key or checkpoint as text -> integer. Throws MigrationFailed naming `what` when it is not
// a whole number (batch:range needs an integer key).
std::int64_t parse_key(const std::string& text, const std::string& what);

// Whether a batch of the migration whose row this is has ever committed: it left a checkpoint
// (batch:range) or changed rows. A batch that changed nothing and left no checkpoint did nothing
// a rerun would repeat.
bool any_batch_committed(const HistoryRow& row);

// Whether a batched run is still going; a stopped one (failure, signal) ends its line too.
enum class BatchEnd { running, completed, stopped };

// What a batched run has done so far, for the live line or the periodic log line.
struct BatchProgress {
    std::string label;  // "pre_sync/20260101000000_backfill"
    std::int64_t batches = 0;
    std::int64_t rows = 0;  // rows affected in this run
    std::chrono::milliseconds elapsed{0};
    std::optional<double> done;  // batch:range only: share of this run's key range finished
    BatchEnd end = BatchEnd::running;
};

// "pre_sync/2026…_backfill: 12 batches, 12000 rows, 4000 rows/s, 60%, ETA 3s"
std::string describe(const BatchProgress& progress);

// Called after every batch and once when the run ends (`end` completed or stopped).
using ProgressListener = std::function<void(const BatchProgress&)>;

}  // namespace datamig
