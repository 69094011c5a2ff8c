#pragma once
// Real databases for tests. SQLite: a new file in a temporary folder. PostgreSQL: a new
// database in the throwaway cluster that scripts/pg-test-cluster.sh started, whose admin URL
// is in the file named by DATAMIG_TEST_PG_URL_FILE. Uses the sqlite3 library and the psql
// client, never datamig's own adapters, so tests check the adapters independently.
#include <string>
#include <vector>

namespace datamig::test {

// "sqlite", plus "postgres" when DATAMIG_TEST_PG_URL_FILE names a running cluster.
std::vector<std::string> available_database_kinds();

// URL of a new, empty database: "sqlite:/tmp/.../db.sqlite3" or "postgres://...".
std::string fresh_database_url(const std::string& kind);

// Runs `sql` against `url` and returns the rows, each row's columns joined by '|' and NULL
// shown as "<null>". Throws std::runtime_error on failure.
std::vector<std::string> query_rows(const std::string& url, const std::string& sql);
// The single value of a one-row, one-column query ("<null>" for NULL).
std::string query_value(const std::string& url, const std::string& sql);
// Runs statements, discarding results.
void execute_sql(const std::string& url, const std::string& sql);

// The admin URL of the test cluster's streaming standby (read-only; scripts/pg-test-cluster.sh
// writes it to standby_url beside the primary's URL file), "" when there is none. Its replay is
// paused with `SELECT pg_wal_replay_pause()` and resumed with `pg_wal_replay_resume()`, to make
// it lag; a test that pauses it must resume it, whatever happens (see ReplayPaused).
std::string standby_url();

// Pauses the standby's replay while it lives: the primary's pg_stat_replication then shows a
// growing replay_lag once the primary writes.
class ReplayPaused {
public:
    explicit ReplayPaused(std::string standby);
    ~ReplayPaused();
    ReplayPaused(const ReplayPaused&) = delete;
    ReplayPaused& operator=(const ReplayPaused&) = delete;
    // Resumes replay now (the destructor then does nothing).
    void resume();

private:
    std::string standby_;
    bool paused_ = true;
};

}  // namespace datamig::test
