#pragma once
// `datamig check`: every rule that can be judged without data (SPEC §4), collected in full
// before anything is decided, so one run shows every problem.
#include <filesystem>
#include <optional>
#include <vector>

#include "datamig/catalog.hpp"
#include "datamig/status.hpp"

namespace datamig {

// Findings of the tree: the catalog's (`findings`), each file's own, and (with a schema dir)
// versions or names also used by schema migrations.
Findings check_tree(Findings findings, const std::vector<LoadedMigration>& files,
                    const std::optional<std::filesystem::path>& schema_dir);

// Warnings from comparing the tree with the history table (check --db).
Findings check_history(const std::vector<StatusEntry>& status);

// Warnings become errors (check --strict).
void make_strict(Findings& findings);

}  // namespace datamig
