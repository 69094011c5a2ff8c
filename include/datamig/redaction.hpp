#pragma once
// Passwords out of messages and logs. Each driver knows where its URLs keep a password
// (DriverKind::redact); this file only asks the right one.
#include <string>
#include <vector>

namespace datamig {

// Same URL with any password replaced by "***", for messages and logs. A URL no driver claims
// is read as scheme://user:password@host... .
std::string redact_url(const std::string& url);
// `text` with every occurrence of each of `urls` replaced by its redact_url() form: the password
// is hidden where it stands in the URL, and the same letters elsewhere (a user name, "postgres")
// stay readable. For logs and error messages.
std::string redact_urls(std::string text, const std::vector<std::string>& urls);

}  // namespace datamig
