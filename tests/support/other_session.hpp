#pragma once
// A second connection to a test database, for what the application does beside datamig: hold a
// row lock or a write transaction, take part in a deadlock. PostgreSQL: a psql process reading
// statements from a socket, its session living as long as this object; SQLite: a connection of
// the sqlite3 library. Never datamig's own adapters.
#include <memory>
#include <string>

namespace datamig::test {

class OtherSession {
public:
    explicit OtherSession(const std::string& url);
    // Ends the session; a transaction still open is rolled back.
    ~OtherSession();
    OtherSession(const OtherSession&) = delete;
    OtherSession& operator=(const OtherSession&) = delete;

    // Runs `sql` and returns when it (and whatever was sent before) is done. Throws
    // std::runtime_error when a statement fails; the session is unusable after that.
    void run(const std::string& sql);
    // Starts `sql` without waiting for it, e.g. a statement that will wait for a lock; the next
    // run() waits for it too.
    void send(const std::string& sql);

    class Connection;

private:
    std::unique_ptr<Connection> connection_;
};

}  // namespace datamig::test
