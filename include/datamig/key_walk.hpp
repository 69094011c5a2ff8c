#pragma once
// Walking the key of a batch:range migration (SPEC §2). An integer key is walked in spans of
// `size` key values, skipping gaps; any other ordered key (uuid, text, timestamp, date,
// numeric) in `size` rows in key order (keyset pagination). The highest key is read once, at
// the start: rows added later belong to the new code. The checkpoint (batch_cursor) is the
// integer walk's next key (exclusive), or the last key a keyset batch finished, as text.
#include <cstdint>
#include <optional>
#include <string>

#include "datamig/batch.hpp"
#include "datamig/database.hpp"
#include "datamig/migration.hpp"

namespace datamig {

// One batch of the walk, not yet run.
struct KeyBatch {
    BatchKeys keys;
    std::int64_t size = 0;       // the size it was planned with
    std::string checkpoint;      // the batch_cursor once it has committed
    bool last = false;           // the walk ends after it
    std::optional<double> done;  // integer keys: share of the run's key range finished after it
};

class KeyWalk {
public:
    // Reads the highest key and its type. `where` ("file:line") prefixes messages;
    // `checkpoint` is the batch_cursor a resumed run continues after; `size_max` the largest
    // size a batch can have. Throws MigrationFailed when the key cannot be read.
    KeyWalk(Database& db, const SectionOptions& options, std::string where,
            const std::optional<std::string>& checkpoint, std::int64_t size_max);

    bool integer() const { return integer_; }
    // Whether the table had any key at the start; without one there is nothing to walk.
    bool any_key() const { return last_.has_value(); }
    // Throws MigrationFailed when `sql` (the section) uses :batch_end with a key that is not an
    // integer (SPEC §2): checked before any batch runs, by a run and by a rehearsal alike.
    void refuse_batch_end(const std::string& sql) const;
    // The next batch of `size`, from where the walk stands; nullopt when no key is left.
    std::optional<KeyBatch> next(std::int64_t size);
    // The batch has committed: the walk continues after it.
    void advance(const KeyBatch& batch) { cursor_ = batch.checkpoint; }

private:
    std::optional<std::string> read_key(const std::string& query);
    std::optional<KeyBatch> next_span(std::int64_t size);
    std::optional<KeyBatch> next_rows(std::int64_t size);

    Database& db_;
    const SectionOptions& options_;
    std::string where_;
    bool integer_ = false;
    std::string type_name_;
    std::optional<std::string> last_;    // the highest key at the start; nullopt: no key at all
    std::optional<std::string> cursor_;  // the checkpoint
    std::optional<std::int64_t> first_;  // integer keys: the first key of this run, for `done`
};

}  // namespace datamig
