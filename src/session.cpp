#include "datamig/session.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"

namespace datamig {

std::unique_ptr<Database> open_database(const Settings& settings, Access access) {
    using SteadyClock = std::chrono::steady_clock;
    const ConnectOptions options{settings.table,     settings.statement_timeout, access == Access::read_only,
                                 settings.lock_wait, settings.lock_timeout,      settings.search_path};
    const auto deadline = SteadyClock::now() + settings.wait_timeout;
    auto next_report = SteadyClock::now();
    for (;;) {
        try {
            return connect(settings.database_url, options);
        } catch (const Unavailable& error) {
            if (!settings.wait || SteadyClock::now() >= deadline) throw;
            if (SteadyClock::now() >= next_report) {
                spdlog::info("database not reachable yet, retrying for up to {}: {}",
                             format_duration(settings.wait_timeout), error.what());
                next_report = SteadyClock::now() + std::chrono::seconds(10);
            }
            sleep_unless_stopped(std::chrono::milliseconds(500));
        }
    }
}

Session::Session(const Settings& settings, Access access)
    : db_(open_database(settings, access)), cancel_statement_([this] { db_->interrupt(); }) {
    if (access == Access::read_only) return;
    if (access != Access::write_unlocked) lock_.emplace(*db_, settings.lock_wait);
    if (access != Access::rehearsal) db_->ensure_history();
}

}  // namespace datamig
