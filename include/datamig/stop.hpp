#pragma once
// SIGINT/SIGTERM handling. Signals are blocked in every thread and taken by one watcher
// thread with sigwait(), so the reaction (cancel the running statement, stop the exec
// child) runs as ordinary code, not in an async-signal context.
#include <sys/types.h>
#include <chrono>
#include <functional>
#include <list>

namespace datamig {

// Blocks SIGINT/SIGTERM and starts the watcher. Call first thing in main(), before any other
// thread exists.
void install_stop_handling();

// 0 while running; SIGINT or SIGTERM once one has arrived.
int stop_signal() noexcept;

// Throws Stopped when a signal has arrived. Called between units of work.
void throw_if_stopped();

// Sleeps for `duration` unless a signal arrives first; then throws Stopped at once, so a pause
// between batches or retries never delays a shutdown.
void sleep_unless_stopped(std::chrono::milliseconds duration);

// What the watcher does when a signal arrives, e.g. cancel the statement in progress.
// The guard removes it again. Several may be registered at once (one per worker of a
// many-target run); a signal runs them all.
class OnStop {
public:
    explicit OnStop(std::function<void()> action);
    ~OnStop();
    OnStop(const OnStop&) = delete;
    OnStop& operator=(const OnStop&) = delete;

private:
    std::list<std::function<void()>>::iterator registered_;
};

// For tests: reacts as if `signal_number` (SIGINT/SIGTERM) had just arrived, without sending
// one, from any thread; 0 forgets any stop again, so that one test's stop does not leak into the
// next.
void simulate_stop(int signal_number);

// The same as a scope: arrive() simulates the signal, the end of the scope forgets the stop even
// when a test fails midway.
class SimulatedStop {
public:
    SimulatedStop() = default;
    ~SimulatedStop();
    SimulatedStop(const SimulatedStop&) = delete;
    SimulatedStop& operator=(const SimulatedStop&) = delete;
    void arrive(int signal_number) const;
};

// The signal mask a child process must start with (signals unblocked again).
void restore_signal_mask_in_child() noexcept;

}  // namespace datamig
