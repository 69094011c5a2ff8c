#include "datamig/rehearsal.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/batch.hpp"
#include "datamig/error.hpp"
#include "datamig/key_walk.hpp"
#include "datamig/runner.hpp"
#include "datamig/stop.hpp"
#include "datamig/version_lookup.hpp"

namespace datamig {
namespace {

constexpr std::string_view savepoint = "datamig_rehearsal";

std::int64_t batches_for(std::int64_t units, std::int64_t size) { return (units + size - 1) / size; }

class Rehearser {
public:
    Rehearser(Database& db, const Settings& settings, const std::vector<HistoryRow>& history)
        : db_(db), settings_(settings), history_(history) {}

    Rehearsal rehearse(const LoadedMigration& migration) {
        Rehearsal rehearsal;
        rehearsal.version = migration.file.version;
        rehearsal.phase = migration.file.phase;
        rehearsal.name = migration.file.name;
        if (migration.file.kind == Kind::exec || !migration.script->up.options.transaction) {
            rehearsal.result = Rehearsal::Result::not_rehearsed;
            rehearsal.error = migration.file.kind == Kind::exec
                                  ? "an exec migration runs a program, whose effects cannot be rolled back"
                                  : "transaction:false cannot run inside the rehearsal's transaction";
            return rehearsal;
        }
        db_.execute(fmt::format("SAVEPOINT {}", savepoint));
        try {
            if (migration.script->up.options.batch == BatchMode::none) {
                whole(migration, rehearsal);
            } else {
                first_batch(migration, rehearsal);
            }
        } catch (const MigrationFailed& failure) {
            rehearsal.result = Rehearsal::Result::failed;
            rehearsal.error = failure.what();
        }
        // A failed one is undone alone; a good one stays for the next to see, until the end.
        throw_if_stopped();
        if (rehearsal.result == Rehearsal::Result::failed) {
            db_.rollback_to_savepoint(std::string(savepoint));
        } else {
            db_.execute(fmt::format("RELEASE SAVEPOINT {}", savepoint));
        }
        return rehearsal;
    }

private:
    std::int64_t run(const LoadedMigration& migration, const std::string& sql) {
        try {
            return db_.execute(sql);
        } catch (const SqlError& error) {
            throw_if_stopped();
            throw statement_failure(migration, migration.script->up, error);
        }
    }

    void whole(const LoadedMigration& migration, Rehearsal& rehearsal) {
        rehearsal.rows_affected = run(migration, migration.script->up.sql);
        if (!has_verify(migration)) return;
        const auto failure = verify_failure_of(db_, migration);
        rehearsal.verify = !failure.has_value();
        if (failure) {
            rehearsal.result = Rehearsal::Result::failed;
            rehearsal.error = *failure;
        }
    }

    // One batch of batch_size, without the statement limit a real run derives from batch_time:
    // a rehearsal does not halve and retry, and a SET LOCAL would outlive this migration's
    // savepoint and limit the others.
    void first_batch(const LoadedMigration& migration, Rehearsal& rehearsal) {
        const Section& up = migration.script->up;
        const BatchSettings batch = batch_settings(up.options, settings_);
        if (batch.mode == BatchMode::loop) {
            rehearsal.rows_affected = run(migration, batch_sql(up.sql, batch.size, std::nullopt));
            return;
        }
        const HistoryRow* row = find_version(history_, migration.file.version);
        const auto checkpoint = row != nullptr ? row->batch_cursor : std::nullopt;
        const std::string where = fmt::format("{}:{}", migration.file.path, up.marker_line);
        KeyWalk keys(db_, up.options, where, checkpoint, batch.size_max);
        keys.refuse_batch_end(up.sql);
        const auto next = keys.next(batch.size);
        rehearsal.rows_affected = next ? run(migration, batch_sql(up.sql, batch.size, next->keys)) : 0;
        rehearsal.key_range = key_range(up.options, keys);
        rehearsal.estimated_batches = batches_for(*rehearsal.key_range, batch.size);
    }

    // What the whole run would walk: an integer key's span, or the rows of any other key.
    std::int64_t key_range(const SectionOptions& options, const KeyWalk& keys) {
        if (!keys.any_key()) return 0;
        const auto read = [&](const std::string& query) {
            return parse_key(db_.query_value(query).value_or("0"), "the key range");
        };
        if (!keys.integer()) {
            return read(
                fmt::format("SELECT count(*) FROM {} WHERE {} IS NOT NULL", options.key_table, options.key_column));
        }
        return read(last_key_query(options)) - read(first_key_query(options, std::nullopt)) + 1;
    }

    Database& db_;
    const Settings& settings_;
    const std::vector<HistoryRow>& history_;
};

}  // namespace

std::string_view to_string(Rehearsal::Result result) {
    switch (result) {
        case Rehearsal::Result::ok: return "ok";
        case Rehearsal::Result::failed: return "failed";
        case Rehearsal::Result::not_rehearsed: return "not-rehearsed";
    }
    return "unknown";
}

std::vector<Rehearsal> rehearse(Database& db, const Settings& settings, const std::vector<LoadedMigration>& plan,
                                const std::vector<HistoryRow>& history) {
    Rehearser rehearser(db, settings, history);
    std::vector<Rehearsal> rehearsals;
    // Rolled back when it ends, by design: a rehearsal never commits.
    Transaction transaction(db);
    for (const auto& migration : plan) {
        spdlog::info("rehearsing {}", migration.file.label());
        rehearsals.push_back(rehearser.rehearse(migration));
    }
    return rehearsals;
}

}  // namespace datamig
