#pragma once
// Batched `up` sections (SPEC §2): the settings of a run, the SQL of each batch, the queries
// that walk a batch:range key, and the progress report. Pure functions; the loop lives in
// BatchRun (batch_run.hpp), which owns transactions and retries.
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
    std::int64_t size = 1000;  // the first batch's size; the fixed size without batch_time
    std::chrono::milliseconds pause{0};
    std::optional<std::chrono::milliseconds> batch_time;  // adaptive size: the target duration
    std::int64_t size_max = 100'000;                      // default 100 x size
    std::int64_t retries = 3;                             // of a batch that failed transiently
    // With batch_time and no --statement-timeout: the longest any statement of a batch's
    // transaction may run (derived_statement_limit). A batch cut off by it was too big for the
    // rows it met; BatchRun retries it at half the size without spending a retry.
    std::optional<std::chrono::milliseconds> statement_limit;
};

// The section's batch options with --batch-size, --pause and --batch-time laid over them.
BatchSettings batch_settings(const SectionOptions& options, const Settings& settings);

// The statement limit a batch gets from its target duration: 2 x batch_time, at least 100 ms
// (docs/decisions.md says why these).
std::chrono::milliseconds derived_statement_limit(std::chrono::milliseconds batch_time);

// The keys of one batch:range batch as SQL literals: :batch_start and :batch_last (inclusive),
// and for an integer key :batch_end (exclusive).
struct BatchKeys {
    std::string start;
    std::string last;
    std::optional<std::string> end;
};

// A key as an SQL literal: an integer bare, anything else single-quoted with ' doubled, so a
// key holding a quote can neither break nor extend the statement.
std::string key_literal(const std::string& key, bool integer);

// The SQL of one batch: :batch_size and, for a range, the key placeholders replaced (line
// numbers stay as in the file).
std::string batch_sql(const std::string& sql, std::int64_t size, const std::optional<BatchKeys>& keys);
// Whether the section uses :batch_end, which only an integer key has.
bool uses_batch_end(const std::string& sql);

// The queries that walk a key. The key names passed the parser's identifier check, so they
// are spliced as written (unquoted, to resolve exactly as in the section's own SQL); values
// are literals (key_literal).
// The highest key, read once per run (rows added later belong to the new code); its type
// decides how the key is walked. ORDER BY, not max(): PostgreSQL has no max(uuid).
std::string last_key_query(const SectionOptions& options);
// Integer keys: the first key at or after `from` (a literal; the lowest key without it).
// Walking keys this way skips gaps instead of running one empty batch per gap.
std::string first_key_query(const SectionOptions& options, const std::optional<std::string>& from);
// Other keys (keyset pagination): the key `offset` rows after the first key above `after`
// (from the lowest without it) and at most `last`; no row when fewer keys are left.
std::string keyset_query(const SectionOptions& options, const std::optional<std::string>& after,
                         const std::string& last, std::int64_t offset);

// A key or checkpoint as text -> integer. Throws MigrationFailed naming `what` when it is not
// a whole number.
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
    std::int64_t size = 0;  // the size the latest batch used
    std::int64_t retries = 0;
    std::chrono::milliseconds throttled{0};
    std::optional<double> done;  // integer batch:range keys only: share of this run's key range finished
    BatchEnd end = BatchEnd::running;
};

// "pre_sync/2026…_backfill: 12 batches, 12000 rows, 4000 rows/s, size 1000, 60%, ETA 3s"
// (retries and time throttled when there were any).
std::string describe(const BatchProgress& progress);

// Called after every batch and once when the run ends (`end` completed or stopped).
using ProgressListener = std::function<void(const BatchProgress&)>;

}  // namespace datamig
