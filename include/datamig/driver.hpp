#pragma once
// The seam under the history store (history_store.hpp): a driver is one connection to one
// database kind plus the dialect of SQL text the store writes its statements in. The store
// owns everything about the history tables (columns, adoption, select lists, decoding); a
// driver only runs SQL. Drivers never print or log and throw the error.hpp hierarchy.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "datamig/database.hpp"

namespace datamig {

// The logical type of a history or events column; each dialect names its SQL type.
enum class ColumnType { text, integer, timestamp, serial_key };

// What a column stores for an empty text field (""). Fields are bound as they are and the
// dialect's write() says what "" becomes: the values stored must stay those the adapters before
// the history store wrote, which differed per database for some columns.
enum class Blank {
    kept,     // '' itself
    null,     // NULL: unknown (a time not known yet, an event without a phase)
    unknown,  // NULL on SQLite, '' on PostgreSQL (the operator)
    now,      // the current time on PostgreSQL, '' on SQLite (an event's time)
};

// A bound parameter: NULL, an integer or text (a timestamp is ISO-8601 UTC text).
using Value = std::variant<std::monostate, std::int64_t, std::string>;

// A query's rows, one at a time; fields are read by position.
class RowReader {
public:
    virtual ~RowReader() = default;
    // Advances to the next row; false after the last.
    virtual bool next() = 0;
    virtual std::optional<std::string> text(int column) = 0;
    virtual std::optional<std::int64_t> integer(int column) = 0;
};

struct TableSize;

// SQL text that differs between databases. Identifiers are quoted with "" in both supported
// dialects (SQL standard), so quoting is not virtual.
class Dialect {
public:
    virtual ~Dialect() = default;
    virtual std::string type_name(ColumnType type) const = 0;
    // The n-th (1-based) bound parameter: "?n" or "$n".
    virtual std::string parameter(int index) const = 0;
    // How a column of `type` is read (a timestamp as ISO-8601 UTC text) and written from the
    // `index`th bound parameter, an empty text becoming what `blank` says.
    virtual std::string read(ColumnType type, const std::string& column) const = 0;
    virtual std::string write(ColumnType type, Blank blank, int index) const = 0;
    // Whether one INSERT can ride in a WITH clause of another statement (PostgreSQL): the store
    // then writes an outcome and its event as one statement, one round trip.
    virtual bool chains_writes() const = 0;
    // INSERT ... ON CONFLICT (key) DO UPDATE SET ...: SQLite and PostgreSQL share the syntax.
    virtual std::string upsert(const std::string& insert, const std::string& key,
                               const std::vector<std::string>& updated) const;
    // A query whose one boolean cell says whether any streaming standby replays more than
    // `limit` (or 16 MB of WAL) behind; nullopt where the database has no standbys to ask.
    virtual std::optional<std::string> replica_lag_query(std::chrono::milliseconds limit) const;
    // The names of the schemas matching the LIKE pattern bound as parameter 1, in name order,
    // system schemas left out (--schemas); nullopt where the database has no schemas.
    virtual std::optional<std::string> schemas_query() const;
    // The statement that limits every later statement of the open transaction to `limit`
    // (Database::limit_statements); nullopt where the database has no statement timeout.
    virtual std::optional<std::string> transaction_statement_limit(std::chrono::milliseconds limit) const;

    // One row of four 0/1 integers: whether the table exists, the column exists, it is of an
    // integer type, and an index leads with it (Database::key_facts), for the key table bound
    // as parameter 1 (as written: unquoted, optionally "schema.table") and column as parameter 2.
    virtual std::string key_facts_query() const = 0;

    // Database::estimated_rows asks at most two queries, because SQLite keeps ANALYZE's figures
    // in a table that exists only once ANALYZE ran, and a prepared statement cannot name a table
    // that may not exist. The first, with the schema ('' when not qualified) bound as parameter 1
    // and the name as parameter 2, reads the catalog: one row of TableSize's fields in their
    // order (schema, table, estimate or NULL, analyzed 0/1, rowid 0/1), none when there is no
    // such table.
    virtual std::string table_size_query() const = 0;
    // The second, for a table the catalog left without an estimate: a query without parameters
    // whose one cell is the estimate (NULL: none); nullopt when there is nothing more to ask (the
    // default).
    virtual std::optional<std::string> row_estimate_query(const TableSize& size) const;

    static std::string quote(std::string_view identifier);
};

// "schema"."table", quoted.
struct TableName {
    std::string schema;
    std::string table;
    std::string quoted() const { return Dialect::quote(schema) + "." + Dialect::quote(table); }
};

// What the catalog says of a table whose rows check --db estimates (Dialect::table_size_query).
struct TableSize {
    TableName table;                       // as the catalog names it
    std::optional<std::int64_t> estimate;  // when the catalog keeps one (PostgreSQL)
    bool analyzed = false;                 // ANALYZE's figures can be read (SQLite: sqlite_stat1 exists)
    bool rowid = false;                    // its rows are numbered (SQLite: not WITHOUT ROWID)
};

// A prepared bookkeeping statement (Driver::prepare) with its parameters.
struct Write {
    std::string statement;
    std::vector<Value> values;
};

class Driver {
public:
    virtual ~Driver() = default;
    virtual const Dialect& dialect() const = 0;

    // The schema the history tables live in: `named` (what --table names), checked where the
    // database can, else the connection's default, settled now. Throws UsageError.
    virtual std::string resolve_schema(const std::string& table, const std::optional<std::string>& named) = 0;
    // Column names of each table, empty for one that does not exist: one catalog query.
    struct Columns {
        std::vector<std::string> history;
        std::vector<std::string> events;
    };
    virtual Columns table_columns(const TableName& history, const TableName& events) = 0;

    // A user's script: every statement, affected rows summed; SqlError with the script's line.
    // Refused once interrupt() was called.
    virtual std::int64_t execute(std::string_view script) = 0;
    // The store's own statement (DDL): never refused after interrupt(), errors without a line.
    virtual void run(const std::string& sql) = 0;
    // Rows of the store's query with bound `values`; errors without a line.
    virtual std::unique_ptr<RowReader> query(const std::string& sql, const std::vector<Value>& values) = 0;
    // The user's query (line-mapped errors); for query_value() and query_answer().
    virtual std::optional<std::string> query_value(std::string_view sql) = 0;
    virtual QueryAnswer query_answer(std::string_view sql) = 0;

    // Named statements the store writes with; prepared where the database keeps them.
    virtual void prepare(const std::string& name, const std::string& sql) = 0;
    // The writes as one: all or none, inside an open transaction or on their own. Also after
    // interrupt(), so the record of a stop is complete.
    virtual void write(const std::vector<Write>& writes) = 0;

    // At most one transaction; without one each statement commits on its own.
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;
    // Undoes the open transaction back to the savepoint `name` (set with execute("SAVEPOINT
    // name")), which makes a transaction usable again after a failed statement.
    virtual void rollback_to_savepoint(const std::string& name) = 0;

    // The runner lock (SPEC §6); see Database.
    virtual bool try_lock() = 0;
    virtual void unlock() noexcept = 0;
    virtual std::string lock_holder() = 0;
    // Safe from another thread; see Database::interrupt.
    virtual void interrupt() noexcept = 0;
};

// A database kind as connect() and redact_url() see it: one entry per driver in database.cpp.
struct DriverKind {
    // Whether `url` names a database of this kind (by scheme or form).
    bool (*claims)(std::string_view url);
    // Validates the URL (UsageError), then connects (Unavailable).
    std::unique_ptr<Driver> (*open)(const std::string& url, const ConnectOptions& options);
    // The URL with its password replaced by "***" where it stands; drivers know their syntax.
    std::string (*redact)(const std::string& url);
    // The name of the database the URL names ("" if none): a target's name when its line in a
    // --targets file gives none (SPEC §4, many databases).
    std::string (*database_name)(const std::string& url);
};

// The kind that claims `url`, nullptr when none does (database.cpp).
const DriverKind* driver_kind_for(std::string_view url);

}  // namespace datamig
