#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "datamig/clock.hpp"
#include "datamig/migration.hpp"
#include "datamig/settings.hpp"

namespace datamig {

struct GenerateRequest {
    std::string name;                  // as typed; turned into snake_case
    std::optional<std::string> phase;  // default: the first phase
    Kind kind = Kind::sql;
    BatchMode batch = BatchMode::none;
};

// Writes a new migration from its template and returns its path. The version is `now`,
// moved forward a second at a time until no phase folder has a file with it.
std::filesystem::path generate_migration(const Settings& settings, const GenerateRequest& request, TimePoint now);

}  // namespace datamig
