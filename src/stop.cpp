#include "datamig/stop.hpp"

#include <pthread.h>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <list>
#include <mutex>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "datamig/error.hpp"

namespace datamig {
namespace {

std::atomic<int> received_signal{0};
std::mutex action_mutex;
// One per open database (each worker of a many-target run has its own), guarded by action_mutex.
std::list<std::function<void()>> stop_actions;
sigset_t original_mask;
std::mutex sleep_mutex;
std::condition_variable wake_sleepers;

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

// The reaction to a stop, on the watcher's thread (or a test's): the first signal decides the
// exit code; a second one must not change or repeat the shutdown that is already under way.
void take_stop(int signal_number) {
    int expected = 0;
    if (!received_signal.compare_exchange_strong(expected, signal_number)) return;
    spdlog::warn("{} received: stopping (the current transaction is rolled back, a running program gets the signal)",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    {
        const std::lock_guard<std::mutex> sleeping(sleep_mutex);
        wake_sleepers.notify_all();
    }
    const std::lock_guard<std::mutex> lock(action_mutex);
    for (const auto& action : stop_actions) action();
}

void watch_signals() {
    const sigset_t set = stop_signals();
    for (;;) {
        int signal_number = 0;
        if (sigwait(&set, &signal_number) == 0) take_stop(signal_number);
    }
}

}  // namespace

void install_stop_handling() {
    const sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, &original_mask);
    std::thread(watch_signals).detach();
}

int stop_signal() noexcept { return received_signal.load(); }

void throw_if_stopped() {
    if (const int signal_number = stop_signal()) throw Stopped(signal_number);
}

void sleep_unless_stopped(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> sleeping(sleep_mutex);
    wake_sleepers.wait_for(sleeping, duration, [] { return stop_signal() != 0; });
    sleeping.unlock();
    throw_if_stopped();
}

OnStop::OnStop(std::function<void()> action) {
    const std::lock_guard<std::mutex> lock(action_mutex);
    registered_ = stop_actions.insert(stop_actions.end(), std::move(action));
    // A signal that arrived before the action existed still has to take effect.
    if (stop_signal() != 0) (*registered_)();
}

OnStop::~OnStop() {
    const std::lock_guard<std::mutex> lock(action_mutex);
    stop_actions.erase(registered_);
}

void simulate_stop(int signal_number) {
    if (signal_number == 0) {
        received_signal = 0;
    } else {
        take_stop(signal_number);
    }
}

SimulatedStop::~SimulatedStop() { simulate_stop(0); }

void SimulatedStop::arrive(int signal_number) const { simulate_stop(signal_number); }

void restore_signal_mask_in_child() noexcept { pthread_sigmask(SIG_SETMASK, &original_mask, nullptr); }

}  // namespace datamig
