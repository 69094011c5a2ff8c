#pragma once
// The adapter interface: everything database-specific the core needs, and nothing more.
// Dependency rule: the core talks only to this interface; adapters implement it, never print
// or log, and report failures as datamig::Error subclasses (SqlError, Unavailable, ...).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/history.hpp"
#include "datamig/redaction.hpp"  // redact_url(s), declared here before

namespace datamig {

// What a query returned, for verify (SPEC §2: one boolean or integer cell): its shape and its
// first cell. The core judges it; the adapter only says what the database sent.
struct QueryAnswer {
    enum class Type { boolean, integer, other };
    std::int64_t rows = 0;
    std::int64_t columns = 0;
    // Of the first cell (a typeless SQLite value: of the value; PostgreSQL: of its column).
    Type type = Type::other;
    std::string type_name;             // the database's name for an `other` type ("text", "numeric"), for messages
    std::optional<std::string> value;  // the first cell as text; nullopt for NULL or no row
};

// What the catalog says of a batch:range key (check --db, SPEC §4). The core decides what it
// means; the adapter only looks.
struct KeyFacts {
    bool table_exists = false;
    bool column_exists = false;
    bool integer = false;  // PostgreSQL smallint/integer/bigint; SQLite a declared type with INT affinity
    bool indexed = false;  // a valid, non-partial index leads with the column (SQLite: or it is the rowid alias)
};

class Database {
public:
    virtual ~Database() = default;

    // How much of each row read_history() returns.
    enum class Detail {
        full,  // every column of every row
        // Every column of `running` rows; of the others only version, phase, name and status:
        // what migrate plans with. Reading every column of a long history cost more than the
        // rest of a no-op migrate.
        plan,
    };

    // Creates the history and events tables if missing, and upgrades a legacy table that has
    // only a `version` column (its rows become applied rows with unknown phase and name).
    virtual void ensure_history() = 0;
    // Every history row, ordered by version; empty when the table does not exist yet (nothing
    // is created). Fields a Detail::plan read leaves out keep HistoryRow's defaults.
    std::vector<HistoryRow> read_history(Detail detail = Detail::full) { return read_rows(detail); }

    // The runner lock (SPEC §6): held by at most one process per database and table, and
    // released by the server/OS when the holder dies. try_lock() never waits.
    virtual bool try_lock() = 0;
    virtual void unlock() noexcept = 0;
    // Who holds the lock, for the waiting message ("pid 4242, application datamig, since
    // ..."); "" when unknown.
    virtual std::string lock_holder() = 0;

    // At most one transaction is open. Without one, each statement commits on its own.
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;
    // Undoes the open transaction back to the savepoint `name`, set with execute("SAVEPOINT
    // name"); the transaction is usable again after a failed statement (migrate --rehearse).
    virtual void rollback_to_savepoint(const std::string& name) = 0;

    // For the open transaction only: any later statement of it running longer than `limit` is
    // cancelled (SqlError, Transient::statement_timeout), whatever the session's own limit; the
    // session's limit is back after commit or rollback. A batch's limit derived from batch_time
    // (SPEC §2). Does nothing where the database has no statement timeout (SQLite).
    virtual void limit_statements(std::chrono::milliseconds limit) = 0;

    // Runs every statement of `sql` and returns the sum of their affected rows. A rejected
    // statement throws SqlError with the 1-based line within `sql`.
    virtual std::int64_t execute(std::string_view sql) = 0;
    // First column of the first row of a query; nullopt for NULL or no row.
    virtual std::optional<std::string> query_value(std::string_view sql) = 0;
    // The shape of a query's result and its first cell's type and value; reads every row.
    virtual QueryAnswer query_answer(std::string_view sql) = 0;

    // Inserts the row, or replaces the row with the same version.
    virtual void save_row(const HistoryRow& row) = 0;
    virtual void append_event(const Event& event) = 0;
    // An outcome and its event as one write: both or neither, inside an open transaction or on
    // their own, and one round trip on a server. record() saves `row` as save_row() does;
    // record_removal() deletes the row of event.version (if there is one).
    virtual void record(const HistoryRow& row, const Event& event) = 0;
    virtual void record_removal(const Event& event) = 0;

    // The run is stopping (SIGINT/SIGTERM): cancels the statement in progress, and every later
    // execute() throws SqlError before it starts a statement, so a signal that arrives between
    // two statements is not ignored. Safe to call from another thread.
    virtual void interrupt() noexcept = 0;

    // --max-replica-lag (SPEC §2, throttling): whether any standby replays more than `limit`
    // behind, or more than 16 MB of WAL behind. Throws UsageError on a database without
    // streaming standbys to ask (SQLite).
    virtual bool replicas_lag_behind(std::chrono::milliseconds limit) = 0;

    // `datamig pause` / `resume` (SPEC §2): marks the migration's row paused at `at`, or clears
    // the mark (nullopt), together with its event, as one write. Other columns are untouched,
    // and save_row() and record() never change the mark.
    virtual void set_paused(const std::string& version, const std::optional<std::string>& at, const Event& event) = 0;
    // Whether the row of `version` is marked paused: a runner asks before each batch.
    virtual bool paused(const std::string& version) = 0;

    // check --db: the catalog's facts of the key `table`.`column`, named as a key: option names
    // them (unquoted identifiers, the table optionally "schema.table"), resolved as the
    // section's SQL would resolve them. Reads the catalog only.
    virtual KeyFacts key_facts(const std::string& table, const std::string& column) = 0;
    // check --db (large-unbatched): about how many rows the table `schema`.`name` holds, read
    // from the database's statistics, never counted. The names are as the database reads them
    // (quotes removed, sql_text's identifier_value); an empty schema resolves as the section's
    // SQL would. nullopt when there is no such table, or no cheap estimate of it.
    virtual std::optional<std::int64_t> estimated_rows(const std::string& schema, const std::string& name) = 0;

    // --schemas (SPEC §4, many databases): the schemas whose names match the LIKE `pattern`, in
    // name order, without the system's. Throws UsageError on a database without schemas (SQLite).
    virtual std::vector<std::string> schemas_like(const std::string& pattern) = 0;

protected:
    // read_history() without a default argument: a virtual function's defaults follow the
    // caller's static type, not the object.
    virtual std::vector<HistoryRow> read_rows(Detail detail) = 0;
};

struct ConnectOptions {
    // History table, optionally "schema.table". Without a schema the adapter settles it once at
    // connect time (PostgreSQL: current_schema(); SQLite: main) and addresses both tables with it,
    // so a migration that changes search_path or shadows the name cannot misplace the bookkeeping.
    std::string table = "data_migrations";
    std::optional<std::chrono::milliseconds> statement_timeout;
    bool read_only = false;  // status/check: never create a database file or table
    // --lock-wait: how long a statement waits for a database another connection holds (a busy
    // SQLite file) before Unavailable.
    std::chrono::milliseconds lock_wait{60'000};
    // --lock-timeout: the longest a migration statement (execute(), query_value(),
    // query_answer()) waits for a row or table lock before SqlError with
    // Transient::lock_timeout (PostgreSQL lock_timeout; SQLite: the busy timeout of those
    // statements). Bookkeeping writes keep lock_wait. nullopt: no limit of its own.
    std::optional<std::chrono::milliseconds> lock_timeout;
    // --schemas (SPEC §4, many databases): the one schema the session's search_path names, so the
    // migrations of one tenant see that tenant's tables. nullopt: the server's default.
    std::optional<std::string> search_path;
};

// Opens the database named by `url` (sqlite:..., postgres://..., key=value). Throws
// UsageError for a malformed URL or unknown scheme (including a password with an unencoded '@'
// or '/', which libpq would read differently from how it looks), Unavailable when it cannot
// connect.
std::unique_ptr<Database> connect(const std::string& url, const ConnectOptions& options);

// The name of the database `url` names ("" when it names none), as its driver reads the URL;
// nullopt when no driver claims the URL. Never connects.
std::optional<std::string> database_name(const std::string& url);

}  // namespace datamig
