// datamig: parse the command line, run one command, map every failure to one message on
// stderr and an exit code of SPEC §7.
#include <cstdlib>
#include <iostream>

#include <spdlog/spdlog.h>

#include "datamig/cli.hpp"
#include "datamig/database.hpp"
#include "datamig/logging.hpp"
#include "datamig/stop.hpp"

namespace {

using datamig::Exit;

// The password is scrubbed from every message, whatever layer wrote it.
std::string password_from_environment() {
    const char* url = std::getenv("DATABASE_URL");
    return url != nullptr ? datamig::password_of(url) : "";
}

int fail(Exit code, const std::string& message, const std::string& secret) {
    std::cerr << "datamig: error: " << datamig::scrub(message, secret) << std::endl;
    return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
    datamig::install_stop_handling();
    std::string secret = password_from_environment();
    try {
        const auto invocation = datamig::parse_command_line(argc, argv);
        if (!invocation) return 0;
        secret = datamig::password_of(invocation->settings.database_url);
        datamig::configure_logging(invocation->settings.log_format, invocation->settings.verbosity, secret);
        return static_cast<int>(invocation->run(*invocation));
    } catch (const datamig::Error& error) {
        return fail(error.code(), error.what(), secret);
    } catch (const std::exception& error) {
        return fail(Exit::failed, error.what(), secret);
    }
}
