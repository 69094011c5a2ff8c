// The PostgreSQL driver: the only file that talks to libpqxx.
#include "datamig/adapters/postgres_driver.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "datamig/adapters/postgres_conninfo.hpp"
#include "datamig/adapters/postgres_dialect.hpp"
#include "datamig/adapters/postgres_messages.hpp"
#include "datamig/adapters/postgres_url.hpp"
#include "datamig/adapters/postgres_values.hpp"
#include "datamig/driver_module.hpp"
#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

// Marks a call to the server as under way for its lifetime (interrupt() reads it from the
// signal watcher's thread). Nests: an inner call ending leaves the outer one marked.
class InFlight {
public:
    explicit InFlight(std::atomic<bool>& flag) : flag_(flag), outer_(flag_.exchange(true)) {}
    ~InFlight() { flag_ = outer_; }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

private:
    std::atomic<bool>& flag_;
    bool outer_;
};

class PostgresDriver final : public Driver {
public:
    PostgresDriver(const std::string& conninfo, const ConnectOptions& options)
        : conninfo_(conninfo), lock_key_(advisory_lock_key(options.table)), lock_timeout_(options.lock_timeout) {
        try {
            connection_ = std::make_unique<pqxx::connection>(conninfo);
        } catch (const std::exception& e) {
            throw Unavailable("cannot connect to PostgreSQL at " + redact_conninfo(conninfo) + ": " +
                              scrub(single_line(e.what())));
        }
        // The runner lock and the SET options live in this session; libpqxx's silent reconnect
        // would drop them while the runner believes it still holds the lock. (Deprecated in
        // libpqxx 6.4 because 7 removes reconnecting altogether; until then it must be off.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        connection_->inhibit_reactivation(true);
#pragma GCC diagnostic pop
        quiet_ = std::make_unique<pqxx::quiet_errorhandler>(*connection_);

        // One message, so one round trip for all of them; the last one's result is the schema
        // the history tables live in unless --table names one (resolve_schema).
        const auto setup =
            session_settings(options.statement_timeout, options.search_path, connection_->server_version());
        const auto schema =
            guarded(0, [&] { return run_simple(setup + "; SELECT pg_catalog.current_schema()"); })[0][0];
        if (!schema.is_null()) current_schema_ = schema.c_str();
    }

    PostgresDriver(const PostgresDriver&) = delete;
    PostgresDriver& operator=(const PostgresDriver&) = delete;

    const Dialect& dialect() const override { return dialect_; }

    // A migration may change search_path (even empty it, as pg_dump output does); the
    // bookkeeping must not follow it, so the schema is the one the session had at connect.
    std::string resolve_schema(const std::string& table, const std::optional<std::string>& named) override {
        if (named) return *named;
        if (current_schema_) return *current_schema_;
        throw UsageError("--table: " + table +
                         " names no schema and the session has none (search_path names no "
                         "existing schema); name it as schema." +
                         table + " or fix search_path");
    }

    // What exists of both tables, in one catalog query.
    Columns table_columns(const TableName& history, const TableName& events) override {
        const auto result = guarded(0, [&] {
            return run_params(
                "SELECT (attrelid = pg_catalog.to_regclass($2)) IS TRUE, attname FROM pg_catalog.pg_attribute "
                "WHERE attrelid IN (pg_catalog.to_regclass($1), pg_catalog.to_regclass($2)) AND attnum > 0 "
                "AND NOT attisdropped",
                history.quoted(), events.quoted());
        });
        Columns columns;
        for (const auto& record : result)
            (record[0].as<bool>() ? columns.events : columns.history).emplace_back(record[1].c_str());
        return columns;
    }

    void run(const std::string& sql) override {
        guarded(0, [&] { run_simple(sql); });
    }

    std::unique_ptr<RowReader> query(const std::string& sql, const std::vector<Value>& values) override {
        return std::make_unique<PostgresRows>(guarded(0, [&] {
            return values.empty() ? run_simple(sql)
                                  : run_params(sql, pqxx::prepare::make_dynamic_params(parameters_of(values)));
        }));
    }

    void prepare(const std::string& name, const std::string& sql) override {
        // libpqxx prepares each on its first use: one round trip per session saves parsing and
        // planning the statement for every migration.
        connection_->prepare(name, sql);
    }

    // Each write is one statement (the store chains an outcome and its event into one).
    void write(const std::vector<Write>& writes) override {
        for (const auto& one : writes) {
            const auto parameters = parameters_of(one.values);
            bookkeeping([&] {
                in_session([&](pqxx::nontransaction& session) {
                    begin_on_its_own(session);
                    return session.exec_prepared(one.statement, pqxx::prepare::make_dynamic_params(parameters));
                });
            });
        }
    }

    void begin() override {
        if (transaction_ != Transaction::none) throw std::logic_error("begin() while a transaction is open");
        // BEGIN waits for the transaction's first statement and travels with it (see run()):
        // one round trip less per transaction.
        transaction_ = Transaction::requested;
    }

    void commit() override {
        if (transaction_ == Transaction::none) throw std::logic_error("commit() without a transaction");
        if (transaction_ == Transaction::requested) {
            transaction_ = Transaction::none;  // nothing ran in it: nothing to commit
            return;
        }
        // A failed COMMIT leaves the transaction to the caller's rollback(), as a failed statement does.
        guarded(0, [&] {
            try {
                run_simple("COMMIT");
            } catch (const pqxx::failure& e) {
                if (connection_->is_open()) throw;
                throw pqxx::in_doubt_error(e.what());
            }
        });
        transaction_ = Transaction::none;
    }

    void rollback() noexcept override {
        const bool begun = transaction_ == Transaction::open || transaction_ == Transaction::failed;
        transaction_ = Transaction::none;
        if (!begun) return;
        try {
            pqxx::nontransaction session(*connection_);
            session.exec("ROLLBACK");
        } catch (...) {
            // A broken connection has no transaction left to end.
        }
    }

    // Bypasses in_session(): after a failed statement this is what the server still accepts.
    void rollback_to_savepoint(const std::string& name) override {
        guarded(0, [&] {
            return pqxx::nontransaction(*connection_).exec("ROLLBACK TO SAVEPOINT " + Dialect::quote(name));
        });
        transaction_ = Transaction::open;
    }

    bool try_lock() override {
        if (lock_held_) return true;  // session advisory locks count; take ours once
        lock_held_ = guarded(
            0, [&] { return run_params("SELECT pg_catalog.pg_try_advisory_lock($1)", lock_key_)[0][0].as<bool>(); });
        return lock_held_;
    }

    void unlock() noexcept override {
        if (!lock_held_) return;
        lock_held_ = false;
        try {
            bookkeeping([&] { run_params("SELECT pg_catalog.pg_advisory_unlock($1)", lock_key_); });
        } catch (...) {
            // The server drops the lock with the session anyway.
        }
    }

    std::string lock_holder() override {
        const auto key = static_cast<std::uint64_t>(lock_key_);
        const auto result = guarded(0, [&] {
            return run_params(advisory_lock_holder_query, std::to_string(key >> 32), std::to_string(key & 0xffffffffU));
        });
        if (result.empty()) return "";
        const auto& holder = result[0];
        std::string description = "pid " + std::string(holder[0].c_str());
        if (!holder[1].is_null()) description += ", application " + std::string(holder[1].c_str());
        if (!holder[2].is_null()) description += ", user " + std::string(holder[2].c_str());
        if (!holder[3].is_null()) description += ", since " + std::string(holder[3].c_str());
        return description;
    }

    std::int64_t execute(std::string_view sql) override {
        std::int64_t affected = 0;
        for (const auto& statement : split_statements(sql)) {
            affected += guarded(statement.first_line, [&] {
                // Checked while the call is marked in flight: either this sees the stop, or
                // interrupt() sees the call and cancels it.
                if (interrupted_) throw SqlError("canceled: datamig is stopping", statement.first_line);
                const auto result = run_user(statement.text);
                return only_reads(statement.text) ? 0 : static_cast<std::int64_t>(result.affected_rows());
            });
        }
        return affected;
    }

    std::optional<std::string> query_value(std::string_view sql) override {
        const auto result = guarded(1, [&] { return run_user(std::string(sql)); });
        if (result.empty() || result.columns() == 0 || result[0][0].is_null()) return std::nullopt;
        return std::string(result[0][0].c_str());
    }

    QueryAnswer query_answer(std::string_view sql) override {
        const auto result = guarded(1, [&] { return run_user(std::string(sql)); });
        QueryAnswer answer;
        answer.rows = static_cast<std::int64_t>(result.size());
        answer.columns = static_cast<std::int64_t>(result.columns());
        if (answer.columns == 0) return answer;
        // The column's type, as pg_type's OIDs (fixed for built-in types) name it.
        const pqxx::oid type = result.column_type(0);
        if (type == 16) {
            answer.type = QueryAnswer::Type::boolean;
        } else if (type == 20 || type == 21 || type == 23) {  // int8, int2, int4
            answer.type = QueryAnswer::Type::integer;
        } else {
            // Only for the message of a verify that fails: the round trip is spent then.
            answer.type_name = guarded(0, [&] {
                const auto name = run_params("SELECT pg_catalog.format_type($1, NULL)", std::to_string(type));
                return std::string(name[0][0].c_str());
            });
        }
        if (!result.empty() && !result[0][0].is_null()) answer.value = result[0][0].c_str();
        return answer;
    }

    void interrupt() noexcept override {
        interrupted_ = true;
        // A cancel with nothing running would not be dropped: it would hit the next statement,
        // typically the `fail` event that records the stop.
        if (!in_flight_) return;
        try {
            connection_->cancel_query();
        } catch (...) {
            // Nothing running, or the server is gone: either way there is nothing to cancel.
        }
    }

private:
    // libpq messages may echo the connection string; never its password.
    std::string scrub(const std::string& message) const { return redact_urls(message, {conninfo_}); }

    // One simple query (it may hold several statements). A requested transaction begins in the
    // same message; "BEGIN; " adds no line, so the server's LINE n still counts within `sql`.
    pqxx::result run_simple(const std::string& sql) {
        return in_session([&](pqxx::nontransaction& session) {
            if (transaction_ != Transaction::requested) return session.exec(sql);
            transaction_ = Transaction::open;
            return session.exec("BEGIN; " + sql);
        });
    }

    // One statement with bound parameters; the extended protocol takes no second statement, so a
    // requested transaction begins on its own first.
    template <typename... Values>
    pqxx::result run_params(const std::string& sql, const Values&... values) {
        return in_session([&](pqxx::nontransaction& session) {
            begin_on_its_own(session);
            return session.exec_params(sql, values...);
        });
    }

    // The user's SQL, waiting for locks at most --lock-timeout. The limit comes with the first
    // of it, not at connect, so a session that only keeps books (pause, resume, resolve) waits as
    // long as a runner's batch holds its row. The runner's own writes after it are limited too,
    // at no risk: only those single-row updates ever hold their rows, for milliseconds. In a
    // transaction SET LOCAL rides in the statement's message; outside one a statement must be
    // alone in its message (CREATE INDEX CONCURRENTLY, VACUUM), so the session is set, once.
    pqxx::result run_user(const std::string& sql) {
        if (!lock_timeout_ || lock_timeout_set_) return run_simple(sql);
        const std::string limit = "lock_timeout = " + std::to_string(lock_timeout_->count());
        if (transaction_ != Transaction::none) return run_simple("SET LOCAL " + limit + "; " + sql);
        run_simple("SET " + limit);
        lock_timeout_set_ = true;
        return run_simple(sql);
    }

    void begin_on_its_own(pqxx::nontransaction& session) {
        if (transaction_ != Transaction::requested) return;
        session.exec("BEGIN");
        transaction_ = Transaction::open;
    }

    // libpqxx sees every statement as autocommit; BEGIN, COMMIT and ROLLBACK are ours to send,
    // so that BEGIN can share a round trip. Without a transaction each statement commits on its
    // own (what CREATE INDEX CONCURRENTLY and VACUUM require). After a failure in a transaction
    // nothing runs until rollback(), as the server would refuse it; that holds even when a
    // failed "BEGIN; ..." never began (a syntax error stops the whole message).
    template <typename Fn>
    pqxx::result in_session(Fn&& fn) {
        if (transaction_ == Transaction::failed) {
            throw pqxx::sql_error("current transaction is aborted, commands ignored until end of transaction block", "",
                                  transaction_aborted.data());  // a literal: NUL-terminated
        }
        try {
            pqxx::nontransaction session(*connection_);
            return fn(session);
        } catch (...) {
            if (transaction_ != Transaction::none) transaction_ = Transaction::failed;
            throw;
        }
    }

    // Translates driver exceptions into the error hierarchy. `first_line` is where the
    // statement starts in the SQL the caller handed over (0: not from caller SQL).
    template <typename Fn>
    auto guarded(int first_line, Fn&& fn) -> decltype(fn()) {
        const InFlight flight(in_flight_);
        try {
            return fn();
        } catch (const pqxx::sql_error& e) {
            throw rejected(e.what(), first_line, e.sqlstate());
        } catch (const pqxx::transaction_rollback& e) {
            // libpqxx 6 throws SQLSTATE class 40 as exceptions of their own, without the code.
            const bool deadlock = dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr;
            const bool serialization = dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr;
            throw rejected(e.what(), first_line, deadlock ? "40P01" : serialization ? "40001" : "40000");
        } catch (const pqxx::in_doubt_error& e) {
            throw Unavailable("lost the connection to PostgreSQL while committing; the outcome is unknown: " +
                              scrub(single_line(e.what())));
        } catch (const pqxx::broken_connection& e) {
            throw Unavailable("lost the connection to PostgreSQL: " + scrub(single_line(e.what())));
        } catch (const pqxx::failure& e) {
            throw Unavailable("PostgreSQL: " + scrub(single_line(e.what())));
        }
    }

    // The server rejected a statement starting at `first_line` of the caller's SQL (0: not the caller's).
    SqlError rejected(const char* what, int first_line, const std::string& sqlstate) const {
        return SqlError(scrub(server_message(what)), error_line(what, first_line),
                        transient_of(sqlstate, interrupted_));
    }

    // History rows, events and the lock after a stop: a cancel sent just as a statement
    // finished can still hit the next one, so a canceled bookkeeping statement (it did nothing)
    // runs once more and the record of the stop stays complete.
    template <typename Fn>
    void bookkeeping(Fn&& fn) {
        guarded(0, [&] {
            try {
                fn();
            } catch (const pqxx::sql_error& e) {
                if (!interrupted_ || e.sqlstate() != query_canceled) throw;
                fn();
            }
        });
    }

    PostgresDialect dialect_;
    std::string conninfo_;  // kept to redact it from messages
    std::int64_t lock_key_;
    std::optional<std::string> current_schema_;  // at connect
    std::optional<std::chrono::milliseconds> lock_timeout_;
    bool lock_timeout_set_ = false;  // on the session (see run_user)
    std::atomic<bool> interrupted_{false};
    std::atomic<bool> in_flight_{false};  // a call to the server is under way
    bool lock_held_ = false;
    // Destroyed in reverse order: the notice handler before its connection.
    std::unique_ptr<pqxx::connection> connection_;
    // Drivers never print; libpqxx would write server notices to stderr otherwise.
    std::unique_ptr<pqxx::quiet_errorhandler> quiet_;
    // requested: begin() was called, BEGIN not sent yet. failed: a statement in it failed.
    enum class Transaction { none, requested, open, failed };
    Transaction transaction_ = Transaction::none;
};

std::unique_ptr<Driver> open_postgres(const std::string& conninfo, const ConnectOptions& options) {
    validate_conninfo(conninfo);
    return std::make_unique<PostgresDriver>(conninfo, options);
}

}  // namespace

const DriverKind postgres_driver{&is_postgres_conninfo, &open_postgres, &redact_conninfo, &conninfo_database_name};

}  // namespace datamig

// What the binary looks up when it loads this driver as datamig-postgres.so (driver_module.hpp).
const datamig::DriverKind* const datamig_driver_kind = &datamig::postgres_driver;
