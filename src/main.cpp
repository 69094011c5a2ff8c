// datamig: parse the command line, run one command, map every failure to one message on
// stderr and an exit code of SPEC §7.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "datamig/cli.hpp"
#include "datamig/database.hpp"
#include "datamig/error.hpp"
#include "datamig/fleet.hpp"
#include "datamig/logging.hpp"
#include "datamig/stop.hpp"
#include "datamig/summary.hpp"

namespace {

using datamig::Exit;

// Until the settings are known (a bad flag), only the environment can say how to log.
datamig::LogFormat log_format_from_environment() {
    const char* format = std::getenv("DATAMIG_LOG_FORMAT");
    return format != nullptr && std::string(format) == "json" ? datamig::LogFormat::json : datamig::LogFormat::text;
}

// The one place that reports a failure: through the log, so --log-format json gets JSON too,
// and with the database URL redacted by the log formatter; the summary file gets the same
// message, redacted here.
int fail(Exit code, const char* message, const std::vector<std::string>& urls) {
    spdlog::error("{}", message);
    datamig::write_summary(static_cast<int>(code), datamig::redact_urls(message, urls));
    return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
    datamig::install_stop_handling();
    const char* url = std::getenv("DATABASE_URL");
    const std::string environment_url = url != nullptr ? url : "";
    datamig::configure_logging(log_format_from_environment(), 0, {environment_url});
    std::vector<std::string> urls{environment_url};
    try {
        const auto invocation = datamig::parse_command_line(argc, argv);
        if (!invocation) return 0;
        const datamig::Settings& settings = invocation->settings;
        // Both: --database-url may override DATABASE_URL, which is still in the environment.
        urls = {settings.database_url, environment_url};
        datamig::configure_logging(settings.log_format, settings.verbosity, urls);
        const Exit code = datamig::run_command(*invocation);
        // A signal that came during the last unit of work, which finished all the same (an exec
        // program that trapped SIGTERM), still stopped the run (SPEC §7).
        if (const int signal = datamig::stop_signal(); signal != 0) {
            const datamig::Stopped stopped(signal);
            datamig::write_summary(static_cast<int>(stopped.code()), stopped.what());
            return static_cast<int>(stopped.code());
        }
        datamig::write_summary(static_cast<int>(code), "");
        return static_cast<int>(code);
    } catch (const datamig::Error& error) {
        // After a stop signal, whatever was under way fails on its way out ("canceled: datamig is
        // stopping", a busy wait given up): the run was stopped, and its exit code says so (SPEC §7).
        if (const int signal = datamig::stop_signal(); signal != 0) {
            return fail(datamig::Stopped(signal).code(), error.what(), urls);
        }
        return fail(error.code(), error.what(), urls);
    } catch (const std::exception& error) {
        return fail(Exit::failed, error.what(), urls);
    }
}
