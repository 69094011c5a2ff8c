#pragma once
// PostgreSQL as connect() lists it (driver_kinds in database.cpp). Which code opens a connection
// is the program's choice, made by what it links:
// * the datamig binary links src/adapters/postgres_module.cpp: URLs are claimed and redacted as
//   plain text (postgres_url.hpp), and the first open() loads the driver, datamig-postgres.so
//   (driver_module.hpp), so a run that opens no PostgreSQL database never loads libpq;
// * the unit tests link the driver itself in (tests/support/linked_postgres.cpp).
#include "datamig/driver.hpp"

namespace datamig {

extern const DriverKind postgres_kind;

}  // namespace datamig
