// The adapter contract of include/datamig/database.hpp, run against every database kind the
// machine offers (SQLite always, PostgreSQL when the test cluster runs). Shared cases use
// portable SQL only; checks go through tests/support, never through the adapter under test.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "datamig/database.hpp"
#include "datamig/error.hpp"
#include "support/other_session.hpp"
#include "support/test_databases.hpp"

using datamig::ConnectOptions;
using datamig::Database;
using datamig::Event;
using datamig::EventKind;
using datamig::HistoryRow;
using datamig::QueryAnswer;
using datamig::RowStatus;

namespace {

namespace test = datamig::test;

std::string database_kind() { return GENERATE(from_range(test::available_database_kinds())); }

std::unique_ptr<Database> connect(const std::string& url, const std::string& table = "data_migrations") {
    ConnectOptions options;
    options.table = table;
    return datamig::connect(url, options);
}

// Canonical JSON (as PostgreSQL's jsonb prints it), so a json/jsonb column reads back the same.
constexpr const char* tricky_context = R"({"note": "it's; done -- x", "ticket": "OPS-1"})";

HistoryRow full_row(const std::string& version) {
    HistoryRow row;
    row.version = version;
    row.phase = "pre_sync";
    row.name = "backfill_roles";
    row.checksum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    row.status = RowStatus::applied;
    row.started_at = "2026-11-22T09:30:00.123456Z";
    row.finished_at = "2026-11-22T09:30:01.654321Z";
    row.duration_ms = 1530;
    row.operator_name = "o'brien; \"ops\"\nsecond line";
    row.context = tricky_context;
    row.rows_affected = 12345678901;
    row.batch_cursor = "4200";
    return row;
}

// An exec migration in progress: every optional field unknown.
HistoryRow running_row(const std::string& version) {
    HistoryRow row;
    row.version = version;
    row.phase = "post_sync";
    row.name = "enqueue_reindex";
    row.status = RowStatus::running;
    row.started_at = "2026-11-22T09:31:00.000001Z";
    row.operator_name = "deploy";
    return row;
}

void check_same_row(const HistoryRow& actual, const HistoryRow& expected) {
    CHECK(actual.version == expected.version);
    CHECK(actual.phase == expected.phase);
    CHECK(actual.name == expected.name);
    CHECK(actual.checksum == expected.checksum);
    CHECK(actual.status == expected.status);
    CHECK(actual.started_at == expected.started_at);
    CHECK(actual.finished_at == expected.finished_at);
    CHECK(actual.duration_ms == expected.duration_ms);
    CHECK(actual.operator_name == expected.operator_name);
    CHECK(actual.context == expected.context);
    CHECK(actual.rows_affected == expected.rows_affected);
    CHECK(actual.batch_cursor == expected.batch_cursor);
}

// The event recording `row`'s outcome.
Event event_of(const HistoryRow& row, EventKind kind) {
    Event event;
    event.version = row.version;
    event.phase = row.phase.value_or("");
    event.kind = kind;
    event.at = row.finished_at.empty() ? row.started_at : row.finished_at;
    event.operator_name = row.operator_name;
    event.context = row.context;
    event.duration_ms = row.duration_ms;
    event.rows_affected = row.rows_affected;
    return event;
}

std::vector<std::string> event_rows(const std::string& url) {
    return test::query_rows(url,
                            "SELECT version, phase, event, duration_ms, rows_affected "
                            "FROM data_migrations_events ORDER BY id");
}

// `text` as an SQL string literal, the same in SQLite and PostgreSQL.
std::string sql_literal(const std::string& text) {
    std::string literal = "'";
    for (const char c : text) {
        literal += c;
        if (c == '\'') literal += '\'';
    }
    return literal + "'";
}

// A work table with ids 1..5, for the execute/transaction cases.
void create_items(const std::string& url) {
    test::execute_sql(url,
                      "CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER, label TEXT);"
                      "INSERT INTO items (id, n) VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0);");
}

// A fresh database of the kind under test, connected.
struct FreshDatabase {
    std::string kind;
    std::string url;
    std::unique_ptr<Database> database;
};

// With its history tables: how most cases start.
FreshDatabase fresh_history() {
    FreshDatabase fresh{database_kind(), "", nullptr};
    fresh.url = test::fresh_database_url(fresh.kind);
    fresh.database = connect(fresh.url);
    fresh.database->ensure_history();
    return fresh;
}

// With the items table (create_items): how the execute and query cases start.
FreshDatabase fresh_items() {
    FreshDatabase fresh{database_kind(), "", nullptr};
    fresh.url = test::fresh_database_url(fresh.kind);
    create_items(fresh.url);
    fresh.database = connect(fresh.url);
    return fresh;
}

}  // namespace

TEST_CASE("contract: read_history is empty before ensure_history, which is idempotent", "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    auto database = connect(url);

    CHECK(database->read_history().empty());
    database->ensure_history();
    database->ensure_history();
    CHECK(database->read_history().empty());
    CHECK(test::query_value(url, "SELECT count(*) FROM data_migrations") == "0");
    CHECK(test::query_value(url, "SELECT count(*) FROM data_migrations_events") == "0");
}

TEST_CASE("contract: ensure_history restores a missing events table", "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    connect(url)->ensure_history();
    test::execute_sql(url, "DROP TABLE data_migrations_events;");

    auto database = connect(url);
    database->ensure_history();
    CHECK(test::query_value(url, "SELECT count(*) FROM data_migrations_events") == "0");
    database->append_event(event_of(full_row("20261122093000"), EventKind::apply));
    CHECK(event_rows(url).size() == 1);
}

TEST_CASE("contract: save_row and read_history round-trip every field", "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);

    const HistoryRow later = running_row("20261122093100");
    const HistoryRow earlier = full_row("20261122093000");
    database->save_row(later);
    database->save_row(earlier);

    SECTION("a full read returns every field") {
        const auto rows = database->read_history();
        REQUIRE(rows.size() == 2);
        check_same_row(rows[0], earlier);  // ordered by version, not by insertion
        check_same_row(rows[1], later);
        CHECK_FALSE(rows[0].adopted());
    }
    SECTION("a plan read keeps what migrate plans with, and running rows whole") {
        const auto rows = database->read_history(Database::Detail::plan);
        REQUIRE(rows.size() == 2);
        HistoryRow planned;  // the applied row as a plan sees it: the rest keeps HistoryRow's defaults
        planned.version = earlier.version;
        planned.phase = earlier.phase;
        planned.name = earlier.name;
        planned.status = earlier.status;
        check_same_row(rows[0], planned);
        check_same_row(rows[1], later);
    }
}

TEST_CASE("contract: save_row replaces the row of the same version", "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);

    HistoryRow row = running_row("20261122093100");
    database->save_row(row);
    row.status = RowStatus::applied;
    row.finished_at = "2026-11-22T09:32:00.000000Z";
    row.duration_ms = 60000;
    database->save_row(row);

    const auto rows = database->read_history();
    REQUIRE(rows.size() == 1);
    check_same_row(rows[0], row);
}

TEST_CASE("contract: empty text fields are stored as they were before the history store", "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);
    HistoryRow row = full_row("20261122093000");
    row.started_at = "";
    row.finished_at = "";
    row.operator_name = "";
    row.context = "";
    Event event = event_of(row, EventKind::apply);
    event.phase = "";
    event.at = "";
    database->record(row, event);

    // SQLite stored an unknown operator as NULL, PostgreSQL as ''; both an unknown time as
    // NULL, except an event's, which PostgreSQL took as now. Readers of the tables see these.
    const bool sqlite = kind == "sqlite";
    CHECK(test::query_value(url, "SELECT COALESCE(started_at, finished_at) IS NULL FROM data_migrations") ==
          (sqlite ? "1" : "t"));
    CHECK(test::query_rows(url, "SELECT operator, context FROM data_migrations") ==
          std::vector<std::string>{sqlite ? "<null>|" : "|"});
    CHECK(test::query_rows(url, "SELECT phase, operator, context FROM data_migrations_events") ==
          std::vector<std::string>{sqlite ? "<null>|<null>|" : "<null>||"});
    CHECK(test::query_value(url, sqlite ? "SELECT at = '' FROM data_migrations_events"
                                        : "SELECT at > now() - interval '1 hour' FROM data_migrations_events") ==
          (sqlite ? "1" : "t"));
    const auto rows = database->read_history();
    REQUIRE(rows.size() == 1);
    check_same_row(rows[0], row);
}

TEST_CASE("contract: record saves the row and appends its event, on their own or in a transaction",
          "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);
    database->save_row(running_row("20261122093000"));

    const HistoryRow row = full_row("20261122093000");  // replaces the running row
    database->record(row, event_of(row, EventKind::apply));
    const auto rows = database->read_history();
    REQUIRE(rows.size() == 1);
    check_same_row(rows[0], row);
    CHECK(event_rows(url) == std::vector<std::string>{"20261122093000|pre_sync|apply|1530|12345678901"});
    // Quotes, semicolons and newlines are bound as values, never spliced into the SQL.
    CHECK(test::query_value(
              url, "SELECT count(*) FROM data_migrations_events WHERE operator = " + sql_literal(row.operator_name) +
                       " AND context = " + sql_literal(row.context) + " AND at IS NOT NULL") == "1");

    database->begin();
    const HistoryRow later = running_row("20261122093100");
    database->record(later, event_of(later, EventKind::resolve));
    database->rollback();
    CHECK(database->read_history().size() == 1);
    CHECK(event_rows(url).size() == 1);
    database->begin();
    database->record(later, event_of(later, EventKind::resolve));
    database->commit();
    CHECK(database->read_history().size() == 2);
    CHECK(event_rows(url).size() == 2);
}

TEST_CASE("contract: record_removal deletes exactly that version and appends its event", "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);
    const HistoryRow kept = full_row("20261122093000");
    const HistoryRow removed = running_row("20261122093100");
    database->save_row(kept);
    database->save_row(removed);

    Event failure = event_of(removed, EventKind::fail);
    failure.error = "exit status 3; said 'no'\nsee the log";
    database->record_removal(failure);
    database->record_removal(event_of(full_row("20990101000000"), EventKind::rollback));  // no row: only the event

    const auto rows = database->read_history();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].version == kept.version);
    CHECK(event_rows(url) == std::vector<std::string>{"20261122093100|post_sync|fail|<null>|<null>",
                                                      "20990101000000|pre_sync|rollback|1530|12345678901"});
    CHECK(test::query_value(
              url, "SELECT count(*) FROM data_migrations_events WHERE error = " + sql_literal(*failure.error)) == "1");

    database->begin();
    database->record_removal(event_of(kept, EventKind::rollback));
    database->rollback();
    CHECK(database->read_history().size() == 1);
    CHECK(event_rows(url).size() == 2);
}

TEST_CASE("contract: record and record_removal write both or neither", "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);
    const HistoryRow row = full_row("20261122093000");
    database->save_row(row);
    test::execute_sql(url, "DROP TABLE data_migrations_events;");  // every event write fails

    CHECK_THROWS_AS(database->record(running_row("20261122093100"), event_of(row, EventKind::apply)),
                    datamig::SqlError);
    CHECK_THROWS_AS(database->record_removal(event_of(row, EventKind::rollback)), datamig::SqlError);
    const auto rows = database->read_history();
    REQUIRE(rows.size() == 1);
    check_same_row(rows[0], row);

    // The session is usable afterwards, in and out of a transaction.
    database->save_row(running_row("20261122093100"));
    database->begin();
    database->save_row(running_row("20261122093200"));
    database->commit();
    CHECK(database->read_history().size() == 3);
}

TEST_CASE("contract: append_event adds audit rows in order", "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);

    Event apply;
    apply.version = "20261122093000";
    apply.phase = "pre_sync";
    apply.kind = EventKind::apply;
    apply.at = "2026-11-22T09:30:01.654321Z";
    apply.operator_name = "o'brien; ops";
    apply.context = tricky_context;
    apply.duration_ms = 1530;
    apply.rows_affected = 42;
    Event failure;
    failure.version = "20261122093100";
    failure.phase = "post_sync";
    failure.kind = EventKind::fail;
    failure.at = "2026-11-22T09:31:00.000001Z";
    failure.operator_name = "deploy";
    failure.error = "exit status 3; said 'no'";
    database->append_event(apply);
    database->append_event(failure);

    const auto rows =
        test::query_rows(url,
                         "SELECT version, phase, event, operator, context, duration_ms, rows_affected, error "
                         "FROM data_migrations_events ORDER BY id");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == std::string("20261122093000|pre_sync|apply|o'brien; ops|") + tricky_context + "|1530|42|<null>");
    CHECK(rows[1] == "20261122093100|post_sync|fail|deploy|{}|<null>|<null>|exit status 3; said 'no'");
    CHECK(test::query_value(url, "SELECT count(*) FROM data_migrations_events WHERE at IS NOT NULL") == "2");
    CHECK(database->read_history().empty());  // events are not history rows
}

TEST_CASE("contract: a legacy version-only table is adopted", "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    // As the Rails data-migrate gem creates it.
    test::execute_sql(url,
                      "CREATE TABLE data_migrations (version VARCHAR(255) NOT NULL PRIMARY KEY);"
                      "INSERT INTO data_migrations (version) VALUES ('20200102000000'), ('20200101000000');");
    auto database = connect(url);

    SECTION("read before adoption shows the rows as adopted, and changes nothing") {
        const auto detail = GENERATE(Database::Detail::full, Database::Detail::plan);
        CAPTURE(detail == Database::Detail::plan);
        const auto rows = database->read_history(detail);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].version == "20200101000000");
        CHECK(rows[0].adopted());
        CHECK(rows[0].status == RowStatus::applied);
        CHECK_THROWS(test::query_rows(url, "SELECT status FROM data_migrations"));
    }
    SECTION("ensure_history adds the columns; existing rows read as applied, phase unknown") {
        database->ensure_history();
        database->ensure_history();
        const auto rows = database->read_history();
        REQUIRE(rows.size() == 2);
        for (const auto& row : rows) {
            CHECK(row.adopted());
            CHECK_FALSE(row.name);
            CHECK(row.status == RowStatus::applied);
            CHECK(row.started_at.empty());
            CHECK_FALSE(row.rows_affected);
        }
        CHECK(test::query_rows(url,
                               "SELECT version, status, phase, name, batch_cursor FROM data_migrations "
                               "ORDER BY version") ==
              std::vector<std::string>{"20200101000000|applied|<null>|<null>|<null>",
                                       "20200102000000|applied|<null>|<null>|<null>"});

        const HistoryRow row = full_row("20261122093000");
        database->save_row(row);
        const auto after = database->read_history();
        REQUIRE(after.size() == 3);
        check_same_row(after[2], row);
    }
}

// SQLite refused such a table before the history store; PostgreSQL added a "version" primary
// key to it, which failed on a table with rows and adopted an empty one. Both refuse it now.
TEST_CASE("contract: a table without a version column is refused, and left as it is", "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    test::execute_sql(url, "CREATE TABLE data_migrations (id INTEGER); INSERT INTO data_migrations (id) VALUES (1);");
    auto database = connect(url);
    try {
        database->ensure_history();
        FAIL_CHECK("no UsageError");
    } catch (const datamig::UsageError& error) {
        CHECK(error.code() == datamig::Exit::usage);
        CHECK_THAT(error.what(), Catch::Contains("has no version column"));
    }
    CHECK(test::query_rows(url, "SELECT * FROM data_migrations") == std::vector<std::string>{"1"});
    CHECK_THROWS(test::query_rows(url, "SELECT * FROM data_migrations_events"));
}

TEST_CASE("contract: a schema-qualified table name", "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    // SQLite's schemas are attached databases; "main" is always there.
    const std::string schema = kind == "postgres" ? "ops" : "main";
    if (kind == "postgres") test::execute_sql(url, "CREATE SCHEMA ops;");
    const std::string table = schema + ".history";
    auto database = connect(url, table);

    database->ensure_history();
    database->save_row(full_row("20261122093000"));
    Event event;
    event.version = "20261122093000";
    event.phase = "pre_sync";
    event.at = "2026-11-22T09:30:01.654321Z";
    database->append_event(event);

    REQUIRE(database->read_history().size() == 1);
    CHECK(test::query_value(url, "SELECT name FROM " + table) == "backfill_roles");
    CHECK(test::query_value(url, "SELECT event FROM " + table + "_events") == "apply");
    CHECK_THROWS(test::query_rows(url, "SELECT * FROM data_migrations"));
}

TEST_CASE("contract: a rolled-back transaction leaves nothing", "[database][contract]") {
    auto [kind, url, database] = fresh_items();
    CAPTURE(kind);
    database->ensure_history();

    database->begin();
    CHECK_THROWS_AS(database->begin(), std::logic_error);
    CHECK(database->execute("UPDATE items SET n = 7; DELETE FROM items WHERE id = 1;") == 6);
    database->save_row(full_row("20261122093000"));
    database->rollback();

    CHECK(test::query_value(url, "SELECT count(*) FROM items WHERE n = 0") == "5");
    CHECK(database->read_history().empty());

    database->begin();
    database->execute("UPDATE items SET n = 8 WHERE id = 2;");
    database->save_row(full_row("20261122093000"));
    database->commit();
    CHECK(test::query_value(url, "SELECT n FROM items WHERE id = 2") == "8");
    CHECK(database->read_history().size() == 1);
}

TEST_CASE("contract: execute returns the rows affected by all statements", "[database][contract]") {
    auto [kind, url, database] = fresh_items();
    CAPTURE(kind);

    CHECK(database->execute("UPDATE items SET n = 1 WHERE id <= 2;\n"
                            "UPDATE items SET label = 'a;b' WHERE id = 3;\n"
                            "-- a comment; not a statement\n"
                            "UPDATE items SET n = 3 WHERE id > 3;\n"
                            "SELECT count(*) FROM items;\n") == 5);
    CHECK(test::query_value(url, "SELECT label FROM items WHERE id = 3") == "a;b");
    CHECK(database->execute("INSERT INTO items (id, n) VALUES (6, 0), (7, 0);\n"
                            "CREATE TABLE other_items (id INTEGER);\n") == 2);
    CHECK(database->execute("SELECT id FROM items;") == 0);
    CHECK(database->execute("UPDATE items SET n = 9 WHERE id > 100;") == 0);
}

TEST_CASE("contract: a rejected statement is an SqlError with its line", "[database][contract]") {
    auto [kind, url, database] = fresh_items();
    CAPTURE(kind);

    const auto line_of_error = [&](const std::string& sql) {
        try {
            database->execute(sql);
        } catch (const datamig::SqlError& error) {
            CHECK(error.code() == datamig::Exit::failed);
            CHECK(std::string(error.what()).size() > 0);
            return error.line();
        }
        FAIL_CHECK("no SqlError for: " << sql);
        return -1;
    };
    CHECK(line_of_error("UPDATE items SET n = 1;\n\nSELEC broken;\n") == 3);
    CHECK(line_of_error("-- first\nUPDATE items SET n = 1;\n-- the bad one\nUPDATE no_such_table SET n = 1;\n") == 4);

    // Also as the first statement of a transaction, which begins it.
    database->begin();
    CHECK_THROWS_WITH(database->execute("UPDATE no_such_table SET n = 1;"), Catch::Contains("no_such_table"));
    database->rollback();
}

TEST_CASE("contract: a trigger whose body holds statements is one statement of a script", "[database][contract]") {
    auto [kind, url, database] = fresh_items();
    CAPTURE(kind);
    // Each body holds two statements with their own ';': SQLite's BEGIN ... END, PostgreSQL's $$.
    const std::string trigger = kind == "sqlite"
                                    ? "CREATE TRIGGER items_touched AFTER UPDATE OF n ON items\n"
                                      "BEGIN\n"
                                      "  UPDATE items SET label = 'touched' WHERE id = NEW.id;\n"
                                      "  INSERT INTO audit (id) VALUES (NEW.id);\n"
                                      "END;\n"
                                    : "CREATE FUNCTION items_touched() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                                      "BEGIN\n"
                                      "  UPDATE items SET label = 'touched' WHERE id = NEW.id;\n"
                                      "  INSERT INTO audit (id) VALUES (NEW.id);\n"
                                      "  RETURN NEW;\n"
                                      "END $$;\n"
                                      "CREATE TRIGGER items_touched AFTER UPDATE OF n ON items\n"
                                      "FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION items_touched();\n";
    // A statement after the trigger fails at its own line of the script.
    const std::string script =
        "CREATE TABLE audit (id INTEGER);\n" + trigger + "UPDATE items SET n = 1 WHERE id = 2;\n";
    const int bad_line = 1 + static_cast<int>(std::count(script.begin(), script.end(), '\n'));
    try {
        database->execute(script + "SELEC broken;\n");
        FAIL_CHECK("no SqlError");
    } catch (const datamig::SqlError& error) {
        CHECK(error.line() == bad_line);
    }
    // The trigger fired, and its own changes are not the statement's.
    CHECK(database->execute("UPDATE items SET n = 2 WHERE id = 4;") == 1);
    CHECK(test::query_rows(url, "SELECT id, label FROM items WHERE label IS NOT NULL ORDER BY id") ==
          std::vector<std::string>{"2|touched", "4|touched"});
    CHECK(test::query_rows(url, "SELECT id FROM audit ORDER BY id") == std::vector<std::string>{"2", "4"});
}

TEST_CASE("contract: query_value reads the first cell", "[database][contract]") {
    auto [kind, url, database] = fresh_items();
    CAPTURE(kind);

    // Booleans print as 1/0 in SQLite and t/f in PostgreSQL; the core accepts both.
    const auto is_true = [](const std::optional<std::string>& value) {
        return value == "1" || value == "t" || value == "true";
    };
    const auto is_false = [](const std::optional<std::string>& value) {
        return value == "0" || value == "f" || value == "false";
    };
    CHECK(is_true(database->query_value("SELECT count(*) = 5 FROM items")));
    CHECK(is_false(database->query_value("SELECT count(*) = 0 FROM items")));
    CHECK(database->query_value("SELECT count(*) FROM items WHERE id > 2") == "3");
    CHECK(database->query_value("SELECT 'it''s'") == "it's");
    CHECK_FALSE(database->query_value("SELECT NULL"));
    CHECK_FALSE(database->query_value("SELECT id FROM items WHERE id > 100"));
    CHECK_THROWS_AS(database->query_value("SELECT nope FROM items"), datamig::SqlError);
}

TEST_CASE("contract: query_answer reports the result's shape and its first cell's type", "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);
    create_items(url);
    using Type = QueryAnswer::Type;
    Database& queried = *database;  // a lambda cannot capture a structured binding (C++17)
    const auto check = [&](const std::string& sql, std::int64_t rows, std::int64_t columns, Type type,
                           const std::optional<std::string>& value) {
        CAPTURE(sql);
        const QueryAnswer answer = queried.query_answer(sql);
        CHECK(answer.rows == rows);
        CHECK(answer.columns == columns);
        CHECK(answer.type == type);
        CHECK(answer.value == value);
        return answer;
    };

    // SQLite has no boolean: a comparison is the integer 1 or 0.
    if (kind == "postgres") {
        check("SELECT count(*) = 5 FROM items", 1, 1, Type::boolean, "t");
    } else {
        check("SELECT count(*) = 5 FROM items", 1, 1, Type::integer, "1");
    }
    check("SELECT count(*) FROM items WHERE id > 2", 1, 1, Type::integer, "3");
    check("SELECT CAST(7 AS SMALLINT)", 1, 1, Type::integer, "7");
    CHECK(check("SELECT 'yes'", 1, 1, Type::other, "yes").type_name == "text");
    CHECK(check("SELECT 1.5", 1, 1, Type::other, "1.5").type_name == (kind == "postgres" ? "numeric" : "real"));
    check("SELECT id FROM items ORDER BY id", 5, 1, Type::integer, "1");
    check("SELECT id, n FROM items WHERE id = 2", 1, 2, Type::integer, "2");
    CHECK_FALSE(database->query_answer("SELECT NULL").value);
    CHECK(database->query_answer("SELECT NULL").rows == 1);
    const QueryAnswer no_row = database->query_answer("SELECT id FROM items WHERE id > 100");
    CHECK(no_row.rows == 0);
    CHECK(no_row.columns == 1);
    CHECK_FALSE(no_row.value);
    CHECK_THROWS_AS(database->query_answer("SELECT nope FROM items"), datamig::SqlError);
}

TEST_CASE("contract: bookkeeping stays in the tables found at connect, whatever a migration does to names",
          "[database][contract]") {
    auto [kind, url, database] = fresh_history();
    CAPTURE(kind);
    // After these an unqualified data_migrations means no table, or a decoy: PostgreSQL resolves
    // names through search_path; in SQLite a temporary table shadows the main one.
    const std::vector<std::string> redirections =
        kind == "postgres"
            ? std::vector<std::string>{"SET search_path TO ''",
                                       "CREATE SCHEMA decoy;"
                                       "CREATE TABLE decoy.data_migrations (LIKE public.data_migrations INCLUDING ALL);"
                                       "CREATE TABLE decoy.data_migrations_events (LIKE public.data_migrations_events);"
                                       "SET search_path TO decoy"}
            : std::vector<std::string>{
                  "CREATE TEMP TABLE data_migrations AS SELECT * FROM main.data_migrations;"
                  "CREATE TEMP TABLE data_migrations_events AS "
                  "SELECT * FROM main.data_migrations_events"};
    const auto redirection = GENERATE_COPY(from_range(redirections));
    const bool in_transaction = GENERATE(true, false);
    CAPTURE(redirection, in_transaction);

    if (in_transaction) database->begin();
    database->execute(redirection);
    const HistoryRow applied = full_row("20261122093000");
    database->record(applied, event_of(applied, EventKind::apply));
    if (in_transaction) database->commit();
    database->save_row(running_row("20261122093100"));
    database->record_removal(event_of(running_row("20261122093100"), EventKind::fail));
    database->append_event(event_of(applied, EventKind::resolve));
    database->ensure_history();

    const auto rows = database->read_history();
    REQUIRE(rows.size() == 1);
    check_same_row(rows[0], applied);
    CHECK(event_rows(url) == std::vector<std::string>{"20261122093000|pre_sync|apply|1530|12345678901",
                                                      "20261122093100|post_sync|fail|<null>|<null>",
                                                      "20261122093000|pre_sync|resolve|1530|12345678901"});
    // Nothing landed in the decoy (SQLite's temporary tables are only visible to the session).
    if (kind == "postgres" && redirection.find("decoy") != std::string::npos) {
        CHECK(test::query_value(url, "SELECT count(*) FROM decoy.data_migrations") == "0");
        CHECK(test::query_value(url, "SELECT count(*) FROM decoy.data_migrations_events") == "0");
    } else if (kind == "sqlite") {
        CHECK(database->query_value("SELECT count(*) FROM temp.data_migrations") == "0");
        CHECK(database->query_value("SELECT count(*) FROM temp.data_migrations_events") == "0");
    }
}

TEST_CASE("contract: the runner lock is held by one connection at a time", "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    auto first = connect(url);
    auto second = connect(url);

    REQUIRE(first->try_lock());
    CHECK(first->try_lock());  // re-entrant for its holder
    CHECK_FALSE(second->try_lock());
    if (kind == "sqlite") CHECK_THAT(second->lock_holder(), Catch::StartsWith("pid "));

    first->unlock();
    REQUIRE(second->try_lock());
    CHECK_FALSE(first->try_lock());

    // A holder that goes away releases the lock too: see the adapter-specific tests, since
    // how soon depends on the database (the kernel at once, a PostgreSQL backend shortly after).
    second->unlock();
    CHECK(first->try_lock());
    first->unlock();
}

namespace {

// The application holding what a statement of datamig's needs: on PostgreSQL the row lock that
// `lock` takes, on SQLite the write lock of the whole file.
std::string holding_lock(const std::string& kind, const std::string& lock) {
    return kind == "sqlite" ? "BEGIN IMMEDIATE;" : "BEGIN;\n" + lock;
}

// The SqlError `statement` throws, if any, and how long it took.
template <typename Statement>
std::pair<std::optional<datamig::SqlError>, std::chrono::steady_clock::duration> failure_of(Statement&& statement) {
    const auto started = std::chrono::steady_clock::now();
    try {
        statement();
    } catch (const datamig::SqlError& error) {
        return {error, std::chrono::steady_clock::now() - started};
    }
    return {std::nullopt, std::chrono::steady_clock::now() - started};
}

}  // namespace

TEST_CASE("contract: a migration statement waits for a lock at most lock_timeout, then fails as transient",
          "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    create_items(url);
    test::OtherSession application(url);
    application.run(holding_lock(kind, "SELECT id FROM items WHERE id = 1 FOR UPDATE;"));
    ConnectOptions options;
    options.lock_timeout = std::chrono::milliseconds(200);
    auto database = datamig::connect(url, options);

    // In a transaction (where SQLite waits in its BEGIN, and PostgreSQL limits the transaction)
    // and then on its own (autocommit; PostgreSQL limits the session from then on).
    for (const bool in_transaction : {true, false}) {
        CAPTURE(in_transaction);
        if (in_transaction) database->begin();
        const auto [error, took] = failure_of([&] { database->execute("\nUPDATE items SET n = 1 WHERE id = 1;"); });
        if (in_transaction) database->rollback();
        REQUIRE(error);
        CHECK(error->transient() == datamig::Transient::lock_timeout);
        CHECK(error->line() == 2);
        CHECK(took >= std::chrono::milliseconds(150));
        CHECK(took < std::chrono::milliseconds(900));
    }

    application.run("ROLLBACK;");
    CHECK(database->execute("UPDATE items SET n = 1 WHERE id = 1;") == 1);
}

TEST_CASE("contract: lock_timeout does not limit the store's writes of a connection that runs no migration",
          "[database][contract]") {
    // `datamig pause` updating the row of a migration whose batch holds it: it must wait.
    auto [kind, url, unused] = fresh_history();
    CAPTURE(kind);
    unused.reset();
    ConnectOptions options;
    options.lock_timeout = std::chrono::milliseconds(100);
    auto database = datamig::connect(url, options);
    auto row = running_row("20261122093000");
    database->save_row(row);
    test::OtherSession runner(url);
    runner.run(holding_lock(kind, "UPDATE data_migrations SET name = name WHERE version = '20261122093000';"));

    std::thread commit_later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        runner.run("COMMIT;");
    });
    row.batch_cursor = "42";
    const auto [error, took] = failure_of([&] { database->save_row(row); });
    commit_later.join();
    CHECK_FALSE(error);
    CHECK(took >= std::chrono::milliseconds(400));
    CHECK(test::query_value(url, "SELECT batch_cursor FROM data_migrations") == "42");
}

TEST_CASE("contract: limit_statements limits the statements of its transaction only; SQLite has no such limit",
          "[database][contract]") {
    const auto kind = database_kind();
    CAPTURE(kind);
    const auto url = test::fresh_database_url(kind);
    create_items(url);
    auto database = connect(url);
    // About 400 ms on PostgreSQL; SQLite's is a count it takes a while to make.
    const std::string slow = kind == "postgres" ? "SELECT pg_catalog.pg_sleep(0.4);"
                                                : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                                                  "WHERE x < 1000000) SELECT count(*) FROM c;";

    database->begin();
    database->limit_statements(std::chrono::milliseconds(100));
    const auto [error, took] = failure_of([&] { database->execute("UPDATE items SET n = 1 WHERE id = 1;\n" + slow); });
    database->rollback();
    if (kind == "postgres") {
        REQUIRE(error);
        CHECK(error->transient() == datamig::Transient::statement_timeout);
        CHECK(error->line() == 2);
        CHECK(took >= std::chrono::milliseconds(90));
        CHECK(took < std::chrono::milliseconds(390));
    } else {
        CHECK_FALSE(error);
    }

    // Gone with the transaction: the next one, and a statement on its own, take as long as they take.
    database->begin();
    CHECK_NOTHROW(database->execute(slow));
    database->commit();
    CHECK_NOTHROW(database->execute(slow));
}

TEST_CASE("sqlite: a read-only connection to a missing file creates nothing", "[database][sqlite]") {
    const auto url = test::fresh_database_url("sqlite");
    const auto folder = std::filesystem::path(url.substr(std::string("sqlite:").size())).parent_path();
    const auto missing = folder / "missing" / "never.sqlite3";
    ConnectOptions options;
    options.read_only = true;

    auto database = datamig::connect("sqlite:" + missing.string(), options);
    CHECK(database->read_history().empty());
    CHECK(database->try_lock());
    CHECK_FALSE(std::filesystem::exists(missing.parent_path()));
}

TEST_CASE("sqlite: a file that cannot be opened is Unavailable", "[database][sqlite]") {
    const auto url = test::fresh_database_url("sqlite");
    const auto folder = std::filesystem::path(url.substr(std::string("sqlite:").size())).parent_path();
    try {
        datamig::connect("sqlite:" + folder.string(), {});  // a directory, not a database file
        FAIL("connect to a directory succeeded");
    } catch (const datamig::Unavailable& error) {
        CHECK_THAT(error.what(), Catch::StartsWith("cannot open SQLite database " + folder.string() + ": "));
    }
}

TEST_CASE("sqlite: a schema that is not an attached database is a usage error", "[database][sqlite]") {
    const auto url = test::fresh_database_url("sqlite");
    try {
        connect(url, "ops.history");
        FAIL("connect with an unknown schema succeeded");
    } catch (const datamig::UsageError& error) {
        CHECK_THAT(error.what(), Catch::Contains("'ops'"));
    }
}

namespace {

// A forked child that is killed and reaped at the latest when the test ends, even when a
// REQUIRE fails first, so no test leaves a process behind.
class ChildProcess {
public:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() { kill(); }
    void kill() noexcept {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_;
};

}  // namespace

TEST_CASE("sqlite: the runner lock dies with the process holding it", "[database][sqlite]") {
    const auto url = test::fresh_database_url("sqlite");
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t holder = ::fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
        // Child: take the lock, report it, and wait to be killed, never unlocking.
        const auto database = connect(url);
        const char locked = database->try_lock() ? 'y' : 'n';
        [[maybe_unused]] const auto written = ::write(ready[1], &locked, 1);
        ::pause();
        ::_exit(0);
    }
    ChildProcess child(holder);
    ::close(ready[1]);
    char locked = 0;
    REQUIRE(::read(ready[0], &locked, 1) == 1);
    ::close(ready[0]);
    REQUIRE(locked == 'y');

    auto waiter = connect(url);
    CHECK_FALSE(waiter->try_lock());
    CHECK_THAT(waiter->lock_holder(), Catch::StartsWith("pid " + std::to_string(holder) + " since "));
    child.kill();
    CHECK(waiter->try_lock());
}
