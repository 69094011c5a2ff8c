#pragma once
// Passwords out of messages and logs. Each driver knows where its URLs keep a password
// (DriverKind::redact); this file only asks the right one.
#include <string>
#include <utility>
#include <vector>

namespace datamig {

// Same URL with any password replaced by "***", for messages and logs. A URL no driver claims
// is read as scheme://user:password@host... .
std::string redact_url(const std::string& url);
// `text` with every occurrence of each of `urls` replaced by its redact_url() form: the password
// is hidden where it stands in the URL, and the same letters elsewhere (a user name, "postgres")
// stay readable. For logs and error messages.
std::string redact_urls(std::string text, const std::vector<std::string>& urls);

// The same, with each URL's redacted form worked out once: the log redacts every line with the
// URLs of every target of a many-target run. URLs without a password, and repeats, cost nothing.
class Redactions {
public:
    explicit Redactions(const std::vector<std::string>& urls);
    std::string apply(std::string text) const;

private:
    std::vector<std::pair<std::string, std::string>> replacements_;  // URL, its redacted form
};

}  // namespace datamig
