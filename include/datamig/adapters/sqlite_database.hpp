#pragma once
#include <memory>
#include <string>

#include "datamig/database.hpp"

namespace datamig {

// `path` is the file after the "sqlite:" / "sqlite://" prefix (":memory:" allowed). The
// runner lock is an flock() on "<path>.lock", which the OS releases when the process dies.
std::unique_ptr<Database> open_sqlite(const std::string& path, const ConnectOptions& options);

}  // namespace datamig
