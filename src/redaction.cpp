#include "datamig/redaction.hpp"

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
