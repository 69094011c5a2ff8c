#pragma once
// migrate --rehearse (SPEC §4, §8): the planned SQL migrations run for real against a copy of
// production and are rolled back, reporting what each would do. Nothing remains: no user row,
// no history row, no event. All of them run in one transaction, each in a savepoint, so a later
// migration sees what the earlier ones did (as in a real run) and a failing one is undone alone
// while the others are still rehearsed; the transaction is rolled back at the end.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/database.hpp"
#include "datamig/history.hpp"
#include "datamig/settings.hpp"

namespace datamig {

struct Rehearsal {
    enum class Result { ok, failed, not_rehearsed };

    std::string version;
    std::string phase;
    std::string name;
    Result result = Result::ok;
    std::optional<std::int64_t> rows_affected;
    std::optional<bool> verify;  // nullopt: no verify query, or it did not run (batched, failed)
    // failed: the message, with file and line; not rehearsed: why not.
    std::optional<std::string> error;
    // A batched `up` is rehearsed on its first batch; these say how much the run would walk: the
    // keys of an integer key's range, or the rows of any other key, and the batches at the first
    // batch's size. nullopt for batch:loop, whose end is only known once a run changes nothing.
    std::optional<std::int64_t> key_range;
    std::optional<std::int64_t> estimated_batches;
};

std::string_view to_string(Rehearsal::Result result);  // "ok", "failed", "not-rehearsed"

// Rehearses `plan` in order (`history` gives a resumed batch migration's checkpoint). Throws only
// for a stop or a database that cannot be reached; every migration's own failure is a result.
std::vector<Rehearsal> rehearse(Database& db, const Settings& settings, const std::vector<LoadedMigration>& plan,
                                const std::vector<HistoryRow>& history);

}  // namespace datamig
