// PostgreSQL-only behaviour of the adapter; what every adapter must do is in
// database_contract_test.cpp. Needs the test cluster (DATAMIG_TEST_PG_URL_FILE).
#include "datamig/database.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "datamig/error.hpp"
#include "support/other_session.hpp"
#include "support/test_databases.hpp"

namespace {

using namespace std::chrono_literals;

std::optional<std::string> fresh_postgres_url() {
    const auto kinds = datamig::test::available_database_kinds();
    if (std::find(kinds.begin(), kinds.end(), "postgres") == kinds.end()) return std::nullopt;
    return datamig::test::fresh_database_url("postgres");
}

// postgres://user:password@host... with another password.
std::string with_password(const std::string& url, const std::string& password) {
    const auto user_start = url.find("://") + 3;
    const auto at = url.find('@', user_start);
    const auto colon = url.find(':', user_start);
    return url.substr(0, colon + 1) + password + url.substr(at);
}

std::string password_in(const std::string& url) {
    const auto user_start = url.find("://") + 3;
    const auto colon = url.find(':', user_start);
    return url.substr(colon + 1, url.find('@', user_start) - colon - 1);
}

std::unique_ptr<datamig::Database> open(const std::string& url, datamig::ConnectOptions options = {}) {
    return datamig::connect(url, options);
}

// The SqlError `statement` throws, if any.
template <typename Statement>
std::optional<datamig::SqlError> sql_error_of(Statement&& statement) {
    try {
        statement();
    } catch (const datamig::SqlError& error) {
        return error;
    }
    return std::nullopt;
}

// Until a session of the database of `url` waits for a lock (at most 10 s).
void wait_until_a_session_waits_for_a_lock(const std::string& url) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (datamig::test::query_value(url,
                                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND wait_event_type = 'Lock'") != "0") {
            return;
        }
        std::this_thread::sleep_for(50ms);
    }
    FAIL("no session waits for a lock");
}

}  // namespace

#define SKIP_WITHOUT_POSTGRES(url)                                                   \
    if (!(url)) {                                                                    \
        WARN("no PostgreSQL test cluster (DATAMIG_TEST_PG_URL_FILE); test skipped"); \
        return;                                                                      \
    }

TEST_CASE("postgres: the runner lock is held by one session and names its holder", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto holder = open(*url);
    auto waiter = open(*url);

    REQUIRE(holder->try_lock());
    CHECK_FALSE(waiter->try_lock());
    const auto description = waiter->lock_holder();
    CHECK_THAT(description, Catch::Contains("pid ") && Catch::Contains("application datamig"));

    holder->unlock();
    CHECK(waiter->try_lock());
    CHECK_FALSE(holder->try_lock());
    waiter->unlock();
    CHECK(waiter->lock_holder().empty());
}

TEST_CASE("postgres: the runner lock is per table", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::ConnectOptions other_table;
    other_table.table = "other_migrations";
    auto first = open(*url);
    auto second = open(*url, other_table);

    CHECK(first->try_lock());
    CHECK(second->try_lock());
}

TEST_CASE("postgres: the runner lock is released when its holder disconnects", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto holder = open(*url);
    auto waiter = open(*url);
    REQUIRE(holder->try_lock());
    REQUIRE_FALSE(waiter->try_lock());

    holder.reset();
    // The server ends the old backend asynchronously, so allow it a moment.
    bool acquired = false;
    for (int attempt = 0; attempt < 100 && !acquired; ++attempt) {
        acquired = waiter->try_lock();
        if (!acquired) std::this_thread::sleep_for(50ms);
    }
    CHECK(acquired);
}

TEST_CASE("postgres: statements outside a transaction commit on their own", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto database = open(*url);

    database->execute("CREATE TABLE items (id int);\nINSERT INTO items VALUES (1), (2);");
    database->execute("CREATE INDEX CONCURRENTLY items_id ON items (id);\nVACUUM items;");

    CHECK(datamig::test::query_value(*url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_id'") == "1");
}

TEST_CASE("postgres: a failed statement inside a transaction leaves nothing after rollback", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto database = open(*url);
    database->execute("CREATE TABLE items (id int)");

    database->begin();
    CHECK(database->execute("INSERT INTO items VALUES (1), (2), (3)") == 3);
    try {
        database->execute("UPDATE items SET id = id + 1;\n\nSELECT *\n  FROM missing_table;");
        FAIL("the statement on a missing table succeeded");
    } catch (const datamig::SqlError& e) {
        CHECK_THAT(e.what(), Catch::Contains("missing_table") && !Catch::StartsWith("ERROR"));
        CHECK(e.line() == 4);  // the server points at line 2 of the statement starting on line 3
    }
    database->rollback();

    CHECK(datamig::test::query_value(*url, "SELECT count(*) FROM items") == "0");
    // The session is usable again.
    CHECK(database->query_value("SELECT 40 + 2") == std::optional<std::string>("42"));
}

TEST_CASE("postgres: the first statement of a transaction reports its own line, and nothing runs until rollback",
          "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto database = open(*url);
    database->execute("CREATE TABLE items (id int)");
    const auto line_of_error = [&](const std::string& sql) {
        try {
            database->execute(sql);
        } catch (const datamig::SqlError& e) {
            return e.line();
        }
        FAIL_CHECK("no SqlError for: " << sql);
        return -1;
    };

    // A syntax error stops the whole message that carries BEGIN; a missing table fails after it.
    for (const std::string bad : {"\n\nSELEC broken;\nINSERT INTO items VALUES (1);",
                                  "INSERT INTO items\n  VALUES (1);\nSELECT *\n  FROM missing_table;"}) {
        CAPTURE(bad);
        database->begin();
        CHECK(line_of_error(bad) == (bad.front() == '\n' ? 3 : 4));
        CHECK_THROWS_WITH(database->execute("INSERT INTO items VALUES (2)"), Catch::Contains("transaction is aborted"));
        CHECK_THROWS_AS(database->commit(), datamig::SqlError);
        database->rollback();
        CHECK(datamig::test::query_value(*url, "SELECT count(*) FROM items") == "0");
    }

    // The session is usable again, in a transaction and out of one.
    database->begin();
    CHECK(database->execute("INSERT INTO items VALUES (3)") == 1);
    database->commit();
    database->begin();
    database->commit();  // nothing ran in it
    CHECK(database->execute("INSERT INTO items VALUES (4)") == 1);
    CHECK(datamig::test::query_value(*url, "SELECT count(*) FROM items") == "2");
}

TEST_CASE("postgres: a transaction is a transaction block from its first statement", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto database = open(*url);
    database->execute("CREATE TABLE items (id int)");

    database->begin();
    CHECK_THROWS_WITH(database->execute("VACUUM items"), Catch::Contains("transaction block"));
    database->rollback();
    database->begin();
    CHECK(database->query_value("SELECT count(*) FROM items") == std::optional<std::string>("0"));
    CHECK(database->execute("INSERT INTO items VALUES (1)") == 1);
    database->rollback();
    CHECK(datamig::test::query_value(*url, "SELECT count(*) FROM items") == "0");
}

TEST_CASE("postgres: statement_timeout stops a long statement, a transient error", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::ConnectOptions options;
    options.statement_timeout = 100ms;
    auto database = open(*url, options);

    const auto started = std::chrono::steady_clock::now();
    const auto error = sql_error_of([&] { database->execute("SELECT pg_sleep(2)"); });
    CHECK(std::chrono::steady_clock::now() - started < 1500ms);
    REQUIRE(error);
    CHECK(error->transient() == datamig::Transient::statement_timeout);
}

TEST_CASE("postgres: interrupt cancels the running statement from another thread, for good", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    // With a statement_timeout too: the cancel of a stop has the same SQLSTATE as a timeout's.
    datamig::ConnectOptions options;
    options.statement_timeout = 10s;
    auto database = open(*url, options);

    std::thread canceller([&] {
        std::this_thread::sleep_for(300ms);
        database->interrupt();
    });
    const auto started = std::chrono::steady_clock::now();
    const auto error = sql_error_of([&] { database->execute("SELECT pg_sleep(5)"); });
    canceller.join();
    CHECK(std::chrono::steady_clock::now() - started < 4s);
    REQUIRE(error);
    CHECK(error->transient() == datamig::Transient::no);  // a stop is never retried
}

TEST_CASE("postgres: the victim of a deadlock fails as transient", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::test::execute_sql(
        *url, "CREATE TABLE pair (id int PRIMARY KEY, n int); INSERT INTO pair VALUES (1, 0), (2, 0);");
    auto database = open(*url);
    // The session that waits deadlock_timeout first finds the deadlock and is the one cancelled.
    database->execute("SET deadlock_timeout = '100ms'");
    datamig::test::OtherSession application(*url);
    application.run("SET deadlock_timeout = '1min'; BEGIN; UPDATE pair SET n = 1 WHERE id = 1;");

    database->begin();
    database->execute("UPDATE pair SET n = 2 WHERE id = 2");
    application.send("UPDATE pair SET n = 1 WHERE id = 2;");
    wait_until_a_session_waits_for_a_lock(*url);
    const auto error = sql_error_of([&] { database->execute("UPDATE pair SET n = 2 WHERE id = 1"); });
    database->rollback();
    application.run("COMMIT;");

    REQUIRE(error);
    CHECK(error->transient() == datamig::Transient::deadlock);
    CHECK_THAT(error->what(), Catch::Contains("deadlock detected"));
    CHECK(datamig::test::query_value(*url, "SELECT string_agg(n::text, ',' ORDER BY id) FROM pair") == "1,1");
}

TEST_CASE("postgres: a serialization failure is transient", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::test::execute_sql(*url,
                               "CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0);");
    auto database = open(*url);

    database->begin();
    database->execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nSELECT n FROM counter;");
    datamig::test::execute_sql(*url, "UPDATE counter SET n = n + 1;");  // after this transaction's snapshot
    const auto error = sql_error_of([&] { database->execute("UPDATE counter SET n = n + 10"); });
    database->rollback();

    REQUIRE(error);
    CHECK(error->transient() == datamig::Transient::serialization_failure);
    CHECK(datamig::test::query_value(*url, "SELECT n FROM counter") == "1");
}

TEST_CASE("postgres: a lock timeout names what the server said", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::test::execute_sql(*url, "CREATE TABLE items (id int PRIMARY KEY);");
    datamig::test::OtherSession application(*url);
    application.run("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE;");
    datamig::ConnectOptions options;
    options.lock_timeout = 100ms;
    auto database = open(*url, options);

    // A verify or a --throttle-query waits no longer than the migration's statements.
    const auto error = sql_error_of([&] { database->query_value("SELECT count(*) FROM items"); });
    REQUIRE(error);
    CHECK(error->transient() == datamig::Transient::lock_timeout);
    CHECK_THAT(error->what(), Catch::Contains("lock timeout"));
}

TEST_CASE("postgres: a wrong password is Unavailable and never shown", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    const std::string wrong_password = "wrong-secret-4711";
    try {
        open(with_password(*url, wrong_password));
        FAIL("connected with a wrong password");
    } catch (const datamig::Unavailable& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains("cannot connect to PostgreSQL") &&
                                Catch::Contains("password authentication failed"));
        CHECK(message.find(wrong_password) == std::string::npos);
        CHECK(message.find('\n') == std::string::npos);
    }
}

TEST_CASE("postgres: an unreachable server is Unavailable", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    // Port 1 on the loopback interface: refused at once, nothing listens there.
    const auto unreachable = "postgres://postgres:" + password_in(*url) + "@127.0.0.1:1/postgres";
    try {
        open(unreachable);
        FAIL("connected to port 1");
    } catch (const datamig::Unavailable& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains("127.0.0.1"));
        CHECK(message.find(password_in(*url)) == std::string::npos);
    }
}

TEST_CASE("postgres: a schema-qualified history table keeps its events beside it", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::test::execute_sql(*url, "CREATE SCHEMA ops;");
    datamig::ConnectOptions options;
    options.table = "ops.data_migrations";
    auto database = open(*url, options);

    database->ensure_history();

    CHECK(datamig::test::query_value(*url, "SELECT to_regclass('ops.data_migrations') IS NOT NULL") == "t");
    CHECK(datamig::test::query_value(*url, "SELECT to_regclass('ops.data_migrations_events') IS NOT NULL") == "t");
    CHECK(datamig::test::query_value(*url, "SELECT to_regclass('public.data_migrations') IS NULL") == "t");
}

TEST_CASE("postgres: a read-only session creates no table", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::ConnectOptions options;
    options.read_only = true;
    auto database = open(*url, options);

    database->ensure_history();

    CHECK(database->read_history().empty());
    CHECK(datamig::test::query_value(*url, "SELECT to_regclass('data_migrations') IS NULL") == "t");
}

TEST_CASE("postgres: the session runs in UTC as application datamig", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto database = open(*url);

    CHECK(database->query_value("SHOW TimeZone") == std::optional<std::string>("UTC"));
    CHECK(database->query_value("SHOW application_name") == std::optional<std::string>("datamig"));
}

TEST_CASE("postgres: a Rails data-migrate table is adopted", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    // The shape the data-migrate gem creates.
    datamig::test::execute_sql(*url,
                               "CREATE TABLE data_migrations (version character varying NOT NULL PRIMARY KEY);"
                               "INSERT INTO data_migrations VALUES ('20190101000000'), ('20200101000000');");
    auto database = open(*url);

    const auto before = database->read_history();
    database->ensure_history();
    const auto after = database->read_history();

    REQUIRE(before.size() == 2);
    REQUIRE(after.size() == 2);
    CHECK(after[0].version == "20190101000000");
    CHECK(after[1].version == "20200101000000");
    for (const auto& row : after) {
        CHECK(row.adopted());
        CHECK(row.status == datamig::RowStatus::applied);
    }
    CHECK(datamig::test::query_value(*url, "SELECT count(*) FROM data_migrations WHERE status = 'applied'") == "2");
}

TEST_CASE("postgres: a lost session is Unavailable and never silently replaced", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    auto database = open(*url);
    REQUIRE(database->try_lock());

    datamig::test::query_rows(*url,
                              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND application_name = 'datamig';");

    // A new session would not hold the runner lock any more, so there must be none. (libpqxx 6
    // reconnects on the third use if allowed to.)
    for (int attempt = 1; attempt <= 4; ++attempt) {
        CAPTURE(attempt);
        CHECK_THROWS_AS(database->execute("SELECT 1"), datamig::Unavailable);
    }
}

TEST_CASE("postgres: a table without schema lives in the schema current at connect, whatever search_path becomes",
          "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    datamig::test::execute_sql(*url, "CREATE SCHEMA ops;");
    auto database = open(*url + "?options=-c%20search_path%3Dops,public");
    database->ensure_history();

    database->execute("SET search_path TO public");
    datamig::HistoryRow row;
    row.version = "20261122093000";
    row.started_at = "2026-11-22T09:30:00.000000Z";
    database->save_row(row);

    CHECK(database->read_history().size() == 1);
    CHECK(datamig::test::query_value(*url, "SELECT count(*) FROM ops.data_migrations") == "1");
    CHECK(datamig::test::query_value(*url, "SELECT to_regclass('public.data_migrations') IS NULL") == "t");
}

TEST_CASE("postgres: a session whose search_path names no existing schema is refused, naming --table", "[postgres]") {
    const auto url = fresh_postgres_url();
    SKIP_WITHOUT_POSTGRES(url)
    try {
        open(*url + "?options=-c%20search_path%3Dnowhere");
        FAIL("connected without a schema for the history table");
    } catch (const datamig::UsageError& e) {
        CHECK_THAT(e.what(), Catch::Contains("--table") && Catch::Contains("schema"));
        CHECK_THAT(e.what(), !Catch::Contains(password_in(*url)));
    }
}
