#include "datamig/history_store.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "datamig/error.hpp"
#include "datamig/history_columns.hpp"
#include "datamig/verify.hpp"

namespace datamig {
namespace {

constexpr const char* save_row_statement = "datamig_save_row";
constexpr const char* append_event_statement = "datamig_append_event";
constexpr const char* remove_row_statement = "datamig_remove_row";
// One statement each where the dialect chains writes: the event's values first, then the row's.
constexpr const char* record_statement = "datamig_record";
constexpr const char* record_removal_statement = "datamig_record_removal";
constexpr const char* set_paused_statement = "datamig_set_paused";

// Rolls back unless committed, so a failed ensure_history leaves nothing half-done.
class TransactionGuard {
public:
    explicit TransactionGuard(Driver& driver) : driver_(driver) { driver_.begin(); }
    TransactionGuard(const TransactionGuard&) = delete;
    TransactionGuard& operator=(const TransactionGuard&) = delete;
    ~TransactionGuard() {
        if (!committed_) driver_.rollback();
    }
    void commit() {
        driver_.commit();
        committed_ = true;
    }

private:
    Driver& driver_;
    bool committed_ = false;
};

// What a read selects for a history column, in a table that has the `existing` columns (a
// legacy one may lack any but `version`).
enum class ColumnRead { value, null, value_if_running };

ColumnRead column_read(std::string_view column, Database::Detail detail, const std::set<std::string>& existing) {
    static constexpr std::array<std::string_view, 4> planned_with{"version", "phase", "name", "status"};
    if (existing.count(std::string(column)) == 0) return ColumnRead::null;
    if (detail == Database::Detail::full ||
        std::find(planned_with.begin(), planned_with.end(), column) != planned_with.end()) {
        return ColumnRead::value;
    }
    // Without a status column every row is applied (an adopted legacy table).
    return existing.count("status") == 0 ? ColumnRead::null : ColumnRead::value_if_running;
}

TableName split_table(Driver& driver, const std::string& table) {
    const auto dot = table.find('.');
    const std::optional<std::string> named =
        dot == std::string::npos ? std::nullopt : std::optional<std::string>(table.substr(0, dot));
    const std::string name = dot == std::string::npos ? table : table.substr(dot + 1);
    return {driver.resolve_schema(table, named), name};
}

template <typename Record, std::size_t N>
std::string create_table_sql(const Dialect& dialect, const TableName& table,
                             const std::array<Column<Record>, N>& columns) {
    std::string sql = "CREATE TABLE IF NOT EXISTS " + table.quoted() + " (";
    for (const auto& column : columns) {
        if (&column != &columns.front()) sql += ", ";
        sql += Dialect::quote(column.name) + " " + dialect.type_name(column.type);
        if (!column.constraint.empty()) sql += " " + std::string(column.constraint);
    }
    return sql + ")";
}

// INSERT of the columns the record fills (not a serial key), parameters from `first` on.
template <typename Record, std::size_t N>
std::string insert_sql(const Dialect& dialect, const TableName& table, const std::array<Column<Record>, N>& columns,
                       int first) {
    std::string names;
    std::string values;
    int parameter = first;
    for (const auto& column : columns) {
        if (column.encode == nullptr) continue;
        if (!names.empty()) {
            names += ", ";
            values += ", ";
        }
        names += Dialect::quote(column.name);
        values += dialect.write(column.type, column.blank, parameter++);
    }
    return "INSERT INTO " + table.quoted() + " (" + names + ") VALUES (" + values + ")";
}

std::string upsert_row_sql(const Dialect& dialect, const TableName& table, int first) {
    std::vector<std::string> updated;
    for (const auto& column : history_columns) {
        // paused_at belongs to `pause` and `resume` (set_paused): a runner saving its checkpoint
        // must not clear a mark another process has just set.
        if (column.name != "version" && column.name != "paused_at") updated.push_back(Dialect::quote(column.name));
    }
    return dialect.upsert(insert_sql(dialect, table, history_columns, first), Dialect::quote("version"), updated);
}

template <typename Record, std::size_t N>
std::vector<Value> values_of(const Record& record, const std::array<Column<Record>, N>& columns) {
    std::vector<Value> values;
    values.reserve(N);
    for (const auto& column : columns) {
        if (column.encode != nullptr) values.push_back(column.encode(record));
    }
    return values;
}

std::vector<Value> joined(std::vector<Value> first, const std::vector<Value>& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

}  // namespace

HistoryStore::HistoryStore(std::unique_ptr<Driver> driver, const std::string& table, bool read_only)
    : driver_(std::move(driver)),
      read_only_(read_only),
      history_(split_table(*driver_, table)),
      events_{history_.schema, history_.table + "_events"} {
    prepare_writes();
}

void HistoryStore::prepare_writes() {
    const Dialect& dialect = driver_->dialect();
    const std::string insert_event = insert_sql(dialect, events_, event_columns, 1);
    driver_->prepare(save_row_statement, upsert_row_sql(dialect, history_, 1));
    driver_->prepare(append_event_statement, insert_event);
    driver_->prepare(remove_row_statement,
                     "DELETE FROM " + history_.quoted() + " WHERE \"version\" = " + dialect.parameter(1));
    driver_->prepare(set_paused_statement, "UPDATE " + history_.quoted() + " SET \"paused_at\" = " +
                                               dialect.write(ColumnType::timestamp, Blank::null, 1) +
                                               " WHERE \"version\" = " + dialect.parameter(2));
    if (!dialect.chains_writes()) return;
    // A data-modifying WITH runs whether or not its result is read. The event's values come
    // first, so record_removal's first parameter is the event's version.
    const int row_first = static_cast<int>(event_columns.size());  // the serial id takes none
    driver_->prepare(record_statement,
                     "WITH event AS (" + insert_event + ") " + upsert_row_sql(dialect, history_, row_first));
    driver_->prepare(record_removal_statement, "WITH event AS (" + insert_event + ") DELETE FROM " + history_.quoted() +
                                                   " WHERE \"version\" = " + dialect.parameter(1));
}

void HistoryStore::ensure_history() {
    if (read_only_) return;
    // Every run after the first finds both tables complete: one catalog query, nothing else.
    const auto existing = driver_->table_columns(history_, events_);
    std::set<std::string> complete;
    for (const auto& column : history_columns) complete.emplace(column.name);
    const bool history_complete = std::all_of(complete.begin(), complete.end(), [&](const std::string& name) {
        return std::find(existing.history.begin(), existing.history.end(), name) != existing.history.end();
    });
    if (existing.events.empty() || !history_complete) create_or_upgrade();
    ensured_columns_ = complete;
}

// Creates what is missing, or adopts an older or legacy table by adding the columns it lacks
// (only those, so an up-to-date table is not locked exclusively by ALTER). The runner holds its
// lock before it gets here, so two processes never race on CREATE TABLE IF NOT EXISTS.
void HistoryStore::create_or_upgrade() {
    const Dialect& dialect = driver_->dialect();
    TransactionGuard transaction(*driver_);
    const auto existing = driver_->table_columns(history_, events_).history;
    const auto has = [&](std::string_view name) {
        return std::find(existing.begin(), existing.end(), name) != existing.end();
    };
    if (existing.empty()) {
        driver_->run(create_table_sql(dialect, history_, history_columns));
    } else if (!has("version")) {
        throw UsageError("--table: " + history_.schema + "." + history_.table +
                         " exists but has no version column; it is not a migration history table");
    } else {
        for (const auto& column : history_columns) {
            if (has(column.name)) continue;
            std::string definition = Dialect::quote(column.name) + " " + dialect.type_name(column.type);
            if (!column.constraint.empty()) definition += " " + std::string(column.constraint);
            driver_->run("ALTER TABLE " + history_.quoted() + " ADD COLUMN " + definition);
        }
    }
    driver_->run(create_table_sql(dialect, events_, event_columns));
    transaction.commit();
}

std::vector<HistoryRow> HistoryStore::read_rows(Detail detail) {
    std::set<std::string> existing = ensured_columns_;
    if (existing.empty()) {
        const auto columns = driver_->table_columns(history_, events_).history;
        existing.insert(columns.begin(), columns.end());
    }
    std::vector<HistoryRow> rows;
    if (existing.empty()) return rows;
    const auto reader = driver_->query(select_history(existing, detail), {});
    while (reader->next()) {
        HistoryRow& row = rows.emplace_back();
        int index = 0;
        for (const auto& column : history_columns) column.decode(row, *reader, index++);
    }
    return rows;
}

// Reads the columns that exist (a legacy table may have only `version`), NULL for the rest, so
// every row has the same shape, in the order of history_columns, whatever the table's age. A
// plan reads the other columns of running rows only.
std::string HistoryStore::select_history(const std::set<std::string>& existing, Detail detail) const {
    const Dialect& dialect = driver_->dialect();
    std::string select;
    for (const auto& column : history_columns) {
        const std::string value = dialect.read(column.type, Dialect::quote(column.name));
        if (!select.empty()) select += ", ";
        switch (column_read(column.name, detail, existing)) {
            case ColumnRead::value: select += value; break;
            case ColumnRead::null: select += "NULL"; break;
            case ColumnRead::value_if_running:
                select += "CASE WHEN \"status\" = 'running' THEN " + value + " END";
                break;
        }
    }
    return "SELECT " + select + " FROM " + history_.quoted() + " ORDER BY \"version\"";
}

void HistoryStore::save_row(const HistoryRow& row) {
    driver_->write({{save_row_statement, values_of(row, history_columns)}});
}

void HistoryStore::append_event(const Event& event) {
    driver_->write({{append_event_statement, values_of(event, event_columns)}});
}

void HistoryStore::record(const HistoryRow& row, const Event& event) {
    if (driver_->dialect().chains_writes()) {
        driver_->write({{record_statement, joined(values_of(event, event_columns), values_of(row, history_columns))}});
        return;
    }
    driver_->write({{save_row_statement, values_of(row, history_columns)},
                    {append_event_statement, values_of(event, event_columns)}});
}

void HistoryStore::record_removal(const Event& event) {
    if (driver_->dialect().chains_writes()) {
        driver_->write({{record_removal_statement, values_of(event, event_columns)}});
        return;
    }
    driver_->write(
        {{remove_row_statement, {event.version}}, {append_event_statement, values_of(event, event_columns)}});
}

void HistoryStore::set_paused(const std::string& version, const std::optional<std::string>& at, const Event& event) {
    driver_->write({{set_paused_statement, {at ? Value{*at} : Value{}, version}},
                    {append_event_statement, values_of(event, event_columns)}});
}

bool HistoryStore::paused(const std::string& version) {
    const auto rows = driver_->query("SELECT CASE WHEN \"paused_at\" IS NULL THEN 0 ELSE 1 END FROM " +
                                         history_.quoted() + " WHERE \"version\" = " + driver_->dialect().parameter(1),
                                     {version});
    return rows->next() && rows->integer(0) == 1;
}

// Its own round trip (BEGIN rides with it): a fraction of a millisecond against a batch that
// is sized to take batch_time.
void HistoryStore::limit_statements(std::chrono::milliseconds limit) {
    if (const auto statement = driver_->dialect().transaction_statement_limit(limit)) driver_->run(*statement);
}

bool HistoryStore::replicas_lag_behind(std::chrono::milliseconds limit) {
    const auto query = driver_->dialect().replica_lag_query(limit);
    if (!query) throw UsageError("--max-replica-lag: only PostgreSQL has standbys to measure");
    return first_cell_true(driver_->query_answer(*query));
}

std::vector<std::string> HistoryStore::schemas_like(const std::string& pattern) {
    const auto query = driver_->dialect().schemas_query();
    if (!query) throw UsageError("--schemas: only PostgreSQL has schemas (list SQLite files with --targets)");
    std::vector<std::string> names;
    const auto rows = driver_->query(*query, {pattern});
    while (rows->next()) names.push_back(rows->text(0).value_or(""));
    return names;
}

KeyFacts HistoryStore::key_facts(const std::string& table, const std::string& column) {
    const auto rows = driver_->query(driver_->dialect().key_facts_query(), {table, column});
    if (!rows->next()) return {};
    const auto fact = [&](int index) { return rows->integer(index).value_or(0) != 0; };
    return {fact(0), fact(1), fact(2), fact(3)};
}

std::optional<std::int64_t> HistoryStore::estimated_rows(const std::string& schema, const std::string& name) {
    const Dialect& dialect = driver_->dialect();
    TableSize size;
    {
        const auto rows = driver_->query(dialect.table_size_query(), {schema, name});
        if (!rows->next()) return std::nullopt;
        size = {{rows->text(0).value_or(""), rows->text(1).value_or("")},
                rows->integer(2),
                rows->integer(3).value_or(0) != 0,
                rows->integer(4).value_or(0) != 0};
    }
    if (size.estimate) return size.estimate;
    const auto query = dialect.row_estimate_query(size);
    if (!query) return std::nullopt;
    const auto rows = driver_->query(*query, {});
    return rows->next() ? rows->integer(0) : std::nullopt;
}

}  // namespace datamig
