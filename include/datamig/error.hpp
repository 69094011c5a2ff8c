#pragma once
// One error hierarchy for the whole program. Every failure that reaches the user is one of
// these; main() catches the base class once, prints "datamig: error: <what>" and exits with
// its code. The category decides the exit code (SPEC §7), so no call site picks numbers.
#include <stdexcept>
#include <string>

namespace datamig {

// Process exit codes of SPEC §7.
enum class Exit : int {
    ok = 0,
    failed = 1,       // a migration failed, check found errors, status --exit-code found pending
    usage = 2,        // bad flag/config/URL, invalid migration file, version collision
    unavailable = 3,  // cannot connect, runner lock not acquired in time (safe to retry)
    blocked = 4,      // an interrupted (`running`) migration blocks the run
    interrupted = 130,
    terminated = 143,
};

class Error : public std::runtime_error {
public:
    Error(Exit code, const std::string& message) : std::runtime_error(message), code_(code) {}
    Exit code() const noexcept { return code_; }

private:
    Exit code_;
};

// Bad flag, bad setting, bad URL syntax or scheme.
class UsageError : public Error {
public:
    explicit UsageError(const std::string& message) : Error(Exit::usage, message) {}
};

// A migration file (or the tree) is invalid, or a version collides. The message already
// names the file and line where there is one.
class InvalidInput : public Error {
public:
    explicit InvalidInput(const std::string& message) : Error(Exit::usage, message) {}
};

// The database cannot be reached, or the runner lock was not acquired in time.
class Unavailable : public Error {
public:
    explicit Unavailable(const std::string& message) : Error(Exit::unavailable, message) {}
};

// An interrupted migration must be settled with `datamig resolve` first.
class Blocked : public Error {
public:
    explicit Blocked(const std::string& message) : Error(Exit::blocked, message) {}
};

// A migration (or its verify query, or its exec process) failed.
class MigrationFailed : public Error {
public:
    explicit MigrationFailed(const std::string& message) : Error(Exit::failed, message) {}
};

// Why a statement failed, when the cause passes if the same work is tried again (SPEC §2,
// retries): the adapter classifies, the runner decides whether to retry.
enum class Transient {
    no,                     // any other error: retrying would fail the same way
    lock_timeout,           // waited longer than --lock-timeout (PostgreSQL 55P03, SQLite busy)
    deadlock,               // PostgreSQL 40P01
    serialization_failure,  // PostgreSQL 40001
    statement_timeout,      // --statement-timeout cancelled it (PostgreSQL 57014, not a stop)
};

// The database rejected a statement. `line` is 1-based within the SQL text handed to the
// adapter (0 when the server did not say); the runner turns it into a file line.
class SqlError : public Error {
public:
    SqlError(const std::string& message, int line, Transient transient = Transient::no)
        : Error(Exit::failed, message), line_(line), transient_(transient) {}
    int line() const noexcept { return line_; }
    Transient transient() const noexcept { return transient_; }

private:
    int line_;
    Transient transient_;
};

// SIGINT/SIGTERM arrived; the current unit of work was rolled back.
class Stopped : public Error {
public:
    explicit Stopped(int signal_number);
    int signal_number() const noexcept { return signal_; }

private:
    int signal_;
};

}  // namespace datamig
