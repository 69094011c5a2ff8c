#pragma once
// An in-memory Database for testing the core without a server. It keeps the history rows,
// events and lock in a State that several instances may share (two "sessions" of one
// database), and scripts execute() by keywords in the SQL:
//   * a statement containing "FAIL" is rejected with SqlError("boom", <its line>);
//   * "ROWS <n>" in a statement makes it affect n rows;
//   * or, for scripts that depend on the SQL's values (batches), the hooks below answer.
// Every executed statement and query is logged in order; what a rolled-back transaction did
// disappears from the log as it does from the tables, so tests see only what "committed".
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datamig/database.hpp"

namespace datamig::test {

class MemoryDatabase : public Database {
public:
    // What a transaction can change, snapshotted by begin() and restored by rollback().
    struct Tables {
        std::map<std::string, HistoryRow> rows;  // by version
        std::vector<Event> events;
        std::vector<std::string> executed;  // statements and queries, in order
    };
    struct State {
        Tables tables;
        bool locked = false;
    };

    MemoryDatabase();
    // Another session of the database behind `state`.
    explicit MemoryDatabase(std::shared_ptr<State> state);

    std::shared_ptr<State> state() const { return state_; }
    std::map<std::string, HistoryRow>& rows() { return state_->tables.rows; }
    const std::vector<Event>& events() const { return state_->tables.events; }
    const std::vector<std::string>& executed() const { return state_->tables.executed; }
    bool in_transaction() const { return snapshot_.has_value(); }
    // The limit_statements() of the open transaction, as SET LOCAL keeps it: cleared by commit
    // and rollback. Scripts (rows_for) read it to cancel a batch that "runs past" it.
    std::optional<std::chrono::milliseconds> statement_limit() const { return statement_limit_; }

    // What query_value() answers (unless the query contains "FAIL").
    std::optional<std::string> query_result = "t";
    // When set, how many rows a statement affects (it may throw SqlError), and what a query
    // answers; they replace the keyword rules above.
    std::function<std::int64_t(const std::string& statement)> rows_for;
    std::function<std::optional<std::string>(const std::string& query)> answer;
    // When set, what query_answer() answers. Otherwise it is one row and column holding the text
    // answer/query_result would give, typed as PostgreSQL would type it: "t"/"f"/"true"/"false"
    // boolean, a whole number integer, anything else text (nullopt: NULL).
    std::function<QueryAnswer(const std::string& query)> typed_answer;
    // What lock_holder() reports.
    std::string holder = "memory session";
    // What replicas_lag_behind() answers, asked once per call (unset: never behind).
    std::function<bool()> lagging;
    // What key_facts() answers, by "table.column"; a key not listed has no table. Each call is
    // logged in executed() as "KEY FACTS table.column".
    std::map<std::string, KeyFacts> keys;
    // What estimated_rows() answers, by "schema.name" ("" schema: ".name"); a table not listed
    // has no estimate. Each call is logged in executed() as "ESTIMATE schema.name".
    std::map<std::string, std::int64_t> estimates;

    void ensure_history() override;
    bool try_lock() override;
    void unlock() noexcept override;
    std::string lock_holder() override;
    void begin() override;
    void commit() override;
    void rollback() noexcept override;
    void rollback_to_savepoint(const std::string& name) override;
    void limit_statements(std::chrono::milliseconds limit) override;
    std::int64_t execute(std::string_view sql) override;
    std::optional<std::string> query_value(std::string_view sql) override;
    QueryAnswer query_answer(std::string_view sql) override;
    void save_row(const HistoryRow& row) override;
    void append_event(const Event& event) override;
    void record(const HistoryRow& row, const Event& event) override;
    void record_removal(const Event& event) override;
    void interrupt() noexcept override;
    bool replicas_lag_behind(std::chrono::milliseconds limit) override;
    void set_paused(const std::string& version, const std::optional<std::string>& at, const Event& event) override;
    bool paused(const std::string& version) override;
    KeyFacts key_facts(const std::string& table, const std::string& column) override;
    // Answers as SQLite does: no schemas (UsageError).
    std::vector<std::string> schemas_like(const std::string& pattern) override;
    std::optional<std::int64_t> estimated_rows(const std::string& schema, const std::string& name) override;

protected:
    std::vector<HistoryRow> read_rows(Detail detail) override;

private:
    void store(const HistoryRow& row);

    std::shared_ptr<State> state_;
    std::optional<Tables> snapshot_;  // set while a transaction is open
    std::optional<std::chrono::milliseconds> statement_limit_;
    bool holds_lock_ = false;
};

}  // namespace datamig::test
