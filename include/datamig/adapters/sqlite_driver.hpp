#pragma once
#include <memory>
#include <string>

#include "datamig/database.hpp"
#include "datamig/driver.hpp"

namespace datamig {

// The SQLite database file at `path` (":memory:" allowed), created unless options.read_only.
// The runner lock is an flock() on "<path>.lock", which the OS releases when the process dies.
std::unique_ptr<Driver> open_sqlite_file(const std::string& path, const ConnectOptions& options);

}  // namespace datamig
