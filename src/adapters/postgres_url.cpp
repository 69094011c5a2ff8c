// PostgreSQL URLs as plain text: no libpq, so the binary claims and redacts them without loading
// the driver module.
#include "datamig/adapters/postgres_url.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <vector>

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

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// libpq's key=value syntax: whitespace-separated pairs, spaces allowed around '=', values
// either bare or in single quotes, backslash escaping the next character in both. The spans of
// the values of `wanted` (quotes included).
std::vector<PasswordSpan> keyword_value_spans(std::string_view text, std::string_view wanted) {
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
        if (key == wanted) spans.push_back({value_begin, pos});
    }
    return spans;
}

}  // namespace

bool is_postgres_conninfo(std::string_view url) {
    if (url.find(uri_separator) == std::string_view::npos) {
        return !starts_with(url, "sqlite:") && url.find('=') != std::string_view::npos;
    }
    return starts_with(url, "postgres://") || starts_with(url, "postgresql://");
}

void refuse_ambiguous_credentials(std::string_view url) {
    if (url.find(uri_separator) == std::string_view::npos) return;
    const std::size_t authority = authority_of(url);
    const std::size_t at = credentials_end(url, authority);
    const bool ambiguous = at != std::string_view::npos &&
                           url.substr(authority, at - authority).find_first_of("@/") != std::string_view::npos;
    if (!ambiguous) return;
    throw UsageError(
        "--database-url: the user name or password contains an unencoded '@' or '/', which libpq reads as "
        "the start of the host or database name; percent-encode '@' as %40 and '/' as %2F");
}

std::string redact_conninfo(const std::string& conninfo) {
    std::string result = conninfo;
    const auto spans = conninfo.find(uri_separator) != std::string::npos ? uri_password_spans(conninfo)
                                                                         : keyword_value_spans(conninfo, "password");
    // Back to front, so the earlier offsets stay valid.
    for (auto span = spans.rbegin(); span != spans.rend(); ++span) {
        result.replace(span->begin, span->end - span->begin, redacted);
    }
    return result;
}

std::string conninfo_database_name(const std::string& conninfo) {
    if (conninfo.find(uri_separator) == std::string::npos) {
        const auto spans = keyword_value_spans(conninfo, "dbname");
        if (spans.empty()) return "";
        std::string name = conninfo.substr(spans.back().begin, spans.back().end - spans.back().begin);
        if (name.size() >= 2 && name.front() == '\'') name = name.substr(1, name.size() - 2);
        return name;
    }
    // scheme://credentials@host:port/dbname?parameters: the path after the credentials.
    const std::size_t authority = authority_of(conninfo);
    const std::size_t at = credentials_end(conninfo, authority);
    const std::size_t slash = conninfo.find('/', at == std::string::npos ? authority : at);
    if (slash == std::string::npos) return "";
    return conninfo.substr(slash + 1, conninfo.find_first_of("?#", slash) - slash - 1);
}

}  // namespace datamig
