#include "datamig/redaction.hpp"

#include <algorithm>
#include <string_view>

#include "datamig/driver.hpp"

namespace datamig {
namespace {

// scheme://user:password@host/...: the password between the user's ':' and the last '@'
// before the path.
std::string redact_userinfo(std::string url) {
    constexpr std::string_view separator = "://";
    const std::size_t authority = url.find(separator);
    if (authority == std::string::npos) return url;
    const std::size_t begin = authority + separator.size();
    const std::size_t end = std::min(url.find_first_of("/?#", begin), url.size());
    const std::size_t at = url.rfind('@', end);
    if (at == std::string::npos || at < begin) return url;
    const std::size_t colon = url.find(':', begin);
    if (colon < at) url.replace(colon + 1, at - colon - 1, "***");
    return url;
}

}  // namespace

std::string redact_url(const std::string& url) {
    const DriverKind* kind = driver_kind_for(url);
    return kind != nullptr ? kind->redact(url) : redact_userinfo(url);
}

std::string redact_urls(std::string text, const std::vector<std::string>& urls) {
    for (const auto& url : urls) {
        const std::string redacted = redact_url(url);
        if (url.empty() || redacted == url) continue;
        for (auto at = text.find(url); at != std::string::npos; at = text.find(url, at + redacted.size())) {
            text.replace(at, url.size(), redacted);
        }
    }
    return text;
}

}  // namespace datamig
