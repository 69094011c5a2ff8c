#pragma once
#include <memory>
#include <string>

#include "datamig/database.hpp"
#include "datamig/driver.hpp"

namespace datamig {

// sqlite:PATH and sqlite://PATH (":memory:" allowed). The runner lock is an flock() on
// "<PATH>.lock", which the OS releases when the process dies.
extern const DriverKind sqlite_driver;

}  // namespace datamig
