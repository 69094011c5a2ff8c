#pragma once
// Drivers built as CMake MODULE libraries (datamig-<database>.so) that the datamig binary loads on
// first use, so a run pays for a database's client libraries only when it opens that database:
// libpq and its twenty dependencies took about 4 ms of every start, SQLite runs included. A module
// leaves the core's symbols undefined and binds them to the binary's (ENABLE_EXPORTS in
// CMakeLists.txt): one copy of the core per process, so an error a module throws is the type
// main() catches.
#include <filesystem>
#include <string>
#include <vector>

#include "datamig/driver.hpp"

// What a driver module exports for load_driver_module(), under this unmangled name: its kind.
extern "C" const datamig::DriverKind* const datamig_driver_kind;

namespace datamig {

// Where a module file is looked for, in this order: beside the running executable (the build
// tree puts modules next to the binary), then in ../lib/datamig/ from it (installed: bin/datamig
// and lib/datamig/). The executable's own path, symlinks resolved, comes from /proc/self/exe.
std::vector<std::filesystem::path> driver_module_paths(const std::string& file);

// The kind exported by the first of `paths` that exists, loaded for the rest of the process with
// every symbol bound now (one missing fails here, not halfway through a migration). Throws
// UsageError (exit 2: retrying cannot help, as for a scheme datamig does not know) saying that
// `database` support is not installed, naming `paths`, when none exists, and the loader's reason
// when the first that exists cannot be loaded.
const DriverKind& load_driver_module(const std::vector<std::filesystem::path>& paths, const std::string& database);

}  // namespace datamig
