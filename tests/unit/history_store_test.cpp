// The history store over a fake driver that records what it is asked: which statements the
// store builds from history_columns, and how it decodes rows. What real databases make of them
// is database_contract_test.cpp's part.
#include "datamig/history_store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datamig/error.hpp"
#include "datamig/history_columns.hpp"

namespace {

using datamig::ColumnType;
using datamig::Value;

class FakeDialect final : public datamig::Dialect {
public:
    bool chains = false;
    std::string type_name(ColumnType type) const override { return type == ColumnType::integer ? "INT" : "TXT"; }
    std::string parameter(int index) const override { return "?" + std::to_string(index); }
    std::string read(ColumnType, const std::string& column) const override { return column; }
    std::string write(ColumnType, datamig::Blank, int index) const override { return parameter(index); }
    bool chains_writes() const override { return chains; }
    std::string key_facts_query() const override { return "KEY FACTS ?1 ?2"; }
    std::string table_size_query() const override { return "TABLE SIZE ?1 ?2"; }
    std::optional<std::string> row_estimate_query(const datamig::TableSize& size) const override {
        if (!size.rowid) return std::nullopt;
        return "ESTIMATE " + size.table.quoted() + (size.analyzed ? " ANALYZED" : "");
    }
    bool statement_limits = true;
    std::optional<std::string> transaction_statement_limit(std::chrono::milliseconds limit) const override {
        if (!statement_limits) return Dialect::transaction_statement_limit(limit);
        return "LIMIT STATEMENTS " + std::to_string(limit.count());
    }
};

// Rows of text fields; an integer field is its text read as a number.
class FakeRows final : public datamig::RowReader {
public:
    explicit FakeRows(std::vector<std::vector<std::optional<std::string>>> rows) : rows_(std::move(rows)) {}
    bool next() override { return ++next_ <= rows_.size(); }
    std::optional<std::string> text(int column) override { return rows_[next_ - 1][static_cast<std::size_t>(column)]; }
    std::optional<std::int64_t> integer(int column) override {
        const auto field = text(column);
        return field ? std::optional<std::int64_t>(std::stoll(*field)) : std::nullopt;
    }

private:
    std::vector<std::vector<std::optional<std::string>>> rows_;
    std::size_t next_ = 0;
};

class FakeDriver final : public datamig::Driver {
public:
    FakeDialect fake_dialect;
    Columns columns;                                                            // what table_columns() answers
    std::vector<std::vector<std::optional<std::string>>> rows;                  // what a query answers
    std::vector<std::vector<std::vector<std::optional<std::string>>>> answers;  // before `rows`, first first
    std::vector<std::string> log;  // run() statements, queries, writes and transaction calls
    std::vector<std::vector<datamig::Write>> writes;

    const datamig::Dialect& dialect() const override { return fake_dialect; }
    std::string resolve_schema(const std::string&, const std::optional<std::string>& named) override {
        return named.value_or("main");
    }
    Columns table_columns(const datamig::TableName&, const datamig::TableName&) override {
        log.push_back("catalog");
        return columns;
    }
    std::int64_t execute(std::string_view) override { return 0; }
    void run(const std::string& sql) override { log.push_back(sql); }
    std::unique_ptr<datamig::RowReader> query(const std::string& sql, const std::vector<Value>&) override {
        log.push_back(sql);
        if (answers.empty()) return std::make_unique<FakeRows>(rows);
        auto answer = std::move(answers.front());
        answers.erase(answers.begin());
        return std::make_unique<FakeRows>(std::move(answer));
    }
    std::optional<std::string> query_value(std::string_view) override { return std::nullopt; }
    datamig::QueryAnswer query_answer(std::string_view) override { return {}; }
    void prepare(const std::string&, const std::string&) override {}
    void write(const std::vector<datamig::Write>& batch) override { writes.push_back(batch); }
    void begin() override { log.push_back("begin"); }
    void commit() override { log.push_back("commit"); }
    void rollback() noexcept override { log.push_back("rollback"); }
    void rollback_to_savepoint(const std::string& name) override { log.push_back("rollback to " + name); }
    bool try_lock() override { return true; }
    void unlock() noexcept override {}
    std::string lock_holder() override { return ""; }
    void interrupt() noexcept override {}
};

std::vector<std::string> all_history_columns() {
    std::vector<std::string> names;
    for (const auto& column : datamig::history_columns) names.emplace_back(column.name);
    return names;
}

struct Fixture {
    FakeDriver* driver;
    std::unique_ptr<datamig::HistoryStore> store;
};

Fixture make_store(FakeDriver::Columns columns, bool chains = false) {
    auto driver = std::make_unique<FakeDriver>();
    driver->columns = std::move(columns);
    driver->fake_dialect.chains = chains;
    FakeDriver* raw = driver.get();
    return {raw, std::make_unique<datamig::HistoryStore>(std::move(driver), "data_migrations", false)};
}

}  // namespace

TEST_CASE("history store: complete tables cost one catalog query", "[history_store]") {
    auto [driver, store] = make_store({all_history_columns(), {"id"}});
    store->ensure_history();
    CHECK(driver->log == std::vector<std::string>{"catalog"});
}

TEST_CASE("history store: missing tables are created in one transaction from the column table", "[history_store]") {
    auto [driver, store] = make_store({});
    store->ensure_history();
    REQUIRE(driver->log.size() == 6);
    CHECK(driver->log[1] == "begin");
    CHECK(driver->log[3].find(
              "CREATE TABLE IF NOT EXISTS \"main\".\"data_migrations\" (\"version\" TXT PRIMARY KEY, ") == 0);
    CHECK(driver->log[3].find("\"duration_ms\" INT") != std::string::npos);
    CHECK(driver->log[4].find("CREATE TABLE IF NOT EXISTS \"main\".\"data_migrations_events\"") == 0);
    CHECK(driver->log[5] == "commit");
}

TEST_CASE("history store: a legacy version-only table gets each missing column", "[history_store]") {
    auto [driver, store] = make_store({{"version"}, {}});
    store->ensure_history();
    std::size_t alters = 0;
    for (const auto& statement : driver->log) {
        if (statement.rfind("ALTER TABLE", 0) == 0) ++alters;
    }
    CHECK(alters == datamig::history_columns.size() - 1);
    CHECK(driver->log.back() == "commit");
}

TEST_CASE("history store: a table without a version column is refused and rolled back", "[history_store]") {
    auto [driver, store] = make_store({{"id"}, {}});
    CHECK_THROWS_AS(store->ensure_history(), datamig::UsageError);
    CHECK(driver->log.back() == "rollback");
}

TEST_CASE("history store: rows are decoded by position; columns a table lacks read as NULL", "[history_store]") {
    auto [driver, store] = make_store({{"version", "status", "duration_ms"}, {}});
    std::vector<std::optional<std::string>> row(datamig::history_columns.size());
    row[0] = "20260101000001";
    row[4] = "running";
    row[7] = "42";
    driver->rows = {row};
    const auto rows = store->read_history();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].version == "20260101000001");
    CHECK(rows[0].status == datamig::RowStatus::running);
    CHECK(rows[0].duration_ms == 42);
    CHECK(rows[0].context == "{}");
    CHECK_FALSE(rows[0].phase);
    CHECK(driver->log.back().find("SELECT \"version\", NULL, NULL, NULL, \"status\"") == 0);
}

TEST_CASE("history store: an outcome and its event are one write, one statement where the dialect chains",
          "[history_store]") {
    datamig::HistoryRow row;
    row.version = "20260101000001";
    datamig::Event event;
    event.version = row.version;
    SECTION("chained") {
        auto [driver, store] = make_store({}, true);
        store->record(row, event);
        REQUIRE(driver->writes.size() == 1);
        REQUIRE(driver->writes[0].size() == 1);
        CHECK(driver->writes[0][0].values.size() ==
              datamig::history_columns.size() + datamig::event_columns.size() - 1);
    }
    SECTION("two statements in one write") {
        auto [driver, store] = make_store({});
        store->record(row, event);
        REQUIRE(driver->writes.size() == 1);
        CHECK(driver->writes[0].size() == 2);
    }
}

TEST_CASE("history store: a key's facts are the dialect's catalog query, read by position", "[history_store]") {
    auto [driver, store] = make_store({});
    driver->rows = {{"1", "1", "0", "1"}};
    const datamig::KeyFacts facts = store->key_facts("items", "uid");
    CHECK(driver->log.back() == "KEY FACTS ?1 ?2");
    CHECK(facts.table_exists);
    CHECK(facts.column_exists);
    CHECK_FALSE(facts.integer);
    CHECK(facts.indexed);

    driver->rows = {};  // no row: nothing is known to exist
    const datamig::KeyFacts none = store->key_facts("items", "uid");
    CHECK_FALSE(none.table_exists);
    CHECK_FALSE(none.indexed);
}

TEST_CASE("history store: a table's estimate is the catalog's, or the dialect's second query", "[history_store]") {
    auto [driver, store] = make_store({});
    driver->answers = {{{"app", "items", "250000", "0", "0"}}};
    CHECK(store->estimated_rows("", "items") == 250000);
    CHECK(driver->log == std::vector<std::string>{"TABLE SIZE ?1 ?2"});  // the catalog knew

    driver->log.clear();
    driver->answers = {{{"main", "Items", std::nullopt, "1", "1"}}, {{"1200"}}};
    CHECK(store->estimated_rows("", "items") == 1200);
    CHECK(driver->log == std::vector<std::string>{"TABLE SIZE ?1 ?2", "ESTIMATE \"main\".\"Items\" ANALYZED"});

    driver->log.clear();
    driver->answers = {{{"main", "pairs", std::nullopt, "0", "0"}}};
    CHECK_FALSE(store->estimated_rows("main", "pairs"));  // nothing more to ask
    CHECK(driver->log.size() == 1);

    driver->answers = {{{"main", "empty", std::nullopt, "0", "1"}}, {{std::nullopt}}};
    CHECK_FALSE(store->estimated_rows("", "empty"));

    driver->answers = {{}};  // no such table
    CHECK_FALSE(store->estimated_rows("", "nope"));
}

TEST_CASE("history store: a transaction's statement limit is the dialect's statement, or nothing", "[history_store]") {
    auto [driver, store] = make_store({});
    store->begin();
    store->limit_statements(std::chrono::milliseconds(200));
    CHECK(driver->log == std::vector<std::string>{"begin", "LIMIT STATEMENTS 200"});

    driver->fake_dialect.statement_limits = false;  // a database without statement timeouts (SQLite)
    store->limit_statements(std::chrono::milliseconds(200));
    CHECK(driver->log.size() == 2);
}
