#include "datamig/redaction.hpp"

#include <algorithm>

#include "datamig/adapters/postgres_url.hpp"
#include "datamig/driver.hpp"

namespace datamig {

std::string redact_url(const std::string& url) {
    // A URL no driver claims (a mistyped scheme, another database's) is read as PostgreSQL reads
    // a URI, the most general form: a password hides in scheme://user:password@ (up to the last
    // '@', so one holding '@' or '/' is hidden whole) and in ?password=, as before the drivers.
    // Plain text either way: redacting never loads a driver module.
    const DriverKind* kind = driver_kind_for(url);
    return kind != nullptr ? kind->redact(url) : redact_conninfo(url);
}

std::string redact_urls(std::string text, const std::vector<std::string>& urls) {
    return Redactions(urls).apply(std::move(text));
}

Redactions::Redactions(const std::vector<std::string>& urls) {
    for (const auto& url : urls) {
        const std::string redacted = redact_url(url);
        const bool known = std::any_of(replacements_.begin(), replacements_.end(),
                                       [&](const auto& replacement) { return replacement.first == url; });
        if (!url.empty() && redacted != url && !known) replacements_.emplace_back(url, redacted);
    }
}

std::string Redactions::apply(std::string text) const {
    for (const auto& [url, redacted] : replacements_) {
        for (auto at = text.find(url); at != std::string::npos; at = text.find(url, at + redacted.size())) {
            text.replace(at, url.size(), redacted);
        }
    }
    return text;
}

}  // namespace datamig
