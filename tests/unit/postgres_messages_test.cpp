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
}

TEST_CASE("postgres messages: reading statements change no rows", "[postgres_messages]") {
    CHECK(datamig::only_reads("SELECT 1"));
    CHECK(datamig::only_reads("  -- c\nVALUES (1)"));
    CHECK_FALSE(datamig::only_reads("UPDATE t SET x = 1"));
    CHECK_FALSE(datamig::only_reads("WITH d AS (DELETE FROM t RETURNING 1) SELECT count(*) FROM d"));
}
