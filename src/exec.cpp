#include "datamig/exec.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/stop.hpp"

extern char** environ;

namespace datamig {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A child that ignores SIGTERM gets this long before SIGKILL.
constexpr auto kill_grace = std::chrono::seconds(5);

// Everything execve needs, built before fork(): after fork only async-signal-safe calls are
// allowed, because other threads may hold the allocator's locks.
struct ChildImage {
    std::vector<std::string> strings;
    std::vector<char*> argv;
    std::vector<char*> envp;
};

ChildImage child_image(const ExecRequest& request) {
    std::map<std::string, std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) environment[text.substr(0, equals)] = text.substr(equals + 1);
    }
    for (const auto& [key, value] : request.environment) environment[key] = value;

    ChildImage image;
    image.strings.push_back(request.program.string());
    for (const auto& argument : request.arguments) image.strings.push_back(argument);
    const std::size_t argument_count = image.strings.size();
    for (const auto& [key, value] : environment) image.strings.push_back(key + "=" + value);
    for (std::size_t i = 0; i < image.strings.size(); ++i) {
        (i < argument_count ? image.argv : image.envp).push_back(image.strings[i].data());
    }
    image.argv.push_back(nullptr);
    image.envp.push_back(nullptr);
    return image;
}

class Pipe {
public:
    Pipe() {
        if (pipe2(ends_, O_CLOEXEC) != 0) throw MigrationFailed(std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    int read_end() const { return ends_[0]; }
    int write_end() const { return ends_[1]; }
    void close_read() { close_end(ends_[0]); }
    void close_write() { close_end(ends_[1]); }

private:
    static void close_end(int& fd) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    int ends_[2] = {-1, -1};
};

// Splits a child's output stream into log lines with the migration as prefix.
class LineLogger {
public:
    explicit LineLogger(std::string prefix) : prefix_(std::move(prefix)) {}
    void feed(const char* data, std::size_t size) {
        pending_.append(data, size);
        std::size_t newline;
        while ((newline = pending_.find('\n')) != std::string::npos) {
            spdlog::info("[{}] {}", prefix_, pending_.substr(0, newline));
            pending_.erase(0, newline + 1);
        }
    }
    ~LineLogger() {
        if (!pending_.empty()) spdlog::info("[{}] {}", prefix_, pending_);
    }
    LineLogger(const LineLogger&) = delete;
    LineLogger& operator=(const LineLogger&) = delete;

private:
    std::string prefix_;
    std::string pending_;
};

[[noreturn]] void become_child(const ChildImage& image, const Pipe& output, const Pipe& exec_error) {
    // Own process group, so a timeout or stop can end the program and everything it started.
    setpgid(0, 0);
    restore_signal_mask_in_child();
    dup2(output.write_end(), STDOUT_FILENO);
    dup2(output.write_end(), STDERR_FILENO);
    execve(image.argv[0], image.argv.data(), image.envp.data());
    const int error = errno;
    (void)!write(exec_error.write_end(), &error, sizeof error);
    _exit(127);
}

class Child {
public:
    explicit Child(pid_t pid) : pid_(pid) {}
    ~Child() {
        if (!reaped_) stop_group();
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // Non-blocking: true once the child has exited.
    bool exited() {
        if (!reaped_ && waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
        return reaped_;
    }
    int status() const { return status_; }

    // SIGTERM to the group, SIGKILL after the grace period; waits for the child.
    void stop_group() noexcept {
        kill(-pid_, SIGTERM);
        const auto deadline = SteadyClock::now() + kill_grace;
        while (!exited() && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!reaped_) {
            kill(-pid_, SIGKILL);
            if (waitpid(pid_, &status_, 0) == pid_) reaped_ = true;
        }
    }

private:
    pid_t pid_;
    int status_ = 0;
    bool reaped_ = false;
};

}  // namespace

ExecResult run_process(const ExecRequest& request) {
    const ChildImage image = child_image(request);
    Pipe output;
    Pipe exec_error;
    const pid_t pid = fork();
    if (pid < 0) throw MigrationFailed(std::string("cannot start a process: ") + std::strerror(errno));
    if (pid == 0) become_child(image, output, exec_error);

    Child child(pid);
    output.close_write();
    exec_error.close_write();
    int exec_errno = 0;
    if (read(exec_error.read_end(), &exec_errno, sizeof exec_errno) == static_cast<ssize_t>(sizeof exec_errno)) {
        child.exited();
        throw MigrationFailed(fmt::format("cannot run {}: {}", request.program.string(), std::strerror(exec_errno)));
    }

    const auto deadline = request.timeout ? SteadyClock::now() + *request.timeout : SteadyClock::time_point::max();
    // Poll in short slices: a stop signal or the timeout must be noticed promptly even while
    // the program prints nothing. Returns false when the program had to be stopped.
    const auto keep_going = [&] {
        if (stop_signal() != 0) {
            child.stop_group();
            throw_if_stopped();
        }
        if (SteadyClock::now() < deadline) return true;
        child.stop_group();
        return false;
    };
    ExecResult result;
    {
        LineLogger logger(request.log_prefix);
        char buffer[4096];
        for (bool output_open = true; output_open;) {
            if (!keep_going()) {
                result.timed_out = true;
                return result;
            }
            pollfd readable{output.read_end(), POLLIN, 0};
            if (poll(&readable, 1, 100) > 0) {
                const ssize_t count = read(output.read_end(), buffer, sizeof buffer);
                if (count > 0) logger.feed(buffer, static_cast<std::size_t>(count));
                else if (count == 0 || errno != EINTR) output_open = false;
            } else if (child.exited()) {
                // Nothing left to read and the program is gone: whatever it started in the
                // background may hold the pipe open for hours, and is not ours to wait for.
                output_open = false;
            }
        }
    }
    while (!child.exited()) {
        if (!keep_going()) {
            result.timed_out = true;
            return result;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFSIGNALED(child.status())) result.killed_by_signal = WTERMSIG(child.status());
    else result.exit_status = WEXITSTATUS(child.status());
    return result;
}

std::string describe(const ExecResult& result, const ExecRequest& request) {
    if (result.timed_out && request.timeout) return "timed out after " + format_duration(*request.timeout) + " and was killed";
    if (result.killed_by_signal != 0) return fmt::format("killed by signal {}", result.killed_by_signal);
    return fmt::format("exited with status {}", result.exit_status);
}

}  // namespace datamig
