#include "datamig/adapters/postgres_module.hpp"

#include <memory>
#include <string>

#include "datamig/adapters/postgres_url.hpp"
#include "datamig/driver_module.hpp"

namespace datamig {
namespace {

std::unique_ptr<Driver> open_from_module(const std::string& conninfo, const ConnectOptions& options) {
    // Loaded once per process, by the first thread to get here (a function-local static); a load
    // that failed threw before the static was set, so a later call tries again.
    static const DriverKind& driver = load_driver_module(driver_module_paths("datamig-postgres.so"), "PostgreSQL");
    return driver.open(conninfo, options);
}

}  // namespace

const DriverKind postgres_kind{&is_postgres_conninfo, &open_from_module, &redact_conninfo, &conninfo_database_name};

}  // namespace datamig
