#include "datamig/adapters/sqlite_database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "datamig/clock.hpp"
#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

constexpr std::string_view in_memory_path = ":memory:";

std::string quote_identifier(std::string_view name) {
    std::string quoted = "\"";
    for (const char c : name) {
        quoted += c;
        if (c == '"') quoted += '"';
    }
    return quoted + "\"";
}

// "schema.table" split; SQLite's schema is an attached database name, "main" by default.
struct TableName {
    std::string schema;
    std::string table;

    static TableName parse(const std::string& qualified) {
        const std::size_t dot = qualified.find('.');
        if (dot == std::string::npos) return {"main", qualified};
        return {qualified.substr(0, dot), qualified.substr(dot + 1)};
    }
    std::string quoted() const { return quote_identifier(schema) + "." + quote_identifier(table); }
    TableName events() const { return {schema, table + "_events"}; }
};

struct ColumnDefinition {
    const char* name;
    const char* type;
};

// SPEC §5, in order. `status` defaults to applied so rows of an adopted legacy table read as applied.
constexpr ColumnDefinition history_columns[] = {
    {"version", "TEXT PRIMARY KEY"},
    {"phase", "TEXT"},
    {"name", "TEXT"},
    {"checksum", "TEXT"},
    {"status", "TEXT NOT NULL DEFAULT 'applied'"},
    {"started_at", "TEXT"},
    {"finished_at", "TEXT"},
    {"duration_ms", "INTEGER"},
    {"operator", "TEXT"},
    {"context", "TEXT"},
    {"rows_affected", "INTEGER"},
    {"batch_cursor", "TEXT"},
};

constexpr ColumnDefinition event_columns[] = {
    {"id", "INTEGER PRIMARY KEY AUTOINCREMENT"},
    {"version", "TEXT NOT NULL"},
    {"phase", "TEXT"},
    {"event", "TEXT NOT NULL"},
    {"at", "TEXT NOT NULL"},
    {"operator", "TEXT"},
    {"context", "TEXT"},
    {"duration_ms", "INTEGER"},
    {"rows_affected", "INTEGER"},
    {"error", "TEXT"},
};

template <std::size_t N>
std::string create_table_sql(const TableName& name, const ColumnDefinition (&columns)[N]) {
    std::string sql = "CREATE TABLE IF NOT EXISTS " + name.quoted() + " (";
    for (std::size_t i = 0; i < N; ++i) {
        sql += (i ? ", " : "") + quote_identifier(columns[i].name) + " " + columns[i].type;
    }
    return sql + ")";
}

// INSERT of every column but the first `skipped` (an autoincrement id), replacing the row
// with the same version when `upsert` is set.
template <std::size_t N>
std::string insert_sql(const TableName& name, const ColumnDefinition (&columns)[N], std::size_t skipped, bool upsert) {
    std::string names;
    std::string placeholders;
    std::string updates;
    for (std::size_t i = skipped; i < N; ++i) {
        const std::string column = quote_identifier(columns[i].name);
        const char* separator = i > skipped ? ", " : "";
        names += separator + column;
        placeholders += separator + std::string("?");
        updates += separator + column + " = excluded." + column;
    }
    std::string sql = "INSERT INTO " + name.quoted() + " (" + names + ") VALUES (" + placeholders + ")";
    if (upsert) sql += " ON CONFLICT(\"version\") DO UPDATE SET " + updates;
    return sql;
}

// "" and NULL are one value for the plain text fields of a row: unknown.
void bind_text_or_null(SQLite::Statement& statement, int index, const std::string& value) {
    if (value.empty()) {
        statement.bind(index);
    } else {
        statement.bind(index, value);
    }
}

void bind_optional(SQLite::Statement& statement, int index, const std::optional<std::string>& value) {
    if (value) {
        statement.bind(index, *value);
    } else {
        statement.bind(index);
    }
}

void bind_optional(SQLite::Statement& statement, int index, const std::optional<std::int64_t>& value) {
    if (value) {
        statement.bind(index, *value);
    } else {
        statement.bind(index);
    }
}

// Reads a result row's columns one after another, by position, through the sqlite3 API:
// SQLiteCpp's Column copies a shared pointer for every field, which for the thousands of rows
// status reads cost about as much as SQLite itself.
class ColumnCursor {
public:
    explicit ColumnCursor(sqlite3_stmt* statement) : statement_(statement) {}

    std::optional<std::string> text() {
        const int index = next_++;
        const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
        if (data == nullptr) return std::nullopt;
        return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)));
    }

    std::optional<std::int64_t> integer() {
        const int index = next_++;
        if (sqlite3_column_type(statement_, index) == SQLITE_NULL) return std::nullopt;
        return sqlite3_column_int64(statement_, index);
    }

private:
    sqlite3_stmt* statement_;
    int next_ = 0;
};

// The runner lock: flock() on a side file. The OS drops it when the process dies, so a killed
// runner never leaves a stale lock; the file's content only says who holds it. An empty path
// (in-memory database, which no other process can see) locks trivially.
class LockFile {
public:
    explicit LockFile(std::string path) : path_(std::move(path)) {}
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;
    ~LockFile() { unlock(); }

    bool try_lock() {
        if (path_.empty() || fd_ >= 0) return true;
        // O_CLOEXEC: exec migrations must not inherit the lock and keep it alive after we die.
        const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) throw Unavailable("cannot open lock file " + path_ + ": " + std::strerror(errno));
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            ::close(fd);
            if (error == EWOULDBLOCK) return false;
            throw Unavailable("cannot lock " + path_ + ": " + std::strerror(error));
        }
        fd_ = fd;
        write_holder("pid " + std::to_string(::getpid()) + " since " + iso_utc(std::chrono::system_clock::now()) + "\n");
        return true;
    }

    void unlock() noexcept {
        if (fd_ < 0) return;
        write_holder("");
        ::close(fd_);  // closing the only descriptor releases the flock
        fd_ = -1;
    }

    std::string holder() const {
        if (path_.empty()) return "";
        std::ifstream file(path_);
        std::string line;
        std::getline(file, line);
        return line;
    }

private:
    // The holder text is informational; failing to write it must not fail the lock.
    void write_holder(const std::string& text) noexcept {
        [[maybe_unused]] const int truncated = ::ftruncate(fd_, 0);
        [[maybe_unused]] const auto written = ::pwrite(fd_, text.data(), text.size(), 0);
    }

    std::string path_;
    int fd_ = -1;
};

struct StatementFinalizer {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using RawStatement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Whitespace and comments before a statement, so an error points at the statement's own line.
std::size_t skip_blanks_and_comments(std::string_view sql, std::size_t pos) {
    while (pos < sql.size()) {
        if (std::isspace(static_cast<unsigned char>(sql[pos])) != 0) {
            ++pos;
        } else if (sql.compare(pos, 2, "--") == 0) {
            const std::size_t end = sql.find('\n', pos);
            pos = end == std::string_view::npos ? sql.size() : end + 1;
        } else if (sql.compare(pos, 2, "/*") == 0) {
            const std::size_t end = sql.find("*/", pos + 2);
            pos = end == std::string_view::npos ? sql.size() : end + 2;
        } else {
            break;
        }
    }
    return pos;
}

class SqliteDatabase final : public Database {
public:
    SqliteDatabase(const std::string& path, const ConnectOptions& options)
        : path_(path),
          lock_wait_(options.lock_wait),
          in_memory_(path == in_memory_path || (options.read_only && !std::filesystem::exists(path))),
          connection_(open_connection(in_memory_ ? std::string(in_memory_path) : path, options.read_only)),
          lock_(in_memory_ ? std::string() : path + ".lock"),
          history_(TableName::parse(options.table)),
          events_(history_.events()),
          save_row_sql_(insert_sql(history_, history_columns, 0, true)),
          append_event_sql_(insert_sql(events_, event_columns, 1, false)) {
        // options.statement_timeout is not applied: it protects a shared server from a runaway
        // session holding locks, while a SQLite database lives in this process and is stopped
        // with it (SIGINT/SIGTERM interrupt the statement).
        if (!has_schema(history_.schema)) {
            throw UsageError("--table: SQLite has no attached database '" + history_.schema +
                             "' (use a plain table name or main.<table>)");
        }
    }

    void ensure_history() override {
        ScopedTransaction transaction(*this);
        const std::set<std::string> existing = existing_columns(history_);
        if (existing.empty()) {
            run(create_table_sql(history_, history_columns));
        } else {
            if (existing.count("version") == 0) {
                throw UsageError("--table: " + history_.schema + "." + history_.table +
                                 " exists but has no version column; it is not a migration history table");
            }
            // Adopt a legacy table (Rails data-migrate: version only) by adding what it lacks.
            for (const auto& column : history_columns) {
                if (existing.count(column.name) != 0) continue;
                run("ALTER TABLE " + history_.quoted() + " ADD COLUMN " + quote_identifier(column.name) + " " +
                    column.type);
            }
        }
        run(create_table_sql(events_, event_columns));
        transaction.commit();
    }

    bool try_lock() override { return lock_.try_lock(); }
    void unlock() noexcept override { lock_.unlock(); }
    std::string lock_holder() override { return lock_.holder(); }

    void begin() override {
        if (in_transaction_) throw std::logic_error("begin() while a transaction is open");
        // IMMEDIATE takes the write lock now: two writers that both started reading first
        // would otherwise deadlock on the upgrade and one would fail with SQLITE_BUSY.
        translating_errors([&] { connection_.exec("BEGIN IMMEDIATE"); });
        in_transaction_ = true;
    }

    void commit() override {
        if (!in_transaction_) throw std::logic_error("commit() without a transaction");
        // On failure the transaction stays open for the caller's rollback().
        translating_errors([&] { connection_.exec("COMMIT"); });
        in_transaction_ = false;
    }

    void rollback() noexcept override {
        in_transaction_ = false;
        // SQLite may already have rolled back by itself (e.g. after an interrupt); a second
        // ROLLBACK would fail, so ask whether a transaction is still open.
        if (sqlite3_get_autocommit(handle()) == 0) sqlite3_exec(handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }

    std::int64_t execute(std::string_view sql) override {
        std::int64_t affected = 0;
        std::size_t offset = 0;
        while (auto statement = next_statement(sql, offset)) {
            if (interrupted_) throw SqlError("canceled: datamig is stopping", line_at(sql, statement->start));
            const sqlite3_int64 changes_before = sqlite3_total_changes64(handle());
            step_to_end(statement->handle.get(), sql, statement->start);
            // sqlite3_changes() keeps the last INSERT/UPDATE/DELETE's count through later
            // statements that change nothing (SELECT, DDL), so only count when something changed.
            if (sqlite3_total_changes64(handle()) != changes_before) affected += sqlite3_changes64(handle());
        }
        return affected;
    }

    std::optional<std::string> query_value(std::string_view sql) override {
        std::size_t offset = 0;
        const auto statement = next_statement(sql, offset);
        if (!statement) return std::nullopt;
        sqlite3_stmt* raw = statement->handle.get();
        const int result = sqlite3_step(raw);
        if (result == SQLITE_DONE) return std::nullopt;
        if (result != SQLITE_ROW) statement_error(sql, statement->start);
        return ColumnCursor(raw).text();
    }

    QueryAnswer query_answer(std::string_view sql) override {
        std::size_t offset = 0;
        const auto statement = next_statement(sql, offset);
        QueryAnswer answer;
        if (!statement) return answer;
        sqlite3_stmt* raw = statement->handle.get();
        answer.columns = sqlite3_column_count(raw);
        int result = SQLITE_ROW;
        while ((result = sqlite3_step(raw)) == SQLITE_ROW) {
            if (answer.rows++ > 0 || answer.columns == 0) continue;
            // SQLite values carry their own type; a comparison is an INTEGER (there is no boolean).
            switch (sqlite3_column_type(raw, 0)) {
                case SQLITE_INTEGER: answer.type = QueryAnswer::Type::integer; break;
                case SQLITE_FLOAT: answer.type_name = "real"; break;
                case SQLITE_BLOB: answer.type_name = "blob"; break;
                default: answer.type_name = "text"; break;
            }
            answer.value = ColumnCursor(raw).text();
        }
        if (result != SQLITE_DONE) statement_error(sql, statement->start);
        return answer;
    }

    void save_row(const HistoryRow& row) override {
        translating_errors([&] {
            SQLite::Statement insert(connection_, save_row_sql_);
            insert.bind(1, row.version);
            bind_optional(insert, 2, row.phase);
            bind_optional(insert, 3, row.name);
            bind_optional(insert, 4, row.checksum);
            insert.bind(5, std::string(to_string(row.status)));
            bind_text_or_null(insert, 6, row.started_at);
            bind_text_or_null(insert, 7, row.finished_at);
            bind_optional(insert, 8, row.duration_ms);
            bind_text_or_null(insert, 9, row.operator_name);
            insert.bind(10, row.context);
            bind_optional(insert, 11, row.rows_affected);
            bind_optional(insert, 12, row.batch_cursor);
            insert.exec();
        });
    }

    void append_event(const Event& event) override {
        translating_errors([&] {
            SQLite::Statement insert(connection_, append_event_sql_);
            insert.bind(1, event.version);
            bind_text_or_null(insert, 2, event.phase);
            insert.bind(3, std::string(to_string(event.kind)));
            insert.bind(4, event.at);
            bind_text_or_null(insert, 5, event.operator_name);
            insert.bind(6, event.context);
            bind_optional(insert, 7, event.duration_ms);
            bind_optional(insert, 8, event.rows_affected);
            bind_optional(insert, 9, event.error);
            insert.exec();
        });
    }

    void record(const HistoryRow& row, const Event& event) override {
        as_one_write([&] {
            save_row(row);
            append_event(event);
        });
    }

    void record_removal(const Event& event) override {
        as_one_write([&] {
            translating_errors([&] {
                SQLite::Statement remove(connection_, "DELETE FROM " + history_.quoted() + " WHERE \"version\" = ?");
                remove.bind(1, event.version);
                remove.exec();
            });
            append_event(event);
        });
    }

    void interrupt() noexcept override {
        interrupted_ = true;
        sqlite3_interrupt(handle());
    }

private:
    std::vector<HistoryRow> read_rows(Detail detail) override {
        return translating_errors([&] {
            const std::set<std::string> existing = existing_columns(history_);
            std::vector<HistoryRow> rows;
            if (existing.empty()) return rows;
            std::string columns;
            for (const auto& column : history_columns) {
                columns += (columns.empty() ? "" : ", ") + history_column(column.name, existing, detail);
            }
            // Growing one row at a time would move every row read so far, again and again for the
            // thousands status reads; counting them first is one quick pass.
            const auto count = connection_.execAndGet("SELECT count(*) FROM " + history_.quoted()).getInt64();
            rows.reserve(static_cast<std::size_t>(count));
            const std::string sql = "SELECT " + columns + " FROM " + history_.quoted() + " ORDER BY \"version\"";
            std::size_t offset = 0;
            const auto statement = next_statement(sql, offset);
            sqlite3_stmt* query = statement->handle.get();
            int result = SQLITE_ROW;
            while ((result = sqlite3_step(query)) == SQLITE_ROW) rows.push_back(row_from(query));
            if (result != SQLITE_DONE) throw SQLite::Exception(handle(), result);
            return rows;
        });
    }

    // Rolls back unless committed, so a failed ensure_history leaves nothing half-done.
    class ScopedTransaction {
    public:
        explicit ScopedTransaction(Database& database) : database_(database) { database_.begin(); }
        ScopedTransaction(const ScopedTransaction&) = delete;
        ScopedTransaction& operator=(const ScopedTransaction&) = delete;
        ~ScopedTransaction() {
            if (!committed_) database_.rollback();
        }
        void commit() {
            database_.commit();
            committed_ = true;
        }

    private:
        Database& database_;
        bool committed_ = false;
    };

    struct PreparedStatement {
        RawStatement handle;
        std::size_t start;  // offset of the statement within the SQL text
    };

    SQLite::Database open_connection(const std::string& path, bool read_only) {
        try {
            if (!read_only && path != in_memory_path) {
                const std::filesystem::path parent = std::filesystem::path(path).parent_path();
                if (!parent.empty()) std::filesystem::create_directories(parent);
            }
            const int flags = read_only && path != in_memory_path ? SQLite::OPEN_READONLY
                                                                   : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
            SQLite::Database connection(path, flags);
            sqlite3_busy_handler(connection.getHandle(), &SqliteDatabase::wait_while_busy, this);
            connection.exec("PRAGMA foreign_keys = ON");
            // Opening is lazy: a file that is not a database only fails on the first read.
            connection.exec("SELECT count(*) FROM sqlite_master");
            return connection;
        } catch (const std::exception& error) {
            throw Unavailable("cannot open SQLite database " + path + ": " + error.what());
        }
    }

    sqlite3* handle() const noexcept { return connection_.getHandle(); }

    // SQLite's busy handler, called while another connection (another datamig, an sqlite3
    // shell in a transaction) holds the database: waits up to --lock-wait, as for the runner
    // lock, instead of a fixed busy timeout, and gives up at once when the run is stopping.
    static int wait_while_busy(void* self, int attempt) noexcept {
        auto& database = *static_cast<SqliteDatabase*>(self);
        const auto now = std::chrono::steady_clock::now();
        if (attempt == 0) database.busy_since_ = now;
        if (database.interrupted_ || now - database.busy_since_ >= database.lock_wait_) return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, 1 << std::min(attempt, 7))));
        return 1;
    }

    // SQLITE_BUSY once the wait is over: retrying later helps, which is what Unavailable (exit
    // 3) tells the user. Anything else is a rejected statement.
    [[noreturn]] void throw_translated(int code, const std::string& message, int line) const {
        if ((code & 0xff) != SQLITE_BUSY) throw SqlError(message, line);
        if (interrupted_) throw SqlError("canceled: datamig is stopping", line);
        throw Unavailable("SQLite database " + path_ + " is locked by another connection; gave up after " +
                          format_duration(lock_wait_) + " (--lock-wait); retry later");
    }

    template <typename Body>
    auto translating_errors(Body&& body) -> decltype(body()) {
        try {
            return body();
        } catch (const SQLite::Exception& error) {
            throw_translated(error.getErrorCode(), error.what(), 0);
        }
    }

    // A savepoint nests in the caller's transaction, or opens one of its own without it.
    template <typename Body>
    void as_one_write(Body&& body) {
        run("SAVEPOINT datamig_record");
        try {
            body();
            run("RELEASE datamig_record");
        } catch (...) {
            if (in_transaction_) {
                sqlite3_exec(handle(), "ROLLBACK TO datamig_record; RELEASE datamig_record", nullptr, nullptr, nullptr);
            } else {
                rollback();
            }
            throw;
        }
    }

    void run(const std::string& sql) {
        translating_errors([&] { connection_.exec(sql); });
    }

    bool has_schema(const std::string& schema) {
        return translating_errors([&] {
            SQLite::Statement query(connection_, "SELECT 1 FROM pragma_database_list WHERE name = ?");
            query.bind(1, schema);
            return query.executeStep();
        });
    }

    // Column names of the table, empty when it does not exist.
    std::set<std::string> existing_columns(const TableName& name) {
        return translating_errors([&] {
            SQLite::Statement query(connection_, "SELECT name FROM pragma_table_info(?, ?)");
            query.bind(1, name.table);
            query.bind(2, name.schema);
            std::set<std::string> columns;
            while (query.executeStep()) columns.insert(query.getColumn(0).getString());
            return columns;
        });
    }

    // A legacy table that ensure_history has not adopted yet reads as adopted rows.
    static std::string history_column(const char* name, const std::set<std::string>& existing, Detail detail) {
        const std::string quoted = quote_identifier(name);
        switch (column_read(name, detail, existing)) {
            case ColumnRead::value: return quoted;
            case ColumnRead::null: return "NULL AS " + quoted;
            case ColumnRead::value_if_running:
                return "CASE WHEN \"status\" = 'running' THEN " + quoted + " END AS " + quoted;
        }
        throw std::logic_error("unknown ColumnRead");
    }

    // The columns come in the order of history_columns (see read_rows) and are read by
    // position: a lookup by name scans the column names for every field of every row.
    static HistoryRow row_from(sqlite3_stmt* query) {
        ColumnCursor next(query);
        HistoryRow row;
        row.version = next.text().value_or("");
        row.phase = next.text();
        row.name = next.text();
        row.checksum = next.text();
        row.status = next.text() == to_string(RowStatus::running) ? RowStatus::running : RowStatus::applied;
        row.started_at = next.text().value_or("");
        row.finished_at = next.text().value_or("");
        row.duration_ms = next.integer();
        row.operator_name = next.text().value_or("");
        row.context = next.text().value_or("{}");
        row.rows_affected = next.integer();
        row.batch_cursor = next.text();
        return row;
    }

    // The next statement of `sql` from `offset` on (advancing it), nullopt at the end.
    std::optional<PreparedStatement> next_statement(std::string_view sql, std::size_t& offset) {
        while (true) {
            const std::size_t start = skip_blanks_and_comments(sql, offset);
            if (start >= sql.size()) return std::nullopt;
            sqlite3_stmt* raw = nullptr;
            const char* tail = nullptr;
            const int result =
                sqlite3_prepare_v2(handle(), sql.data() + start, static_cast<int>(sql.size() - start), &raw, &tail);
            RawStatement statement(raw);
            if (result != SQLITE_OK) statement_error(sql, start);
            offset = static_cast<std::size_t>(tail - sql.data());
            if (statement) return PreparedStatement{std::move(statement), start};
            if (offset <= start) return std::nullopt;  // nothing consumed: only trailing junk
        }
    }

    void step_to_end(sqlite3_stmt* statement, std::string_view sql, std::size_t start) {
        int result = SQLITE_ROW;
        while (result == SQLITE_ROW) result = sqlite3_step(statement);
        if (result != SQLITE_DONE) statement_error(sql, start);
    }

    [[noreturn]] void statement_error(std::string_view sql, std::size_t start) const {
        throw_translated(sqlite3_errcode(handle()), sqlite3_errmsg(handle()), line_at(sql, start));
    }

    std::string path_;
    std::chrono::milliseconds lock_wait_;
    std::atomic<bool> interrupted_{false};
    std::chrono::steady_clock::time_point busy_since_;  // of the wait wait_while_busy is in
    bool in_memory_;
    SQLite::Database connection_;
    LockFile lock_;
    TableName history_;
    TableName events_;
    std::string save_row_sql_;
    std::string append_event_sql_;
    bool in_transaction_ = false;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const std::string& path, const ConnectOptions& options) {
    return std::make_unique<SqliteDatabase>(path, options);
}

}  // namespace datamig
