#pragma once
#include <memory>
#include <string>

#include "datamig/database.hpp"
#include "datamig/driver.hpp"

namespace datamig {

// A libpq URI (postgres://, postgresql://) or key=value string, passed through unchanged
// (sslmode and other parameters included) once postgres_conninfo.hpp has checked it. Sets
// application_name=datamig and TimeZone=UTC. The runner lock is a session advisory lock keyed on
// the table name. Built into datamig-postgres.so, which exports it as datamig_driver_kind; the
// binary lists postgres_kind (postgres_module.hpp), which loads that module.
extern const DriverKind postgres_driver;

}  // namespace datamig
