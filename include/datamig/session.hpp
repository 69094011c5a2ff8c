#pragma once
// The database as one command uses it (front end): connected (retried with --wait), a stop
// cancelling the statement in progress, and, for commands that change data, the runner lock
// and complete history tables.
#include <memory>
#include <optional>

#include "datamig/database.hpp"
#include "datamig/runner.hpp"
#include "datamig/settings.hpp"
#include "datamig/stop.hpp"

namespace datamig {

enum class Access {
    read_only,   // status, check --db, dry runs: nothing created, no lock
    read_write,  // migrate, rollback, resolve: the runner lock, then the tables completed
    // pause, resume: the tables completed but no runner lock, since the runner they address
    // holds it (SPEC §2)
    write_unlocked,
    // migrate --rehearse: the runner lock, so a rehearsal never overlaps a real run, but no
    // table created: nothing may remain
    rehearsal,
};

// Connects; with --wait retries until the database answers or --wait-timeout passes (a
// Kubernetes Job often starts before its database accepts connections).
std::unique_ptr<Database> open_database(const Settings& settings, Access access);

// Taking the lock before reading history is what lets concurrent runners see each other's
// work, so each migration runs exactly once (SPEC §6).
class Session {
public:
    Session(const Settings& settings, Access access);
    Database& db() { return *db_; }

private:
    std::unique_ptr<Database> db_;
    OnStop cancel_statement_;
    std::optional<RunnerLock> lock_;  // released first, before the statement hook and the connection
};

inline Access access_for(bool dry_run, bool rehearse = false) {
    return dry_run ? Access::read_only : rehearse ? Access::rehearsal : Access::read_write;
}

}  // namespace datamig
