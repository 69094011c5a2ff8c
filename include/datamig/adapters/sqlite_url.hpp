#pragma once
// SQLite's URLs, sqlite:PATH and sqlite://PATH, as plain text: which URLs are SQLite's, the file
// they name, and the database's name. The kind opens the file with sqlite_driver.hpp.
#include "datamig/driver.hpp"

namespace datamig {

extern const DriverKind sqlite_driver;

}  // namespace datamig
