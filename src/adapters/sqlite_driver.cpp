// The SQLite driver: the only file that includes SQLiteCpp and sqlite3.h.
#include "datamig/adapters/sqlite_driver.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <SQLiteCpp/Savepoint.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

#include "datamig/adapters/lock_file.hpp"
#include "datamig/adapters/sqlite_busy.hpp"
#include "datamig/adapters/sqlite_dialect.hpp"
#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

constexpr std::string_view in_memory_path = ":memory:";
constexpr const char* stopping = "canceled: datamig is stopping";

void bind(SQLite::Statement& statement, const std::vector<Value>& values) {
    int index = 1;
    for (const auto& value : values) {
        if (const auto* number = std::get_if<std::int64_t>(&value)) {
            statement.bind(index, *number);
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            statement.bind(index, *text);
        } else {
            statement.bind(index);
        }
        ++index;
    }
}

// A statement's rows through SQLiteCpp; errors arrive as SQLite::Exception (see TranslatingRows).
class SqliteRows final : public RowReader {
public:
    SqliteRows(SQLite::Database& connection, const std::string& sql) : statement_(connection, sql) {}
    SQLite::Statement& statement() { return statement_; }
    bool next() override { return statement_.executeStep(); }
    std::optional<std::string> text(int column) override {
        const SQLite::Column field = statement_.getColumn(column);
        if (field.isNull()) return std::nullopt;
        return field.getString();
    }
    std::optional<std::int64_t> integer(int column) override {
        const SQLite::Column field = statement_.getColumn(column);
        if (field.isNull()) return std::nullopt;
        return field.getInt64();
    }

private:
    SQLite::Statement statement_;
};

// Line breaks in `text`.
int lines_in(std::string_view text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// Owns a statement sqlite3_prepare_v2 made (see next_statement) and finalizes it.
struct Finalize {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using PreparedStatement = std::unique_ptr<sqlite3_stmt, Finalize>;

// One statement of a user's script, with the line of the script it starts on.
class ScriptStatement {
public:
    ScriptStatement(PreparedStatement statement, int line) : statement_(std::move(statement)), line_(line) {}
    sqlite3_stmt* get() const noexcept { return statement_.get(); }
    int line() const noexcept { return line_; }
    // Runs it to its next row: false when done; errors as SQLite::Exception (see translated()).
    bool step() {
        const int result = sqlite3_step(get());
        if (result == SQLITE_ROW) return true;
        if (result == SQLITE_DONE) return false;
        throw SQLite::Exception(sqlite3_db_handle(get()), result);
    }
    std::optional<std::string> text(int column) const {
        const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(get(), column));
        if (data == nullptr) return std::nullopt;
        return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(get(), column)));
    }

private:
    PreparedStatement statement_;
    int line_;
};

class SqliteDriver final : public Driver {
public:
    SqliteDriver(const std::string& path, const ConnectOptions& options)
        : busy_(path, options.lock_wait, options.lock_timeout, interrupted_),
          in_memory_(path == in_memory_path || (options.read_only && !std::filesystem::exists(path))),
          connection_(open_connection(in_memory_ ? std::string(in_memory_path) : path, options.read_only)),
          lock_(in_memory_ ? std::string() : path + ".lock") {
        // options.statement_timeout is not applied: it protects a shared server from a runaway
        // session holding locks, while a SQLite database lives in this process and is stopped
        // with it (SIGINT/SIGTERM interrupt the statement).
    }

    const Dialect& dialect() const override { return dialect_; }

    std::string resolve_schema(const std::string&, const std::optional<std::string>& named) override {
        if (!named) return "main";
        // A schema is an attached database name.
        const bool attached = translated(0, [&] {
            SQLite::Statement query(connection_, "SELECT 1 FROM pragma_database_list WHERE name = ?");
            query.bind(1, *named);
            return query.executeStep();
        });
        if (!attached) {
            throw UsageError("--table: SQLite has no attached database '" + *named +
                             "' (use a plain table name or main.<table>)");
        }
        return *named;
    }

    Columns table_columns(const TableName& history, const TableName& events) override {
        return translated(0, [&] {
            SqliteRows rows(connection_,
                            "SELECT 0, name FROM pragma_table_info(?1, ?2) UNION ALL "
                            "SELECT 1, name FROM pragma_table_info(?3, ?2)");
            bind(rows.statement(), {history.table, history.schema, events.table});
            Columns columns;
            while (rows.next()) (rows.integer(0) == 1 ? columns.events : columns.history).push_back(*rows.text(1));
            return columns;
        });
    }

    std::int64_t execute(std::string_view script) override {
        const BusyWait::UsersStatement waits(busy_);
        std::int64_t affected = 0;
        ScriptPosition at;
        while (auto statement = next_statement(script, at)) {
            if (interrupted_) throw SqlError(stopping, statement->line());
            // sqlite3_changes() keeps the last INSERT/UPDATE/DELETE's count through later
            // statements that change nothing (SELECT, DDL), so only count when something changed;
            // SQLiteCpp offers no total, hence the C API.
            const sqlite3_int64 before = sqlite3_total_changes64(handle());
            translated(statement->line(), [&] {
                while (statement->step()) {
                }
            });
            if (sqlite3_total_changes64(handle()) != before) affected += sqlite3_changes64(handle());
        }
        return affected;
    }

    void run(const std::string& sql) override {
        translated(0, [&] { connection_.exec(sql); });
    }

    std::unique_ptr<RowReader> query(const std::string& sql, const std::vector<Value>& values) override {
        return translated(0, [&] {
            auto rows = std::make_unique<TranslatingRows>(*this, sql);
            bind(rows->statement(), values);
            return rows;
        });
    }

    std::optional<std::string> query_value(std::string_view sql) override {
        const BusyWait::UsersStatement waits(busy_);
        ScriptPosition at;
        auto first = next_statement(sql, at);
        if (!first) return std::nullopt;
        return translated(first->line(), [&]() -> std::optional<std::string> {
            if (!first->step()) return std::nullopt;
            return first->text(0);
        });
    }

    QueryAnswer query_answer(std::string_view sql) override {
        const BusyWait::UsersStatement waits(busy_);
        QueryAnswer answer;
        ScriptPosition at;
        auto first = next_statement(sql, at);
        if (!first) return answer;
        translated(first->line(), [&] {
            answer.columns = sqlite3_column_count(first->get());
            while (first->step()) {
                if (answer.rows++ > 0 || answer.columns == 0) continue;
                // SQLite values carry their own type; a comparison is an INTEGER (there is no boolean).
                switch (sqlite3_column_type(first->get(), 0)) {
                    case SQLITE_INTEGER: answer.type = QueryAnswer::Type::integer; break;
                    case SQLITE_FLOAT: answer.type_name = "real"; break;
                    case SQLITE_BLOB: answer.type_name = "blob"; break;
                    default: answer.type_name = "text"; break;
                }
                answer.value = first->text(0);
            }
        });
        return answer;
    }

    void prepare(const std::string& name, const std::string& sql) override { statements_[name] = sql; }

    void write(const std::vector<Write>& writes) override {
        translated(0, [&] {
            // A savepoint nests in the caller's transaction, or is a transaction of its own.
            SQLite::Savepoint together(connection_, "datamig_record");
            try {
                for (const auto& one : writes) {
                    SQLite::Statement statement(connection_, statements_.at(one.statement));
                    bind(statement, one.values);
                    statement.exec();
                }
            } catch (...) {
                // SQLiteCpp 3.2's Savepoint::rollback() only rolls back to the savepoint and then
                // counts it released, but the savepoint (and a transaction it began) stays open.
                together.rollback();
                connection_.exec("RELEASE datamig_record");
                throw;
            }
            together.release();
        });
    }

    // BEGIN waits for the transaction's first statement (translated()), and waits for the write
    // lock as long as that statement may: --lock-timeout for a migration's, --lock-wait for ours.
    void begin() override {
        if (transaction_ || begin_requested_) throw std::logic_error("begin() while a transaction is open");
        begin_requested_ = true;
    }

    void commit() override {
        if (!transaction_ && !begin_requested_) throw std::logic_error("commit() without a transaction");
        begin_requested_ = false;
        if (!transaction_) return;  // nothing ran in it: nothing to commit
        // On failure the transaction stays open for the caller's rollback().
        translated(0, [&] { transaction_->commit(); });
        transaction_.reset();
    }

    // SQLiteCpp's Transaction rolls back in its destructor and ignores the error of a ROLLBACK
    // SQLite already did by itself (after an interrupt).
    void rollback() noexcept override {
        begin_requested_ = false;
        transaction_.reset();
    }

    void rollback_to_savepoint(const std::string& name) override {
        run("ROLLBACK TO SAVEPOINT " + Dialect::quote(name));
    }

    bool try_lock() override { return lock_.try_lock(); }
    void unlock() noexcept override { lock_.unlock(); }
    std::string lock_holder() override { return lock_.holder(); }

    // sqlite3_interrupt: SQLiteCpp has no way to stop a statement from another thread.
    void interrupt() noexcept override {
        interrupted_ = true;
        sqlite3_interrupt(handle());
    }

private:
    // IMMEDIATE takes the write lock at once: two writers that both started reading first
    // would otherwise deadlock on the upgrade and one would fail with SQLITE_BUSY.
    void begin_if_requested() {
        if (!begin_requested_) return;
        transaction_.emplace(connection_, SQLite::TransactionBehavior::IMMEDIATE);
        begin_requested_ = false;
    }

    // Rows whose errors (a busy database, an interrupt) arrive translated.
    class TranslatingRows final : public RowReader {
    public:
        TranslatingRows(SqliteDriver& driver, const std::string& sql)
            : driver_(driver), rows_(driver.connection_, sql) {}
        SQLite::Statement& statement() { return rows_.statement(); }
        bool next() override {
            return driver_.translated(0, [&] { return rows_.next(); });
        }
        std::optional<std::string> text(int column) override { return rows_.text(column); }
        std::optional<std::int64_t> integer(int column) override { return rows_.integer(column); }

    private:
        SqliteDriver& driver_;
        SqliteRows rows_;
    };

    // Where next_statement reads on in a script, and the line that is on.
    struct ScriptPosition {
        std::size_t offset = 0;
        int line = 1;
    };

    // The next statement of a user's script (advancing `at` past it), nullopt at the end.
    // SQLite's own parser says where a statement ends (sqlite3_prepare_v2's tail): the project's
    // lexer would cut a CREATE TRIGGER ... BEGIN ...; ...; END at its inner ';'. The C API
    // because SQLiteCpp can only prepare a text as one statement, never one statement of
    // several and hand back the rest.
    std::optional<ScriptStatement> next_statement(std::string_view script, ScriptPosition& at) {
        while (at.offset < script.size()) {
            const std::string_view rest = script.substr(at.offset);
            sqlite3_stmt* raw = nullptr;
            const char* tail = nullptr;
            const int result = sqlite3_prepare_v2(handle(), rest.data(), static_cast<int>(rest.size()), &raw, &tail);
            PreparedStatement statement(raw);
            // An error names the line of the statement's first word, past blanks and comments
            // (SQLite skips them itself); counted from the last statement on, not from the top.
            const std::size_t consumed =
                result == SQLITE_OK ? static_cast<std::size_t>(tail - rest.data()) : rest.size();
            const std::size_t skipped = std::min(first_statement_offset(rest.substr(0, consumed)), consumed);
            const int line = at.line + lines_in(rest.substr(0, skipped));
            // Not through translated(): a BEGIN it still sent would reset the message, after
            // waiting for a write lock that a statement that never ran does not need.
            if (result != SQLITE_OK) translate(SQLite::Exception(handle(), result), line);
            at.offset += consumed;
            at.line = line + lines_in(rest.substr(skipped, consumed - skipped));
            if (statement) return ScriptStatement(std::move(statement), line);
            if (consumed == 0) break;  // nothing SQLite can run
        }
        return std::nullopt;
    }

    SQLite::Database open_connection(const std::string& path, bool read_only) {
        try {
            if (!read_only && path != in_memory_path) {
                const std::filesystem::path parent = std::filesystem::path(path).parent_path();
                if (!parent.empty()) std::filesystem::create_directories(parent);
            }
            const int flags = read_only && path != in_memory_path ? SQLite::OPEN_READONLY
                                                                  : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
            SQLite::Database connection(path, flags);
            // A handler of our own, not SQLiteCpp's setBusyTimeout: it waits as long as the
            // statement may and gives up at once when the run is stopping.
            sqlite3_busy_handler(connection.getHandle(), &BusyWait::on_busy, &busy_);
            connection.exec("PRAGMA foreign_keys = ON");
            // Opening is lazy: a file that is not a database only fails on the first read.
            connection.exec("SELECT count(*) FROM sqlite_master");
            return connection;
        } catch (const std::exception& error) {
            throw Unavailable("cannot open SQLite database " + path + ": " + error.what());
        }
    }

    sqlite3* handle() const noexcept { return connection_.getHandle(); }

    // Every statement runs in here, after a requested BEGIN.
    template <typename Body>
    auto translated(int line, Body&& body) -> decltype(body()) {
        try {
            begin_if_requested();
            return body();
        } catch (const SQLite::Exception& error) {
            translate(error, line);
        }
    }

    // SQLITE_BUSY once the wait is over: BusyWait::give_up. (SQLITE_LOCKED is never waited for:
    // without a shared cache it is this connection's own open statement, which no retry
    // removes.) Anything else is a rejected statement, at `line` of the caller's SQL.
    [[noreturn]] void translate(const SQLite::Exception& error, int line) const {
        if ((error.getErrorCode() & 0xff) != SQLITE_BUSY) throw SqlError(error.what(), line);
        if (interrupted_) throw SqlError(stopping, line);
        busy_.give_up(line);
    }

    SqliteDialect dialect_;
    std::atomic<bool> interrupted_{false};
    BusyWait busy_;
    bool begin_requested_ = false;  // begin() was called, BEGIN not run yet
    bool in_memory_;
    SQLite::Database connection_;
    LockFile lock_;
    std::map<std::string, std::string> statements_;  // prepare()d SQL by name
    std::optional<SQLite::Transaction> transaction_;
};

}  // namespace

std::unique_ptr<Driver> open_sqlite_file(const std::string& path, const ConnectOptions& options) {
    return std::make_unique<SqliteDriver>(path, options);
}

}  // namespace datamig
