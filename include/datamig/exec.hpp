#pragma once
// Runs an exec migration's program (SPEC §3) as a child process in its own process group,
// streaming its output to the log line by line and killing the whole group on timeout or stop.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace datamig {

struct ExecRequest {
    std::filesystem::path program;
    std::vector<std::string> arguments;
    std::vector<std::pair<std::string, std::string>> environment;  // added to the inherited one
    std::optional<std::chrono::milliseconds> timeout;
    std::string log_prefix;  // e.g. "20261122093100 enqueue_reindex"
};

struct ExecResult {
    int exit_status = 0;  // valid when neither timed_out nor killed_by_signal
    bool timed_out = false;
    int killed_by_signal = 0;
};

// Throws Stopped (after stopping the child) when SIGINT/SIGTERM arrives, MigrationFailed
// when the program cannot be started.
ExecResult run_process(const ExecRequest& request);

// "exited with status 3", "timed out after 5s", "killed by signal 9".
std::string describe(const ExecResult& result, const ExecRequest& request);

}  // namespace datamig
