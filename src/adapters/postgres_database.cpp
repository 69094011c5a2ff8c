// The PostgreSQL adapter: the only file that talks to libpqxx.
#include "datamig/adapters/postgres_database.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <atomic>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include "datamig/adapters/libpq_loader.hpp"
#include "datamig/error.hpp"
#include "datamig/migration.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

struct Column {
    std::string_view name;
    std::string_view type;
};

// SPEC §5. `version` comes first: a legacy table (Rails data-migrate, nonschema_migrations)
// has only that one, and every other column is added to it.
constexpr std::array<Column, 12> history_columns{{
    {"version", "text PRIMARY KEY"},
    {"phase", "text"},
    {"name", "text"},
    {"checksum", "text"},
    {"status", "text NOT NULL DEFAULT 'applied'"},
    {"started_at", "timestamptz"},
    {"finished_at", "timestamptz"},
    {"duration_ms", "bigint"},
    {"operator", "text"},
    {"context", "text"},
    {"rows_affected", "bigint"},
    {"batch_cursor", "text"},
}};

constexpr std::string_view event_columns =
    "id bigserial PRIMARY KEY, version text NOT NULL, phase text, event text NOT NULL, "
    "at timestamptz NOT NULL, operator text, context text, duration_ms bigint, "
    "rows_affected bigint, error text";

// Every timestamp leaves the server in the one format HistoryRow documents.
std::string iso_utc(std::string_view column) {
    return "pg_catalog.to_char(" + std::string(column) +
           " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return "";
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

// libpq reasons span several lines ("...failed: Connection refused\n\tIs the server running
// ..."); a message for the user is one line.
std::string single_line(std::string_view text) {
    std::string joined;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        const auto trimmed = trim(line);
        if (trimmed.empty()) continue;
        if (!joined.empty()) joined += ' ';
        joined += trimmed;
    }
    return joined;
}

// "ERROR:  relation \"x\" does not exist\nLINE 2: ..." -> "relation \"x\" does not exist".
std::string server_message(std::string_view text) {
    auto message = trim(text.substr(0, text.find('\n')));
    for (std::string_view severity : {"ERROR:", "FATAL:", "PANIC:"}) {
        if (message.rfind(severity, 0) == 0) return trim(std::string_view(message).substr(severity.size()));
    }
    return message;
}

// The server marks where an error is with "LINE <n>:" (1-based within the statement); 0 when
// it did not say.
int error_line_within_statement(std::string_view text) {
    constexpr std::string_view marker = "\nLINE ";
    const auto at = text.find(marker);
    if (at == std::string_view::npos) return 0;
    int line = 0;
    for (auto i = at + marker.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        line = line * 10 + (text[i] - '0');
    }
    return line;
}

// SQLSTATE of "canceling statement due to user request".
constexpr const char* query_canceled = "57014";

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

// What the server sends for any statement in a transaction after one failed.
constexpr const char* transaction_aborted = "25P02";

// libpq reports the rows a query returned ("SELECT 7") where a data migration wants the rows
// it changed. A WITH statement counts: its main statement is usually the UPDATE/DELETE.
bool only_reads(std::string_view statement) {
    static const std::set<std::string> reading_keywords{"SELECT", "VALUES", "TABLE", "SHOW", "EXPLAIN", "FETCH", "MOVE"};
    return reading_keywords.count(leading_keyword(statement)) > 0;
}

// An event's values in the order of insert_event_sql's parameters.
using EventValues = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string,
                               std::optional<std::int64_t>, std::optional<std::int64_t>, std::optional<std::string>>;

EventValues event_values(const Event& event) {
    return {event.version,     event.phase,       std::string(to_string(event.kind)),
            event.at,          event.operator_name, event.context,
            event.duration_ms, event.rows_affected, event.error};
}

std::string insert_event_sql(const std::string& events_table) {
    return "INSERT INTO " + events_table +
           " (version, phase, event, at, operator, context, duration_ms, rows_affected, error)"
           " VALUES ($1, NULLIF($2, ''), $3, COALESCE(NULLIF($4, '')::timestamptz, pg_catalog.now()),"
           " $5, $6, $7, $8, $9)";
}

// A history row's values in the order of history_columns.
auto row_values(const HistoryRow& row) {
    return std::make_tuple(row.version, row.phase, row.name, row.checksum, std::string(to_string(row.status)),
                           row.started_at, row.finished_at, row.duration_ms, row.operator_name, row.context,
                           row.rows_affected, row.batch_cursor);
}

// Inserts a row or replaces the row of its version; row_values bound from $<first> on. An
// unknown time ("") is NULL.
std::string upsert_row_sql(const std::string& history_table, int first) {
    std::string names;
    std::string values;
    std::string updates;
    int parameter = first;
    for (const auto& column : history_columns) {
        const std::string name(column.name);
        const std::string placeholder = "$" + std::to_string(parameter++);
        const bool is_first = names.empty();
        names += (is_first ? "" : ", ") + name;
        values += (is_first ? "" : ", ") +
                  (column.type == "timestamptz" ? "NULLIF(" + placeholder + ", '')::timestamptz" : placeholder);
        if (name != "version") updates += (updates.empty() ? "" : ", ") + name + " = EXCLUDED." + name;
    }
    return "INSERT INTO " + history_table + " (" + names + ") VALUES (" + values + ") ON CONFLICT (version) DO UPDATE SET " +
           updates;
}

constexpr const char* save_row_statement = "datamig_save_row";
constexpr const char* append_event_statement = "datamig_append_event";
constexpr const char* record_statement = "datamig_record";
constexpr const char* record_removal_statement = "datamig_record_removal";

// The runner lock key: the first 8 bytes of SHA-256("datamig:" + table), read as a big-endian
// signed 64-bit integer, where table is the --table value exactly as given (so "public.x" and
// "x" are different locks). Any tool can compute it to see or take the same lock.
std::int64_t advisory_lock_key(const std::string& table) {
    const auto digest = sha256_hex("datamig:" + table);
    return static_cast<std::int64_t>(std::stoull(digest.substr(0, 16), nullptr, 16));
}

// Settings libpq reads as integers only while connecting; "port" holds one per host
// ("5432,5433"), an empty one meaning the default.
constexpr std::array<std::string_view, 7> integer_settings{
    "port", "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
    "tcp_user_timeout"};

// Throws UsageError for a value libpq would refuse (as its parse_int_param reads an int).
void check_setting(const std::string& keyword, const std::string& value) {
    if (std::find(integer_settings.begin(), integer_settings.end(), keyword) == integer_settings.end()) return;
    const bool port = keyword == "port";
    for (std::size_t start = 0; start <= value.size();) {
        const std::size_t end = port ? std::min(value.find(',', start), value.size()) : value.size();
        const std::string part = trim(std::string_view(value).substr(start, end - start));
        char* rest = nullptr;
        errno = 0;
        const long number = std::strtol(part.c_str(), &rest, 10);
        const bool is_int = !part.empty() && *rest == '\0' && errno == 0 && number == static_cast<int>(number);
        if (port ? !part.empty() && !(is_int && number >= 1 && number <= 65535) : !is_int) {
            throw UsageError("--database-url: " + keyword + " '" + part + "' is not " +
                             (port ? "a number from 1 to 65535" : "a whole number"));
        }
        start = end + 1;
    }
}

// A malformed connection string is a usage error (exit 2), not an unreachable server (exit 3,
// which a Kubernetes Job retries forever). libpq checks the syntax and the parameter names
// (PQconninfoParse); the port and other integers it would only check while connecting. Both are
// read from the redacted string, so no message can show the password; the original is parsed
// only to learn whether libpq can read the password itself.
void validate_conninfo(const std::string& conninfo) {
    const auto parse = [](const std::string& text, std::string& error) {
        char* message = nullptr;
        std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(PQconninfoParse(text.c_str(), &message),
                                                                              &PQconninfoFree);
        if (message != nullptr) error = single_line(message);
        PQfreemem(message);
        return options;
    };
    std::string error;
    const auto options = parse(redact_url(conninfo), error);
    if (!options) throw UsageError("--database-url: " + (error.empty() ? "libpq cannot parse it" : error));
    for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
        if (option->val != nullptr) check_setting(option->keyword, option->val);
    }
    if (!parse(conninfo, error)) {
        throw UsageError("--database-url: libpq cannot read the password: in a URL percent-encode special characters "
                         "('%' as %25), in key=value form quote it and escape ' and \\ with a backslash");
    }
}

class PostgresDatabase final : public Database {
public:
    PostgresDatabase(const std::string& conninfo, const ConnectOptions& options)
        : conninfo_(conninfo),
          read_only_(options.read_only),
          lock_key_(advisory_lock_key(options.table)) {
        try {
            connection_ = std::make_unique<pqxx::connection>(conninfo);
        } catch (const std::exception& e) {
            throw Unavailable("cannot connect to PostgreSQL at " + redact_url(conninfo) + ": " +
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

        std::string setup = "SET application_name = 'datamig'; SET TimeZone = 'UTC'";
        if (options.statement_timeout) {
            setup += "; SET statement_timeout = " + std::to_string(options.statement_timeout->count());
        }
        // A killed runner's backend would otherwise run its statement to the end while still
        // holding the runner lock; since PostgreSQL 14 it can notice the client is gone.
        if (connection_->server_version() >= 140000) setup += "; SET client_connection_check_interval = '1s'";
        // One message, so one round trip for all of them; the last one's result is the schema.
        const auto schema = guarded(0, [&] { return run(setup + "; SELECT pg_catalog.current_schema()"); })[0][0];
        address_history(options.table, schema.is_null() ? std::nullopt : std::optional<std::string>(schema.c_str()));
    }

    PostgresDatabase(const PostgresDatabase&) = delete;
    PostgresDatabase& operator=(const PostgresDatabase&) = delete;

    void ensure_history() override {
        if (read_only_) return;
        // Every run after the first finds both tables complete: one catalog query, nothing else.
        const auto tables = guarded(0, [&] { return existing_tables(); });
        const auto complete = all_history_columns();
        if (!tables.events || !std::includes(tables.history_columns.begin(), tables.history_columns.end(),
                                             complete.begin(), complete.end())) {
            create_or_upgrade();
        }
        ensured_columns_ = complete;
    }

    bool try_lock() override {
        if (lock_held_) return true;  // session advisory locks count; take ours once
        lock_held_ = guarded(0, [&] {
            return run_params("SELECT pg_catalog.pg_try_advisory_lock($1)", lock_key_)[0][0].as<bool>();
        });
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
        // A bigint advisory key shows in pg_locks as classid = high and objid = low 32 bits,
        // objsubid = 1.
        const auto result = guarded(0, [&] {
            return run_params(
                "SELECT a.pid, a.application_name, a.usename, "
                "pg_catalog.to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                "AND l.classid = $1::oid AND l.objid = $2::oid "
                "AND l.database = "
                "(SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) "
                "LIMIT 1",
                std::to_string(key >> 32), std::to_string(key & 0xffffffffU));
        });
        if (result.empty()) return "";
        const auto& holder = result[0];
        std::string description = "pid " + std::string(holder[0].c_str());
        if (!holder[1].is_null()) description += ", application " + std::string(holder[1].c_str());
        if (!holder[2].is_null()) description += ", user " + std::string(holder[2].c_str());
        if (!holder[3].is_null()) description += ", since " + std::string(holder[3].c_str());
        return description;
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
                run("COMMIT");
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

    std::int64_t execute(std::string_view sql) override {
        std::int64_t affected = 0;
        for (const auto& statement : split_statements(sql)) {
            affected += guarded(statement.first_line, [&] {
                // Checked while the call is marked in flight: either this sees the stop, or
                // interrupt() sees the call and cancels it.
                if (interrupted_) throw SqlError("canceled: datamig is stopping", statement.first_line);
                const auto result = run(statement.text);
                return only_reads(statement.text) ? 0 : static_cast<std::int64_t>(result.affected_rows());
            });
        }
        return affected;
    }

    std::optional<std::string> query_value(std::string_view sql) override {
        const auto result = guarded(1, [&] { return run(std::string(sql)); });
        if (result.empty() || result.columns() == 0 || result[0][0].is_null()) return std::nullopt;
        return std::string(result[0][0].c_str());
    }

    QueryAnswer query_answer(std::string_view sql) override {
        const auto result = guarded(1, [&] { return run(std::string(sql)); });
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

    void save_row(const HistoryRow& row) override { write(save_row_statement, row_values(row)); }

    void append_event(const Event& event) override { write(append_event_statement, event_values(event)); }

    void record(const HistoryRow& row, const Event& event) override {
        write(record_statement, std::tuple_cat(event_values(event), row_values(row)));
    }

    void record_removal(const Event& event) override { write(record_removal_statement, event_values(event)); }

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
    std::vector<HistoryRow> read_rows(Detail detail) override {
        return guarded(0, [&] {
            // status reads without ensure_history, and then a legacy table has fewer columns.
            const auto existing = ensured_columns_.empty() ? existing_tables().history_columns : ensured_columns_;
            std::vector<HistoryRow> rows;
            if (existing.empty()) return rows;
            const auto result = run(history_query(existing, detail));
            rows.reserve(result.size());
            for (const auto& record : result) rows.push_back(to_history_row(record));
            return rows;
        });
    }

    // Both tables are addressed as "schema"."table" from here on: the schema --table names, else
    // the one the session resolves the name in now. A migration may change search_path (even
    // empty it, as pg_dump output does); the bookkeeping must not follow it.
    void address_history(const std::string& table, const std::optional<std::string>& current_schema) {
        const auto dot = table.find('.');
        if (dot == std::string::npos && !current_schema) {
            throw UsageError("--table: " + table + " names no schema and the session has none (search_path names no "
                             "existing schema); name it as schema." + table + " or fix search_path");
        }
        const std::string schema = dot == std::string::npos ? *current_schema : table.substr(0, dot);
        const std::string name = dot == std::string::npos ? table : table.substr(dot + 1);
        history_table_ = connection_->quote_name(schema) + "." + connection_->quote_name(name);
        events_table_ = connection_->quote_name(schema) + "." + connection_->quote_name(name + "_events");
        // libpqxx prepares each on its first use: one round trip per session saves parsing and
        // planning the statement for every migration.
        const auto insert_event = insert_event_sql(events_table_);
        connection_->prepare(save_row_statement, upsert_row_sql(history_table_, 1));
        connection_->prepare(append_event_statement, insert_event);
        // One statement each: a data-modifying WITH runs whether or not its result is read.
        // The event's values come first, so record_removal's $1 is the event's version.
        connection_->prepare(record_statement, "WITH event AS (" + insert_event + ") " +
                                                   upsert_row_sql(history_table_, std::tuple_size_v<EventValues> + 1));
        connection_->prepare(record_removal_statement,
                             "WITH event AS (" + insert_event + ") DELETE FROM " + history_table_ + " WHERE version = $1");
    }

    // libpq messages may echo the connection string; never its password.
    std::string scrub(const std::string& message) const { return redact_urls(message, {conninfo_}); }

    // One simple query (it may hold several statements). A requested transaction begins in the
    // same message; "BEGIN; " adds no line, so the server's LINE n still counts within `sql`.
    pqxx::result run(const std::string& sql) {
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

    template <typename... Values>
    pqxx::result run_prepared(const char* statement, const Values&... values) {
        return in_session([&](pqxx::nontransaction& session) {
            begin_on_its_own(session);
            return session.exec_prepared(statement, values...);
        });
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
            throw pqxx::sql_error("current transaction is aborted, commands ignored until end of transaction block",
                                  "", transaction_aborted);
        }
        try {
            pqxx::nontransaction session(*connection_);
            return fn(session);
        } catch (...) {
            if (transaction_ != Transaction::none) transaction_ = Transaction::failed;
            throw;
        }
    }

    template <typename Fn>
    void in_one_transaction(Fn&& fn) {
        if (transaction_ != Transaction::none) return fn();
        begin();
        try {
            fn();
            commit();
        } catch (...) {
            rollback();
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
            const int offset = error_line_within_statement(e.what());
            const int line = first_line == 0 ? 0 : first_line + (offset > 0 ? offset - 1 : 0);
            throw SqlError(scrub(server_message(e.what())), line);
        } catch (const pqxx::in_doubt_error& e) {
            throw Unavailable("lost the connection to PostgreSQL while committing; the outcome is unknown: " +
                              scrub(single_line(e.what())));
        } catch (const pqxx::broken_connection& e) {
            throw Unavailable("lost the connection to PostgreSQL: " + scrub(single_line(e.what())));
        } catch (const pqxx::failure& e) {
            throw Unavailable("PostgreSQL: " + scrub(single_line(e.what())));
        }
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

    struct Tables {
        std::set<std::string> history_columns;  // empty when the history table does not exist
        bool events = false;
    };

    // What exists of both tables, in one catalog query.
    Tables existing_tables() {
        const auto result = run_params(
            "SELECT (attrelid = pg_catalog.to_regclass($2)) IS TRUE, attname FROM pg_catalog.pg_attribute "
            "WHERE attrelid IN (pg_catalog.to_regclass($1), pg_catalog.to_regclass($2)) AND attnum > 0 "
            "AND NOT attisdropped",
            history_table_, events_table_);
        Tables tables;
        for (const auto& record : result) {
            if (record[0].as<bool>()) {
                tables.events = true;
            } else {
                tables.history_columns.emplace(record[1].c_str());
            }
        }
        return tables;
    }

    static std::set<std::string> all_history_columns() {
        std::set<std::string> names;
        for (const auto& column : history_columns) names.emplace(column.name);
        return names;
    }

    // Creates what is missing, or adopts a legacy table by adding the columns it lacks.
    void create_or_upgrade() {
        // The runner holds its advisory lock before it gets here, so two processes never race
        // on CREATE TABLE IF NOT EXISTS (which can fail on pg_type's unique index otherwise).
        guarded(0, [&] {
            in_one_transaction([&] {
                run("CREATE TABLE IF NOT EXISTS " + history_table_ + " (version text PRIMARY KEY)");
                // Only missing columns, so an up-to-date table is not locked exclusively by ALTER.
                const auto existing = existing_tables().history_columns;
                std::string additions;
                for (const auto& column : history_columns) {
                    if (existing.count(std::string(column.name)) > 0) continue;
                    if (!additions.empty()) additions += ", ";
                    additions += "ADD COLUMN " + std::string(column.name) + " " + std::string(column.type);
                }
                if (!additions.empty()) run("ALTER TABLE " + history_table_ + " " + additions);
                run("CREATE TABLE IF NOT EXISTS " + events_table_ + " (" + std::string(event_columns) + ")");
            });
        });
    }

    // Reads the columns that exist (a legacy table may have only `version`), NULL for the rest,
    // so every row has the same shape whatever the table's age. A plan reads the other columns
    // of running rows only.
    std::string history_query(const std::set<std::string>& existing, Detail detail) const {
        std::string select;
        for (const auto& column : history_columns) {
            const std::string name(column.name);
            const std::string value = column.type == "timestamptz" ? iso_utc(name) : name + "::text";
            if (!select.empty()) select += ", ";
            switch (column_read(name, detail, existing)) {
                case ColumnRead::value: select += value; break;
                case ColumnRead::null: select += "NULL"; break;
                case ColumnRead::value_if_running:
                    select += "CASE WHEN status = 'running' THEN " + value + " END";
                    break;
            }
        }
        return "SELECT " + select + " FROM " + history_table_ + " ORDER BY version";
    }

    static HistoryRow to_history_row(const pqxx::row& record) {
        const auto text = [&](pqxx::row::size_type index) -> std::optional<std::string> {
            if (record[index].is_null()) return std::nullopt;
            return std::string(record[index].c_str());
        };
        const auto number = [&](pqxx::row::size_type index) -> std::optional<std::int64_t> {
            if (record[index].is_null()) return std::nullopt;
            return record[index].as<std::int64_t>();
        };
        HistoryRow row;
        row.version = text(0).value_or("");
        row.phase = text(1);
        row.name = text(2);
        row.checksum = text(3);
        row.status = text(4) == std::optional<std::string>("running") ? RowStatus::running : RowStatus::applied;
        row.started_at = text(5).value_or("");
        row.finished_at = text(6).value_or("");
        row.duration_ms = number(7);
        row.operator_name = text(8).value_or("");
        row.context = text(9).value_or("{}");
        row.rows_affected = number(10);
        row.batch_cursor = text(11);
        return row;
    }

    // Runs one of the prepared history/events statements with its values bound as parameters.
    template <typename Values>
    void write(const char* statement, const Values& values) {
        bookkeeping([&] {
            std::apply([&](const auto&... value) { run_prepared(statement, value...); }, values);
        });
    }

    std::string conninfo_;  // kept to redact it from messages
    bool read_only_;
    std::int64_t lock_key_;
    std::atomic<bool> interrupted_{false};
    std::atomic<bool> in_flight_{false};  // a call to the server is under way
    bool lock_held_ = false;
    std::string history_table_;
    std::string events_table_;
    // The history table's columns once ensure_history has completed them; empty before.
    std::set<std::string> ensured_columns_;
    // Destroyed in reverse order: the notice handler before its connection.
    std::unique_ptr<pqxx::connection> connection_;
    // Adapters never print; libpqxx would write server notices to stderr otherwise.
    std::unique_ptr<pqxx::quiet_errorhandler> quiet_;
    // requested: begin() was called, BEGIN not sent yet. failed: a statement in it failed.
    enum class Transaction { none, requested, open, failed };
    Transaction transaction_ = Transaction::none;
};

}  // namespace

std::unique_ptr<Database> open_postgres(const std::string& conninfo, const ConnectOptions& options) {
    load_libpq();
    validate_conninfo(conninfo);
    return std::make_unique<PostgresDatabase>(conninfo, options);
}

}  // namespace datamig
