#pragma once
#include <memory>
#include <string>

#include "datamig/database.hpp"

namespace datamig {

// `conninfo` is a libpq URI (postgres://, postgresql://) or key=value string, passed through
// unchanged (sslmode and other parameters included). Sets application_name=datamig and
// TimeZone=UTC. The runner lock is a session advisory lock keyed on the table name.
std::unique_ptr<Database> open_postgres(const std::string& conninfo, const ConnectOptions& options);

}  // namespace datamig
