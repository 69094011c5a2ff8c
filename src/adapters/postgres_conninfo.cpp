// The only file that includes libpq's own header: PQconninfoParse knows the syntax.
#include "datamig/adapters/postgres_conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "datamig/adapters/postgres_messages.hpp"
#include "datamig/adapters/postgres_url.hpp"
#include "datamig/error.hpp"

namespace datamig {
namespace {

// Settings libpq reads as integers only while connecting; "port" holds one per host
// ("5432,5433"), an empty one meaning the default.
constexpr std::array<std::string_view, 7> integer_settings{"port",
                                                           "connect_timeout",
                                                           "keepalives",
                                                           "keepalives_idle",
                                                           "keepalives_interval",
                                                           "keepalives_count",
                                                           "tcp_user_timeout"};

// Throws UsageError for a value libpq would refuse (as its parse_int_param reads an int).
void check_setting(const std::string& keyword, const std::string& value) {
    if (std::find(integer_settings.begin(), integer_settings.end(), keyword) == integer_settings.end()) return;
    const bool port = keyword == "port";
    for (std::size_t start = 0; start <= value.size();) {
        const std::size_t end = port ? std::min(value.find(',', start), value.size()) : value.size();
        const std::string part = trim(std::string_view(value).substr(start, end - start));
        char* rest = nullptr;
        errno = 0;
        const long number = std::strtol(part.c_str(), &rest, 10);
        const bool is_int = !part.empty() && *rest == '\0' && errno == 0 && number == static_cast<int>(number);
        if (port ? !part.empty() && !(is_int && number >= 1 && number <= 65535) : !is_int) {
            throw UsageError("--database-url: " + keyword + " '" + part + "' is not " +
                             (port ? "a number from 1 to 65535" : "a whole number"));
        }
        start = end + 1;
    }
}

}  // namespace

// A malformed connection string is a usage error (exit 2), not an unreachable server (exit 3,
// which a Kubernetes Job retries forever). libpq checks the syntax and the parameter names
// (PQconninfoParse); the port and other integers it would only check while connecting. Both are
// read from the redacted string, so no message can show the password; the original is parsed
// only to learn whether libpq can read the password itself.
void validate_conninfo(const std::string& conninfo) {
    refuse_ambiguous_credentials(conninfo);
    const auto parse = [](const std::string& text, std::string& error) {
        char* message = nullptr;
        std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(PQconninfoParse(text.c_str(), &message),
                                                                               &PQconninfoFree);
        if (message != nullptr) error = single_line(message);
        PQfreemem(message);
        return options;
    };
    std::string error;
    const auto options = parse(redact_conninfo(conninfo), error);
    if (!options) throw UsageError("--database-url: " + (error.empty() ? "libpq cannot parse it" : error));
    for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
        if (option->val != nullptr) check_setting(option->keyword, option->val);
    }
    if (!parse(conninfo, error)) {
        throw UsageError(
            "--database-url: libpq cannot read the password: in a URL percent-encode special characters "
            "('%' as %25), in key=value form quote it and escape ' and \\ with a backslash");
    }
}

}  // namespace datamig
