#include "datamig/adapters/postgres_messages.hpp"

#include <catch2/catch.hpp>

TEST_CASE("postgres messages: libpq's reasons become one line", "[postgres_messages]") {
    CHECK(datamig::single_line("connection failed: refused\n\tIs the server running?\n") ==
          "connection failed: refused Is the server running?");
    CHECK(datamig::trim("  x \n") == "x");
}

TEST_CASE("postgres messages: the server's message without severity, and its LINE", "[postgres_messages]") {
    const char* text = "ERROR:  relation \"x\" does not exist\nLINE 2: SELECT * FROM x\n                      ^\n";
    CHECK(datamig::server_message(text) == "relation \"x\" does not exist");
    CHECK(datamig::error_line_within_statement(text) == 2);
    CHECK(datamig::error_line_within_statement("ERROR:  division by zero") == 0);
    // In the caller's SQL: the statement starts on line 3.
    CHECK(datamig::error_line(text, 3) == 4);
    CHECK(datamig::error_line("ERROR:  division by zero", 3) == 3);
    CHECK(datamig::error_line(text, 0) == 0);  // not the caller's SQL
}

TEST_CASE("postgres messages: reading statements change no rows", "[postgres_messages]") {
    CHECK(datamig::only_reads("SELECT 1"));
    CHECK(datamig::only_reads("  -- c\nVALUES (1)"));
    CHECK_FALSE(datamig::only_reads("UPDATE t SET x = 1"));
    CHECK_FALSE(datamig::only_reads("WITH d AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM d"));
}

TEST_CASE("postgres messages: lock, deadlock, serialization and timeout errors pass on a retry",
          "[postgres_messages]") {
    using datamig::Transient;
    CHECK(datamig::transient_of("55P03", false) == Transient::lock_timeout);
    CHECK(datamig::transient_of("40P01", false) == Transient::deadlock);
    CHECK(datamig::transient_of("40001", false) == Transient::serialization_failure);
    CHECK(datamig::transient_of("57014", false) == Transient::statement_timeout);
    // datamig's own cancel on a stop arrives with the same SQLSTATE, and must not be retried.
    CHECK(datamig::transient_of("57014", true) == Transient::no);
    CHECK(datamig::transient_of("55P03", true) == Transient::lock_timeout);
    for (const char* other : {"42P01", "23505", "25P02", "22012", "", "40002"}) {
        CAPTURE(other);
        CHECK(datamig::transient_of(other, false) == Transient::no);
    }
}
