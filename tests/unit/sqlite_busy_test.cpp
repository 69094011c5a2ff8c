#include "datamig/adapters/sqlite_busy.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>

#include "datamig/error.hpp"

namespace {

using namespace std::chrono_literals;
using datamig::BusyWait;

const std::atomic<bool> not_stopping{false};

// How long `wait` keeps trying, by asking as SQLite's busy handler would at the given times.
bool still_trying_after(BusyWait& wait, std::chrono::milliseconds elapsed) {
    const auto start = BusyWait::Clock::now();
    REQUIRE(wait.next_try(0, start));
    return wait.next_try(5, start + elapsed).has_value();
}

}  // namespace

TEST_CASE("sqlite busy: the store's statements wait up to --lock-wait", "[sqlite_busy]") {
    BusyWait wait("db.sqlite3", 2s, 200ms, not_stopping);
    CHECK(still_trying_after(wait, 1999ms));
    CHECK_FALSE(still_trying_after(wait, 2s));
    CHECK_THROWS_MATCHES(wait.give_up(0), datamig::Unavailable,
                         Catch::Message("SQLite database db.sqlite3 is locked by another connection; gave up after 2s "
                                        "(--lock-wait); retry later"));
}

TEST_CASE("sqlite busy: a user's statement waits up to --lock-timeout, then fails as transient", "[sqlite_busy]") {
    BusyWait wait("db.sqlite3", 2s, 200ms, not_stopping);
    {
        const BusyWait::UsersStatement users(wait);
        CHECK(still_trying_after(wait, 199ms));
        CHECK_FALSE(still_trying_after(wait, 200ms));
        try {
            wait.give_up(3);
            FAIL("gave up without an error");
        } catch (const datamig::SqlError& error) {
            CHECK(error.transient() == datamig::Transient::lock_timeout);
            CHECK(error.line() == 3);
            CHECK(std::string(error.what()) ==
                  "gave up waiting for a lock after 200ms (--lock-timeout): SQLite "
                  "database db.sqlite3 is locked by another connection");
        }
    }
    // The store's statement after it has its own limit again.
    CHECK(still_trying_after(wait, 1s));
    CHECK_THROWS_AS(wait.give_up(0), datamig::Unavailable);
}

TEST_CASE("sqlite busy: without --lock-timeout a user's statement waits up to --lock-wait", "[sqlite_busy]") {
    BusyWait wait("db.sqlite3", 2s, std::nullopt, not_stopping);
    const BusyWait::UsersStatement users(wait);
    CHECK(still_trying_after(wait, 1999ms));
    CHECK_FALSE(still_trying_after(wait, 2s));
    CHECK_THROWS_AS(wait.give_up(1), datamig::Unavailable);
}

TEST_CASE("sqlite busy: tries again soon at first, then every 100 ms", "[sqlite_busy]") {
    BusyWait wait("db.sqlite3", 60s, std::nullopt, not_stopping);
    const auto start = BusyWait::Clock::now();
    CHECK(wait.next_try(0, start) == std::chrono::milliseconds(1));
    CHECK(wait.next_try(3, start) == std::chrono::milliseconds(8));
    CHECK(wait.next_try(20, start) == std::chrono::milliseconds(100));
}

TEST_CASE("sqlite busy: a stopping run waits no more", "[sqlite_busy]") {
    std::atomic<bool> stopping{false};
    BusyWait wait("db.sqlite3", 60s, std::nullopt, stopping);
    CHECK(BusyWait::on_busy(&wait, 0) == 1);  // after sleeping a millisecond
    stopping = true;
    CHECK(BusyWait::on_busy(&wait, 1) == 0);
}
