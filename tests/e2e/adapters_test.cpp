// The database adapters seen from the command line: bookkeeping that a migration cannot
// misdirect (SPEC §5), connection strings checked before connecting and passwords hidden where
// they stand (§4, §6, §7), a busy SQLite file waited for up to --lock-wait, and verify's one
// boolean or integer cell (§2).
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace {

using namespace std::chrono_literals;
using datamig::test::Project;
using datamig::test::RunResult;
using datamig::test::seconds_since;

bool on_postgres() { return datamig::test::suite_database_kind() == "postgres"; }

bool contains(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

// Exit 2 naming --database-url and `problem`, with none of `secrets` on stdout or stderr.
void check_url_refused(const RunResult& result, const std::string& problem, const std::vector<std::string>& secrets) {
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "--database-url"));
    CHECK(contains(result.err, problem));
    for (const auto& secret : secrets) {
        CHECK_FALSE(contains(result.err, secret));
        CHECK_FALSE(contains(result.out, secret));
    }
}

// SQL after which an unqualified data_migrations is no longer the history table: on PostgreSQL
// an emptied search_path or one switched to a schema of decoy tables; on SQLite temporary tables
// of the same names, which shadow the main ones.
std::string redirect(bool empty_search_path) {
    if (on_postgres()) {
        return empty_search_path ? "SELECT pg_catalog.set_config('search_path', '', false);\n"
                                 : "SET search_path TO decoy;\n";
    }
    return "CREATE TEMP TABLE IF NOT EXISTS data_migrations AS\n  SELECT * FROM main.data_migrations WHERE 0;\n"
           "CREATE TEMP TABLE IF NOT EXISTS data_migrations_events AS\n"
           "  SELECT * FROM main.data_migrations_events WHERE 0;\n";
}

std::string items() { return on_postgres() ? "public.items" : "main.items"; }

std::string bump(int id, int by) { return fmt::format("UPDATE {} SET n = n + {} WHERE id = {};\n", items(), by, id); }

// Three migrations that redirect names in up, down and verify, in and outside a transaction.
void write_redirecting_migrations(Project& project) {
    project.write_sql("pre_sync", "20240101000001", "in_transaction",
                      "-- migrate:up\n" + redirect(true) + bump(1, 1) +  //
                          "-- migrate:down\n" + redirect(false) + bump(1, -1));
    const std::string index = on_postgres() ? "CREATE INDEX CONCURRENTLY items_n ON public.items (n);\n"
                                            : "CREATE INDEX items_n ON items (n);\n";
    const std::string drop = on_postgres() ? "DROP INDEX CONCURRENTLY public.items_n;\n" : "DROP INDEX items_n;\n";
    project.write_sql("pre_sync", "20240101000002", "outside_transaction",
                      "-- migrate:up transaction:false\n" + redirect(false) + index + bump(2, 1) +
                          "-- migrate:down transaction:false\n" + redirect(true) + drop + bump(2, -1));
    const std::string verify = on_postgres()
                                   ? "SELECT pg_catalog.set_config('search_path', 'decoy', false) = 'decoy';\n"
                                   : "SELECT count(*) = 0 FROM temp.data_migrations;\n";
    project.write_sql("pre_sync", "20240101000003", "in_verify",
                      "-- migrate:up\n" + bump(3, 1) + "-- migrate:down\n" + bump(3, -1) +  //
                          "-- migrate:verify\n" + verify);
}

}  // namespace

TEST_CASE("history rows and events land in the history tables whatever a migration does to name lookup",
          "[e2e][adapters]") {
    Project project;
    project.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
        "INSERT INTO items (id, n) VALUES (1, 0), (2, 0), (3, 0);");
    REQUIRE(project.run({"migrate"}).exit_code == 0);  // creates the history tables
    if (on_postgres()) {
        project.execute(
            "CREATE SCHEMA decoy;"
            "CREATE TABLE decoy.data_migrations (LIKE public.data_migrations INCLUDING ALL);"
            "CREATE TABLE decoy.data_migrations_events (LIKE public.data_migrations_events);");
    }
    write_redirecting_migrations(project);

    const RunResult applied = project.run({"migrate"});
    INFO("migrate stderr: " << applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(project.rows("SELECT version, status FROM data_migrations ORDER BY version") ==
          std::vector<std::string>{"20240101000001|applied", "20240101000002|applied", "20240101000003|applied"});
    CHECK(project.events("apply") == 3);
    CHECK(project.value("SELECT sum(n) FROM items") == "3");
    CHECK(project.value(on_postgres() ? "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_n'"
                                      : "SELECT count(*) FROM sqlite_master WHERE name = 'items_n'") == "1");
    CHECK(project.run({"status", "--exit-code"}).exit_code == 0);

    const RunResult rolled_back = project.run({"rollback", "--steps", "3"});
    INFO("rollback stderr: " << rolled_back.err);
    REQUIRE(rolled_back.exit_code == 0);
    CHECK(project.history_rows() == 0);
    CHECK(project.events("rollback") == 3);
    CHECK(project.value("SELECT sum(n) FROM items") == "0");

    // A failure after the redirection is recorded too, in and outside a transaction, and its row
    // is not left `running`.
    project.write_sql("pre_sync", "20240101000004", "fails",
                      "-- migrate:up transaction:false\n" + redirect(false) + "UPDATE " + items() + " SET nope = 1;\n");
    const RunResult failed = project.run({"migrate"});
    INFO("failing migrate stderr: " << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(project.rows("SELECT version, status FROM data_migrations ORDER BY version") ==
          std::vector<std::string>{"20240101000001|applied", "20240101000002|applied", "20240101000003|applied"});
    project.write_sql("pre_sync", "20240101000004", "fails",
                      "-- migrate:up\n" + redirect(true) + "UPDATE " + items() + " SET nope = 1;\n");
    CHECK(project.run({"migrate"}).exit_code == 1);
    CHECK(project.history_rows() == 3);
    CHECK(project.value("SELECT count(*) FROM data_migrations_events WHERE event = 'fail' AND version = "
                        "'20240101000004'") == "2");
    if (on_postgres()) {
        CHECK(project.value("SELECT count(*) FROM decoy.data_migrations") == "0");
        CHECK(project.value("SELECT count(*) FROM decoy.data_migrations_events") == "0");
    }
}

TEST_CASE("a malformed PostgreSQL URL is a usage error before connecting, without its password", "[e2e][adapters]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "anything", "-- migrate:up\nSELECT 1;\n");
    const std::pair<std::string, std::string> cases[] = {
        {"postgres://app:Secret1@127.0.0.1:abc/app", "port 'abc'"},
        {"postgres://app:Secret1@127.0.0.1:1/app?frob=1", "frob"},
        {"host=127.0.0.1 port=1 password=Secret1 dbname='app", "unterminated"},
    };
    for (const auto& [url, problem] : cases) {
        CAPTURE(url);
        check_url_refused(project.run({"migrate", "--database-url", url}), problem, {"Secret1"});
        check_url_refused(project.run({"status"}, {{"DATABASE_URL", url}}), problem, {"Secret1"});
    }
    CHECK(project.history_rows() == 0);
}

TEST_CASE("a password with an unencoded '@' is refused and never shown", "[e2e][adapters]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "anything", "-- migrate:up\nSELECT 1;\n");
    const RunResult result = project.run({"migrate", "--database-url", "postgres://user:Sekr3t@zzTop@127.0.0.1:1/db"});
    check_url_refused(result, "%40", {"Sekr3t", "zzTop"});
}

TEST_CASE("messages hide the password where it stands in the URL and nothing else", "[e2e][adapters]") {
    Project project;
    project.write_sql("pre_sync", "20240101000001", "anything", "-- migrate:up\nSELECT 1;\n");
    // Nothing listens on port 1: the message names the URL and the port.
    for (const std::string password : {"p", "app"}) {
        CAPTURE(password);
        const RunResult result =
            project.run({"migrate", "--database-url", "postgres://app:" + password + "@127.0.0.1:1/db"});
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 3);
        CHECK(contains(result.err, "postgres://app:***@127.0.0.1:1/db"));
        CHECK(contains(result.err, "port 1"));
    }
}

TEST_CASE("an exec migration printing DATABASE_URL shows it redacted", "[e2e][adapters]") {
    if (!on_postgres()) {
        WARN("skipped: a SQLite URL has no password");
        return;
    }
    Project project;
    const std::string& url = project.database_url();
    const auto user_start = url.find("://") + 3;
    const auto password_start = url.find(':', user_start) + 1;
    const std::string password = url.substr(password_start, url.rfind('@') - password_start);
    const std::string redacted = url.substr(0, password_start) + "***" + url.substr(url.rfind('@'));
    project.write("db/data_migrations/post_sync/20240101000001_print_url.sh",
                  "#!/bin/sh\necho \"connecting to $DATABASE_URL\"\necho \"$DATABASE_URL\" >&2\n", true);

    const auto format = GENERATE(as<std::string>{}, "text", "json");
    const RunResult result = project.run({"migrate", "--log-format", format});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, "connecting to " + redacted));
    CHECK_FALSE(contains(result.err, password));
    CHECK_FALSE(contains(result.out, password));
}

TEST_CASE("a SQLite database held by another writer is waited for up to --lock-wait, then named", "[e2e][adapters]") {
    if (on_postgres()) {
        WARN("skipped: SQLite only (PostgreSQL locks rows and tables, not the database)");
        return;
    }
    Project project;
    project.write_sql("pre_sync", "20240101000001", "anything", "-- migrate:up\nCREATE TABLE done (x INTEGER);\n");
    const std::string path = project.database_url().substr(std::string("sqlite:").size());
    // Another writer, as an sqlite3 shell in BEGIN IMMEDIATE would be.
    SQLite::Database writer(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    writer.exec("BEGIN IMMEDIATE");

    SECTION("past --lock-wait it exits 3 naming the file") {
        const auto start = std::chrono::steady_clock::now();
        const RunResult result = project.run({"migrate", "--lock-wait", "1s"});
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 3);
        CHECK(contains(result.err, path));
        CHECK(contains(result.err, "--lock-wait"));
        CHECK(seconds_since(start) >= 0.9);
        CHECK(seconds_since(start) < 4);
    }
    SECTION("a longer --lock-wait outlasts a writer that takes longer than SQLite's usual 5 seconds") {
        const int pid = project.spawn({"migrate", "--lock-wait", "60s"});
        std::this_thread::sleep_for(6s);
        writer.exec("ROLLBACK");
        const RunResult result = project.wait(pid);
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 0);
        CHECK(project.value("SELECT status FROM data_migrations") == "applied");
    }
    SECTION("SIGTERM while waiting stops the run with 143, not as a failed statement") {
        const int pid = project.spawn({"migrate", "--lock-wait", "60s"});
        std::this_thread::sleep_for(1s);
        kill(pid, SIGTERM);
        const RunResult result = project.wait(pid);
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 143);
        writer.exec("ROLLBACK");
        CHECK(project.count("SELECT count(*) FROM sqlite_master WHERE name = 'done'") == 0);
    }
}

TEST_CASE("verify must return one boolean or integer cell, and says what came back", "[e2e][adapters]") {
    Project project;
    project.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT);"
        "INSERT INTO items (id) VALUES (1), (2), (3);");
    const std::pair<std::string, std::string> cases[] = {
        {"SELECT 'yes'", "a text value 'yes'"},
        {"SELECT id FROM items", "3 rows"},
        {"SELECT count(*) = 3, 1 FROM items", "2 columns"},
        {"SELECT 1.5", "value '1.5'"},
    };
    for (const auto& [query, returned] : cases) {
        CAPTURE(query);
        project.write_sql("pre_sync", "20240101000001", "checked",
                          "-- migrate:up\nUPDATE items SET v = 'y';\n-- migrate:verify\n" + query + ";\n");
        const RunResult result = project.run({"migrate"});
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 1);
        CHECK(contains(result.err, "checked.sql:4: verify failed: the query returned "));
        CHECK(contains(result.err, returned + "; verify must return one boolean or integer cell"));
        CHECK(project.value("SELECT count(*) FROM items WHERE v = 'y'") == "0");
        CHECK(project.history_rows() == 0);
    }
    CHECK(project.events("fail") == 4);

    // An integer passes as a boolean does: non-zero keeps the work.
    project.write_sql("pre_sync", "20240101000001", "checked",
                      "-- migrate:up\nUPDATE items SET v = 'y';\n"
                      "-- migrate:verify\nSELECT count(*) FROM items WHERE v = 'y';\n");
    CHECK(project.run({"migrate"}).exit_code == 0);
    CHECK(project.value("SELECT status FROM data_migrations") == "applied");
}
