#pragma once
// Runs an exec migration's program (SPEC §3) as a child process in its own process group,
// streaming its output to the log line by line, killing the whole group on timeout, passing a
// stop signal on to it, and making it die with datamig.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "datamig/migration.hpp"
#include "datamig/settings.hpp"

namespace datamig {

// How long a program may take to finish after datamig passed SIGINT/SIGTERM on to it, before
// its group is killed: well under Kubernetes' default 30 s terminationGracePeriodSeconds, so
// datamig still records the outcome and exits before the kubelet's own SIGKILL.
constexpr std::chrono::milliseconds default_stop_grace{20'000};

struct ExecRequest {
    std::filesystem::path program;
    std::vector<std::string> arguments;
    std::vector<std::pair<std::string, std::string>> environment;  // added to the inherited one
    std::optional<std::chrono::milliseconds> timeout;
    std::string log_prefix;  // e.g. "20261122093100 enqueue_reindex"
    std::chrono::milliseconds stop_grace = default_stop_grace;
};

struct ExecResult {
    int exit_status = 0;  // valid when neither timed_out, killed_by_signal nor outlived_grace
    bool timed_out = false;
    int killed_by_signal = 0;
    // SIGINT/SIGTERM that datamig received while the program ran and passed on to it; 0: none.
    int stop_signal = 0;
    bool outlived_grace = false;  // still running stop_grace after stop_signal, then killed
};

// What runs an exec migration's file (SPEC §3): `<file> up|down`, with DATABASE_URL and the
// DATAMIG_* variables added to the environment, under --exec-timeout.
ExecRequest migration_request(const MigrationFile& file, bool up, const Settings& settings);

// Exit status 0, whether or not a stop signal came first.
bool succeeded(const ExecResult& result);

// Runs the program and waits for it. A stop signal does not end the wait: it is passed on to
// the program's process group, which gets `stop_grace` to finish (a program that traps it may
// complete its work and exit 0); then the group is killed. The program is killed too if datamig
// dies first. Throws MigrationFailed when the program cannot be started.
ExecResult run_process(const ExecRequest& request);

// "exited with status 3", "timed out after 5s and was killed", "killed by signal 15 after
// SIGTERM", "still running 20s after SIGTERM and was killed".
std::string describe(const ExecResult& result, const ExecRequest& request);

}  // namespace datamig
