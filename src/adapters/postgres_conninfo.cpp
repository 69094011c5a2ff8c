// The only file that includes libpq's own header: PQconninfoParse knows the syntax.
#include "datamig/adapters/postgres_conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <vector>

#include "datamig/adapters/postgres_messages.hpp"
#include "datamig/error.hpp"

namespace datamig {
namespace {

constexpr std::string_view uri_separator = "://";
constexpr std::string_view redacted = "***";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Where a password sits in the URL: the text redact_url replaces.
struct PasswordSpan {
    std::size_t begin;
    std::size_t end;
};

// Where the user information of scheme://user:password@host/db ends: at its last '@', npos
// without one. libpq ends it at the first '@' before any '/', which cuts a password holding an
// unencoded '@' or '/' in two and reads the rest as host or database name; the last '@' before
// the path (or, when a '/' comes first, the last one in the path) keeps such a password whole,
// to hide and to refuse it.
std::size_t credentials_end(std::string_view url, std::size_t authority) {
    const std::size_t slash = std::min(url.find('/', authority), url.size());
    const std::size_t at = url.substr(0, slash).rfind('@');
    if (at != std::string_view::npos && at >= authority) return at;
    const std::size_t query = std::min(url.find('?', slash), url.size());
    const std::size_t path_at = url.substr(0, query).rfind('@');
    return path_at != std::string_view::npos && path_at >= slash ? path_at : std::string_view::npos;
}

std::size_t authority_of(std::string_view url) { return url.find(uri_separator) + uri_separator.size(); }

// scheme://user:password@host/db?password=...
std::vector<PasswordSpan> uri_password_spans(std::string_view url) {
    std::vector<PasswordSpan> spans;
    const std::size_t authority = authority_of(url);
    const std::size_t at = credentials_end(url, authority);
    if (at != std::string_view::npos) {
        const std::size_t colon = url.substr(0, at).find(':', authority);
        if (colon != std::string_view::npos) spans.push_back({colon + 1, at});
    }
    const std::size_t query = url.find('?', at == std::string_view::npos ? authority : at);
    if (query == std::string_view::npos) return spans;
    std::size_t parameter = query + 1;
    while (parameter < url.size()) {
        const std::size_t parameter_end = std::min(url.find('&', parameter), url.find('#', parameter));
        const std::size_t end = parameter_end == std::string_view::npos ? url.size() : parameter_end;
        constexpr std::string_view key = "password=";
        if (url.substr(parameter, end - parameter).substr(0, key.size()) == key) {
            spans.push_back({parameter + key.size(), end});
        }
        if (end == url.size() || url[end] == '#') break;
        parameter = end + 1;
    }
    return spans;
}

// libpq would read user:pa@ss@host as password "pa" at host "ss@host" (and user:pa/ss@host as
// host "user", port "pa"), and its errors would show that part of the password as a host name.
void refuse_ambiguous_credentials(std::string_view url) {
    const std::size_t authority = authority_of(url);
    const std::size_t at = credentials_end(url, authority);
    const bool ambiguous = at != std::string_view::npos &&
                           url.substr(authority, at - authority).find_first_of("@/") != std::string_view::npos;
    if (!ambiguous) return;
    throw UsageError(
        "--database-url: the user name or password contains an unencoded '@' or '/', which libpq reads as "
        "the start of the host or database name; percent-encode '@' as %40 and '/' as %2F");
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// libpq's key=value syntax: whitespace-separated pairs, spaces allowed around '=', values
// either bare or in single quotes, backslash escaping the next character in both.
std::vector<PasswordSpan> keyword_password_spans(std::string_view text) {
    std::vector<PasswordSpan> spans;
    std::size_t pos = 0;
    auto skip_spaces = [&] {
        while (pos < text.size() && is_space(text[pos])) ++pos;
    };
    while (true) {
        skip_spaces();
        if (pos >= text.size()) break;
        const std::size_t key_begin = pos;
        while (pos < text.size() && text[pos] != '=' && !is_space(text[pos])) ++pos;
        const std::string_view key = text.substr(key_begin, pos - key_begin);
        skip_spaces();
        if (pos >= text.size() || text[pos] != '=') break;
        ++pos;
        skip_spaces();
        const std::size_t value_begin = pos;
        const bool quoted = pos < text.size() && text[pos] == '\'';
        if (quoted) ++pos;
        while (pos < text.size()) {
            const char c = text[pos];
            if (quoted ? c == '\'' : is_space(c)) break;
            if (c == '\\' && pos + 1 < text.size()) ++pos;
            ++pos;
        }
        if (quoted && pos < text.size()) ++pos;  // closing quote
        if (key == "password") spans.push_back({value_begin, pos});
    }
    return spans;
}

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

// A malformed connection string is a usage error (exit 2), not an unreachable server (exit 3,
// which a Kubernetes Job retries forever). libpq checks the syntax and the parameter names
// (PQconninfoParse); the port and other integers it would only check while connecting. Both are
// read from the redacted string, so no message can show the password; the original is parsed
// only to learn whether libpq can read the password itself.
}  // namespace

void validate_conninfo(const std::string& conninfo) {
    if (conninfo.find(uri_separator) != std::string::npos) refuse_ambiguous_credentials(conninfo);
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

bool is_postgres_conninfo(std::string_view url) {
    if (url.find(uri_separator) == std::string_view::npos) {
        return !starts_with(url, "sqlite:") && url.find('=') != std::string_view::npos;
    }
    return starts_with(url, "postgres://") || starts_with(url, "postgresql://");
}

std::string redact_conninfo(const std::string& conninfo) {
    std::string result = conninfo;
    const auto spans = conninfo.find(uri_separator) != std::string::npos ? uri_password_spans(conninfo)
                                                                         : keyword_password_spans(conninfo);
    // Back to front, so the earlier offsets stay valid.
    for (auto span = spans.rbegin(); span != spans.rend(); ++span) {
        result.replace(span->begin, span->end - span->begin, redacted);
    }
    return result;
}

}  // namespace datamig
