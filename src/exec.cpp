#include "datamig/exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/stop.hpp"

extern char** environ;

namespace datamig {
namespace {

using SteadyClock = std::chrono::steady_clock;

// On a timeout, a program that ignores SIGTERM gets this long before SIGKILL.
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
        if (pipe2(ends_, O_CLOEXEC) != 0)
            throw MigrationFailed(std::string("cannot create a pipe: ") + std::strerror(errno));
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

[[noreturn]] void become_child(const ChildImage& image, const Pipe& output, const Pipe& exec_error, pid_t parent) {
    // Own process group, so a timeout or stop can reach the program and everything it started.
    setpgid(0, 0);
    // Die with datamig: a runner killed with SIGKILL cannot stop its program, and one finishing
    // its work after the runner is gone does it with nobody left to record it. The signal fires
    // when the *thread* that forked exits; that is the one running run_process(), which waits
    // for this child until it is reaped, so it never fires early. It is kept across execve.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // datamig may have died between fork() and prctl(); then no signal will ever come.
    if (getppid() != parent) _exit(127);
    restore_signal_mask_in_child();
    dup2(output.write_end(), STDOUT_FILENO);
    dup2(output.write_end(), STDERR_FILENO);
    execve(image.argv[0], image.argv.data(), image.envp.data());
    const int error = errno;
    (void)!write(exec_error.write_end(), &error, sizeof error);
    _exit(127);
}

std::string signal_name(int signal_number) {
    if (signal_number == SIGINT) return "SIGINT";
    if (signal_number == SIGTERM) return "SIGTERM";
    return fmt::format("signal {}", signal_number);
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

    void signal_group(int signal_number) noexcept { kill(-pid_, signal_number); }

    // SIGTERM to the group, SIGKILL after the grace period; waits for the child.
    void stop_group() noexcept {
        signal_group(SIGTERM);
        const auto deadline = SteadyClock::now() + kill_grace;
        while (!exited() && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        kill_group();
    }

    // SIGKILL to the group; waits for the child.
    void kill_group() noexcept {
        if (reaped_) return;
        signal_group(SIGKILL);
        if (waitpid(pid_, &status_, 0) == pid_) reaped_ = true;
    }

private:
    pid_t pid_;
    int status_ = 0;
    bool reaped_ = false;
};

// A --schemas target's program must work in its tenant's schema as the SQL migrations do:
// libpq-based clients (psql, most drivers) read PGOPTIONS, any other can read DATAMIG_SCHEMA.
// In PGOPTIONS a space or backslash of the name is escaped with a backslash.
void add_schema(ExecRequest& request, const std::string& schema) {
    std::string escaped;
    for (const char c : schema) {
        if (c == ' ' || c == '\\') escaped += '\\';
        escaped += c;
    }
    const char* inherited = std::getenv("PGOPTIONS");
    const std::string before = inherited != nullptr && *inherited != '\0' ? std::string(inherited) + " " : "";
    request.environment.emplace_back("PGOPTIONS", before + "-c search_path=" + escaped);
    request.environment.emplace_back("DATAMIG_SCHEMA", schema);
}

}  // namespace

ExecRequest migration_request(const MigrationFile& file, bool up, const Settings& settings) {
    const std::string direction = up ? "up" : "down";
    ExecRequest request{std::filesystem::absolute(file.path),
                        {direction},
                        {{"DATABASE_URL", settings.database_url},
                         {"DATAMIG_VERSION", file.version},
                         {"DATAMIG_NAME", file.name},
                         {"DATAMIG_PHASE", file.phase},
                         {"DATAMIG_DIRECTION", direction},
                         {"DATAMIG_OPERATOR", settings.operator_name}},
                        settings.exec_timeout,
                        fmt::format("{} {}", file.version, file.name)};
    if (settings.search_path) add_schema(request, *settings.search_path);
    return request;
}

bool succeeded(const ExecResult& result) {
    return !result.timed_out && !result.outlived_grace && result.killed_by_signal == 0 && result.exit_status == 0;
}

ExecResult run_process(const ExecRequest& request) {
    const ChildImage image = child_image(request);
    Pipe output;
    Pipe exec_error;
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw MigrationFailed(std::string("cannot start a process: ") + std::strerror(errno));
    if (pid == 0) become_child(image, output, exec_error, parent);
    // Also done here, so that a signal sent to the group before the child's own setpgid() ran
    // still finds the group.
    setpgid(pid, pid);

    Child child(pid);
    output.close_write();
    exec_error.close_write();
    int exec_errno = 0;
    if (read(exec_error.read_end(), &exec_errno, sizeof exec_errno) == static_cast<ssize_t>(sizeof exec_errno)) {
        child.exited();
        throw MigrationFailed(fmt::format("cannot run {}: {}", request.program.string(), std::strerror(exec_errno)));
    }

    ExecResult result;
    auto deadline = request.timeout ? SteadyClock::now() + *request.timeout : SteadyClock::time_point::max();
    // Polled in short slices: a stop signal or the deadline must be noticed promptly even while
    // the program prints nothing. Returns false once the program had to be killed.
    const auto keep_going = [&] {
        if (result.stop_signal == 0 && stop_signal() != 0) {
            // The program decides what a stop means for its work, as datamig does for its own:
            // it gets the same signal and the grace period, which replaces the timeout.
            result.stop_signal = stop_signal();
            spdlog::warn("[{}] passing {} on to the program; waiting up to {} for it", request.log_prefix,
                         signal_name(result.stop_signal), format_duration(request.stop_grace));
            child.signal_group(result.stop_signal);
            deadline = SteadyClock::now() + request.stop_grace;
        }
        if (SteadyClock::now() < deadline) return true;
        if (result.stop_signal != 0) {
            child.kill_group();
            result.outlived_grace = true;
        } else {
            child.stop_group();
            result.timed_out = true;
        }
        return false;
    };
    {
        LineLogger logger(request.log_prefix);
        char buffer[4096];
        for (bool output_open = true; output_open;) {
            if (!keep_going()) return result;
            pollfd readable{output.read_end(), POLLIN, 0};
            if (poll(&readable, 1, 100) > 0) {
                const ssize_t count = read(output.read_end(), buffer, sizeof buffer);
                if (count > 0)
                    logger.feed(buffer, static_cast<std::size_t>(count));
                else if (count == 0 || errno != EINTR)
                    output_open = false;
            } else if (child.exited()) {
                // Nothing left to read and the program is gone: whatever it started in the
                // background may hold the pipe open for hours, and is not ours to wait for.
                output_open = false;
            }
        }
    }
    while (!child.exited()) {
        if (!keep_going()) return result;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFSIGNALED(child.status()))
        result.killed_by_signal = WTERMSIG(child.status());
    else
        result.exit_status = WEXITSTATUS(child.status());
    return result;
}

std::string describe(const ExecResult& result, const ExecRequest& request) {
    if (result.timed_out && request.timeout)
        return "timed out after " + format_duration(*request.timeout) + " and was killed";
    const std::string stop = signal_name(result.stop_signal);
    if (result.outlived_grace) {
        return fmt::format("still running {} after {} and was killed", format_duration(request.stop_grace), stop);
    }
    const std::string after = result.stop_signal != 0 ? " after " + stop : "";
    if (result.killed_by_signal != 0) return fmt::format("killed by signal {}{}", result.killed_by_signal, after);
    return fmt::format("exited with status {}{}", result.exit_status, after);
}

}  // namespace datamig
