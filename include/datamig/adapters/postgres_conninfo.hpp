#pragma once
// Checking a PostgreSQL connection string as libpq reads it, before connecting. Part of the
// PostgreSQL driver module: the only code outside libpqxx that calls libpq (PQconninfoParse).
#include <string>

namespace datamig {

// Throws UsageError (exit 2, not the retried exit 3 of an unreachable server) for what libpq
// would refuse or misread: bad syntax or parameter names (PQconninfoParse), a port or other
// integer setting that is not one, a URI password with an unencoded '@' or '/'. No message
// shows the password.
void validate_conninfo(const std::string& conninfo);

}  // namespace datamig
