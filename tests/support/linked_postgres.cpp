// The unit tests link PostgreSQL's driver in (datamig_postgres in CMakeLists.txt) instead of
// loading it as the binary does (src/adapters/postgres_module.cpp): they test its internals one
// file at a time, and connect() on a postgres URL reaches the same code through this kind.
#include <memory>
#include <string>

#include "datamig/adapters/postgres_driver.hpp"
#include "datamig/adapters/postgres_module.hpp"
#include "datamig/adapters/postgres_url.hpp"

namespace datamig {

const DriverKind postgres_kind{
    &is_postgres_conninfo,
    [](const std::string& conninfo, const ConnectOptions& options) { return postgres_driver.open(conninfo, options); },
    &redact_conninfo, &conninfo_database_name};

}  // namespace datamig
