#include "support/other_session.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace datamig::test {

class OtherSession::Connection {
public:
    virtual ~Connection() = default;
    virtual void run(const std::string& sql) = 0;
    virtual void send(const std::string& sql) = 0;
};

namespace {

// psql reading statements from a socket (a socket rather than a pipe, so that writing to a psql
// that has exited fails with EPIPE instead of killing the test program with SIGPIPE). run()
// follows the statements with \warn and a marker, and waits for the marker on psql's stderr.
class PsqlConnection final : public OtherSession::Connection {
public:
    explicit PsqlConnection(const std::string& url) {
        std::array<int, 2> input{};
        std::array<int, 2> output{};
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, input.data()) != 0 ||
            pipe2(output.data(), O_CLOEXEC) != 0) {
            throw std::system_error(errno, std::generic_category(), "socketpair/pipe");
        }
        child_ = fork();
        if (child_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
        if (child_ == 0) {
            dup2(input[1], STDIN_FILENO);
            dup2(output[1], STDOUT_FILENO);
            dup2(output[1], STDERR_FILENO);
            execlp("psql", "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url.c_str(),
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        close(input[1]);
        close(output[1]);
        input_ = input[0];
        output_ = output[0];
    }

    PsqlConnection(const PsqlConnection&) = delete;
    PsqlConnection& operator=(const PsqlConnection&) = delete;

    // End of input ends psql and its session; one still inside a statement is killed after a
    // while, so a failed test does not hang on a lock.
    ~PsqlConnection() override {
        close(input_);
        int status = 0;
        for (int waited = 0; waitpid(child_, &status, WNOHANG) == 0; ++waited) {
            if (waited == 200) {
                kill(child_, SIGKILL);
                waitpid(child_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        close(output_);
    }

    void send(const std::string& sql) override {
        const std::string text = sql + "\n";
        for (std::size_t sent = 0; sent < text.size();) {
            const auto count = ::send(input_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
            if (count < 0 && errno == EINTR) continue;
            if (count < 0) throw std::runtime_error("psql has ended: " + output_so_far_);
            sent += static_cast<std::size_t>(count);
        }
    }

    void run(const std::string& sql) override {
        const std::string marker = "other-session-done-" + std::to_string(++runs_);
        send(sql + "\n\\warn " + marker);
        for (;;) {
            const auto at = output_so_far_.find(marker + "\n");
            if (at != std::string::npos) {
                output_so_far_.erase(0, at + marker.size() + 1);
                return;
            }
            std::array<char, 4096> buffer{};
            const auto count = read(output_, buffer.data(), buffer.size());
            if (count < 0 && errno == EINTR) continue;
            if (count <= 0) throw std::runtime_error("psql failed on: " + sql + "\n" + output_so_far_);
            output_so_far_.append(buffer.data(), static_cast<std::size_t>(count));
        }
    }

private:
    pid_t child_ = -1;
    int input_ = -1;
    int output_ = -1;  // psql's stdout and stderr
    std::string output_so_far_;
    int runs_ = 0;
};

class SqliteConnection final : public OtherSession::Connection {
public:
    explicit SqliteConnection(const std::string& path) : database_(path, SQLite::OPEN_READWRITE) {
        database_.setBusyTimeout(10000);
    }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;
    ~SqliteConnection() override {
        if (sent_.valid()) sent_.wait();
    }

    void send(const std::string& sql) override {
        finish_sent();
        sent_ = std::async(std::launch::async, [this, sql] { database_.exec(sql); });
    }

    void run(const std::string& sql) override {
        finish_sent();
        database_.exec(sql);
    }

private:
    void finish_sent() {
        if (sent_.valid()) sent_.get();  // rethrows its error
    }

    SQLite::Database database_;
    std::future<void> sent_;
};

}  // namespace

OtherSession::OtherSession(const std::string& url) {
    const std::string scheme = "sqlite:";
    if (url.rfind(scheme, 0) != 0) {
        connection_ = std::make_unique<PsqlConnection>(url);
        return;
    }
    auto path = url.substr(scheme.size());
    if (path.rfind("//", 0) == 0) path.erase(0, 2);
    connection_ = std::make_unique<SqliteConnection>(path);
}

OtherSession::~OtherSession() = default;

void OtherSession::run(const std::string& sql) { connection_->run(sql); }
void OtherSession::send(const std::string& sql) { connection_->send(sql); }

}  // namespace datamig::test
