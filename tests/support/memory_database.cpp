#include "support/memory_database.hpp"

#include <stdexcept>

#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"

namespace datamig::test {
namespace {

// The n of "ROWS n" in a statement, 0 without one.
std::int64_t scripted_rows(const std::string& statement) {
    const auto at = statement.find("ROWS ");
    return at == std::string::npos ? 0 : std::stoll(statement.substr(at + 5));
}

void reject_if_scripted(const Statement& statement) {
    if (statement.text.find("FAIL") != std::string::npos) throw SqlError("boom", statement.first_line);
}

bool is_whole_number(const std::string& text) {
    const std::size_t digits = !text.empty() && text[0] == '-' ? 1 : 0;
    return text.size() > digits && text.find_first_not_of("0123456789", digits) == std::string::npos;
}

}  // namespace

MemoryDatabase::MemoryDatabase() : MemoryDatabase(std::make_shared<State>()) {}

MemoryDatabase::MemoryDatabase(std::shared_ptr<State> state) : state_(std::move(state)) {}

void MemoryDatabase::ensure_history() {}

std::vector<HistoryRow> MemoryDatabase::read_rows(Detail detail) {
    std::vector<HistoryRow> history;
    for (const auto& [version, row] : rows()) {
        if (detail == Detail::plan && row.status != RowStatus::running) {
            HistoryRow planned;
            planned.version = row.version;
            planned.phase = row.phase;
            planned.name = row.name;
            planned.status = row.status;
            history.push_back(std::move(planned));
        } else {
            history.push_back(row);
        }
    }
    return history;
}

bool MemoryDatabase::try_lock() {
    if (state_->locked) return false;
    state_->locked = true;
    holds_lock_ = true;
    return true;
}

void MemoryDatabase::unlock() noexcept {
    if (!holds_lock_) return;
    state_->locked = false;
    holds_lock_ = false;
}

std::string MemoryDatabase::lock_holder() { return holder; }

// A nested or missing transaction is a bug in the code under test, so it fails loudly.
void MemoryDatabase::begin() {
    if (snapshot_) throw std::logic_error("begin() while a transaction is open");
    snapshot_ = state_->tables;
}

void MemoryDatabase::commit() {
    if (!snapshot_) throw std::logic_error("commit() without a transaction");
    snapshot_.reset();
    statement_limit_.reset();
}

void MemoryDatabase::rollback() noexcept {
    if (!snapshot_) return;
    state_->tables = std::move(*snapshot_);
    snapshot_.reset();
    statement_limit_.reset();
}

// SET LOCAL outside a transaction does nothing on PostgreSQL; here it is a bug to show.
void MemoryDatabase::limit_statements(std::chrono::milliseconds limit) {
    if (!snapshot_) throw std::logic_error("limit_statements() without a transaction");
    statement_limit_ = limit;
}

std::int64_t MemoryDatabase::execute(std::string_view sql) {
    std::int64_t affected = 0;
    for (const auto& statement : split_statements(sql)) {
        if (!rows_for) reject_if_scripted(statement);
        const std::int64_t rows = rows_for ? rows_for(statement.text) : scripted_rows(statement.text);
        state_->tables.executed.push_back(statement.text);
        affected += rows;
    }
    return affected;
}

std::optional<std::string> MemoryDatabase::query_value(std::string_view sql) {
    for (const auto& statement : split_statements(sql)) {
        reject_if_scripted(statement);
        state_->tables.executed.push_back(statement.text);
    }
    return answer ? answer(std::string(sql)) : query_result;
}

QueryAnswer MemoryDatabase::query_answer(std::string_view sql) {
    const std::optional<std::string> value = query_value(sql);
    if (typed_answer) return typed_answer(std::string(sql));
    if (value == "t" || value == "f" || value == "true" || value == "false") {
        return {1, 1, QueryAnswer::Type::boolean, "", value};
    }
    if (value && is_whole_number(*value)) return {1, 1, QueryAnswer::Type::integer, "", value};
    return {1, 1, QueryAnswer::Type::other, "text", value};
}

void MemoryDatabase::save_row(const HistoryRow& row) { store(row); }

// As in the history store, saving a row keeps the pause mark, which only set_paused() changes.
void MemoryDatabase::store(const HistoryRow& row) {
    HistoryRow& saved = rows()[row.version];
    const auto mark = saved.paused_at;
    saved = row;
    saved.paused_at = mark;
}

void MemoryDatabase::append_event(const Event& event) { state_->tables.events.push_back(event); }

void MemoryDatabase::record(const HistoryRow& row, const Event& event) {
    store(row);
    state_->tables.events.push_back(event);
}

void MemoryDatabase::record_removal(const Event& event) {
    rows().erase(event.version);
    state_->tables.events.push_back(event);
}

void MemoryDatabase::interrupt() noexcept {}

bool MemoryDatabase::replicas_lag_behind(std::chrono::milliseconds) { return lagging && lagging(); }

void MemoryDatabase::set_paused(const std::string& version, const std::optional<std::string>& at, const Event& event) {
    if (const auto row = rows().find(version); row != rows().end()) row->second.paused_at = at;
    state_->tables.events.push_back(event);
}

bool MemoryDatabase::paused(const std::string& version) {
    const auto row = rows().find(version);
    return row != rows().end() && row->second.paused_at.has_value();
}

KeyFacts MemoryDatabase::key_facts(const std::string& table, const std::string& column) {
    const std::string key = table + "." + column;
    state_->tables.executed.push_back("KEY FACTS " + key);
    const auto found = keys.find(key);
    return found == keys.end() ? KeyFacts{} : found->second;
}

std::vector<std::string> MemoryDatabase::schemas_like(const std::string&) {
    throw UsageError("--schemas: the memory database has no schemas");
}

std::optional<std::int64_t> MemoryDatabase::estimated_rows(const std::string& schema, const std::string& name) {
    const std::string table = schema + "." + name;
    state_->tables.executed.push_back("ESTIMATE " + table);
    const auto found = estimates.find(table);
    return found == estimates.end() ? std::nullopt : std::optional<std::int64_t>(found->second);
}

// Savepoints are not modelled: the statement is only recorded.
void MemoryDatabase::rollback_to_savepoint(const std::string& name) {
    state_->tables.executed.push_back("ROLLBACK TO SAVEPOINT " + name);
}

}  // namespace datamig::test
