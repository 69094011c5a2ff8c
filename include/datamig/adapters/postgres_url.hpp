#pragma once
// PostgreSQL connection strings as plain text, without libpq: which URLs are PostgreSQL's, where
// their passwords stand, and credentials libpq would misread. The binary claims and redacts
// PostgreSQL URLs with these alone, so neither loads the PostgreSQL driver module
// (postgres_module.hpp); what needs libpq's own parser is in postgres_conninfo.hpp, in the module.
#include <string>
#include <string_view>

namespace datamig {

// postgres://, postgresql:// and libpq's key=value form.
bool is_postgres_conninfo(std::string_view url);

// The connection string with every password replaced by "***" where it stands. In a URI the
// password runs from the user's ':' to the last '@' of the credentials, so one with an
// unencoded '@' is hidden whole; `password=` parameters of a URI's query or the key=value form
// are hidden too.
std::string redact_conninfo(const std::string& conninfo);

// The database the connection string names (a URI's path, or `dbname=`), "" when it names none:
// the name of a target listed without one (SPEC §4, many databases).
std::string conninfo_database_name(const std::string& conninfo);

// Throws UsageError (without the password) for a URI whose user name or password holds an
// unencoded '@' or '/': libpq would read user:pa@ss@host as password "pa" at host "ss@host" (and
// user:pa/ss@host as host "user", port "pa"), and its errors would show that part of the
// password as a host name. A key=value string passes.
void refuse_ambiguous_credentials(std::string_view url);

}  // namespace datamig
