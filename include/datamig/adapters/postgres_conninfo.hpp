#pragma once
// PostgreSQL connection strings, as libpq reads them: which URLs are PostgreSQL's, checking one
// before connecting, and hiding its password.
#include <string>
#include <string_view>

namespace datamig {

// postgres://, postgresql:// and libpq's key=value form.
bool is_postgres_conninfo(std::string_view url);

// Throws UsageError (exit 2, not the retried exit 3 of an unreachable server) for what libpq
// would refuse or misread: bad syntax or parameter names (PQconninfoParse), a port or other
// integer setting that is not one, a URI password with an unencoded '@' or '/'. No message
// shows the password.
void validate_conninfo(const std::string& conninfo);

// The connection string with every password replaced by "***" where it stands. In a URI the
// password runs from the user's ':' to the last '@' of the credentials, so one with an
// unencoded '@' is hidden whole; `password=` parameters of a URI's query or the key=value form
// are hidden too.
std::string redact_conninfo(const std::string& conninfo);

}  // namespace datamig
