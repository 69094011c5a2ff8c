#pragma once
#include <memory>
#include <string>

#include "datamig/database.hpp"
#include "datamig/driver.hpp"

namespace datamig {

// A libpq URI (postgres://, postgresql://) or key=value string, passed through unchanged
// (sslmode and other parameters included) once postgres_conninfo.hpp has checked it. Sets
// application_name=datamig and TimeZone=UTC. The runner lock is a session advisory lock keyed on
// the table name.
extern const DriverKind postgres_driver;

}  // namespace datamig
