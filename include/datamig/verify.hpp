#pragma once
// What a `verify` query's answer means (SPEC §2): one boolean or integer cell, true or non-zero
// to pass. Pure, so every way an answer can be wrong is tested without a database.
#include <optional>
#include <string>

#include "datamig/database.hpp"

namespace datamig {

// nullopt when `answer` passes; otherwise why it failed, saying what came back ("the query returned
// 2 rows; verify must return one boolean or integer cell", "the query returned 'f'").
std::optional<std::string> verify_failure(const QueryAnswer& answer);

// Whether the first cell is true or a non-zero number (--throttle-query: "unhealthy while true").
bool first_cell_true(const QueryAnswer& answer);

}  // namespace datamig
