#pragma once
// How long a statement waits while another connection holds a SQLite database (an sqlite3 shell
// in a transaction, the application, another datamig), and what it says when it gives up.
// Header-only: the driver's busy handler and its translation of SQLITE_BUSY are its only users.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"

namespace datamig {

class BusyWait {
public:
    using Clock = std::chrono::steady_clock;

    // lock_wait: --lock-wait, for the store's own statements; lock_timeout: --lock-timeout, for
    // a user's statements (lock_wait when not given); stopping: set when the run stops.
    BusyWait(std::string path, std::chrono::milliseconds lock_wait,
             std::optional<std::chrono::milliseconds> lock_timeout, const std::atomic<bool>& stopping)
        : path_(std::move(path)), lock_wait_(lock_wait), lock_timeout_(lock_timeout), stopping_(stopping) {}

    // While it lives, a user's statement runs (Driver::execute, query_value, query_answer).
    class UsersStatement {
    public:
        explicit UsersStatement(BusyWait& wait) : wait_(wait) { wait_.users_statement_ = true; }
        ~UsersStatement() { wait_.users_statement_ = false; }
        UsersStatement(const UsersStatement&) = delete;
        UsersStatement& operator=(const UsersStatement&) = delete;

    private:
        BusyWait& wait_;
    };

    // SQLite's busy handler asks after each failed attempt (`attempt` counts from 0 within one
    // wait): how long to sleep before the next, nullopt to give up (SQLITE_BUSY). Short sleeps
    // first, as a writer's transaction usually ends within milliseconds.
    std::optional<std::chrono::milliseconds> next_try(int attempt, Clock::time_point now) {
        if (attempt == 0) since_ = now;
        if (now - since_ >= limit()) return std::nullopt;
        return std::chrono::milliseconds(std::min(100, 1 << std::min(attempt, 7)));
    }

    // SQLite's busy handler (sqlite3_busy_handler's argument is the BusyWait), called while
    // another connection holds the database: 1 after sleeping until the next try, 0 to give up.
    static int on_busy(void* self, int attempt) noexcept {
        auto& wait = *static_cast<BusyWait*>(self);
        if (wait.stopping_) return 0;
        const auto pause = wait.next_try(attempt, Clock::now());
        if (!pause) return 0;
        std::this_thread::sleep_for(*pause);
        return 1;
    }

    // The error once the wait is over; retrying later helps. A user's statement under
    // --lock-timeout fails as a transient SqlError at `line`, which the runner retries; anything
    // else is Unavailable (exit 3), naming --lock-wait.
    [[noreturn]] void give_up(int line) const {
        const std::string locked = "SQLite database " + path_ + " is locked by another connection";
        if (users_statement_ && lock_timeout_) {
            throw SqlError(
                "gave up waiting for a lock after " + format_duration(*lock_timeout_) + " (--lock-timeout): " + locked,
                line, Transient::lock_timeout);
        }
        throw Unavailable(locked + "; gave up after " + format_duration(lock_wait_) + " (--lock-wait); retry later");
    }

private:
    std::chrono::milliseconds limit() const { return users_statement_ && lock_timeout_ ? *lock_timeout_ : lock_wait_; }

    std::string path_;
    std::chrono::milliseconds lock_wait_;
    std::optional<std::chrono::milliseconds> lock_timeout_;
    const std::atomic<bool>& stopping_;
    bool users_statement_ = false;
    Clock::time_point since_;  // of the wait under way
};

}  // namespace datamig
