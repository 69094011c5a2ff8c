#pragma once
// The migrations tree on disk: phase folders, the files in them, and their loaded content.
// Listing reads directory entries only; content is read when a command needs it, once.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "datamig/finding.hpp"
#include "datamig/migration.hpp"

namespace datamig {

struct Catalog {
    std::vector<MigrationFile> files;  // valid names only, sorted by (phase order, version)
    Findings findings;                 // invalid names, stray files, duplicates, collisions
    // Every entry of the phase folders looked at, valid or not, ignored ones aside: what `check`
    // says it checked (SPEC §4), also when every file is invalid.
    std::size_t files_checked = 0;
};

// Lists `root/<phase>/` for every phase. A missing phase folder is an empty phase; a missing
// root is an InvalidInput error. Reports (as findings, never throws for them): names not of
// the SPEC §1 form, non-executable non-SQL files, anything but regular files (a named pipe would
// block whoever opened it; none is ever opened), symlinks leading outside the root or nowhere
// (also a phase folder that is a symlink loop), the same version twice in one phase
// (duplicate-version) and in two phases (phase-collision). Throws Stopped on SIGINT/SIGTERM.
Catalog list_migrations(const std::filesystem::path& root, const std::vector<std::string>& phases);

// A file's content, normalised, with its checksum and (SQL) parsed sections.
struct LoadedMigration {
    MigrationFile file;
    std::string checksum;  // sha256_hex(normalize_text(raw))
    // Set for valid SQL migrations loaded in full; copies share it. A pointer, so that the files
    // status and check hold by the thousand do not each carry room for a script.
    std::shared_ptr<const SqlScript> script;
    BatchMode batch = BatchMode::none;  // the up section's, for valid SQL migrations in any load
    Findings findings;                  // invalid UTF-8, parse errors, DDL warnings
};

// What a command keeps of a file. status and check hold every file of the tree until they
// print, and neither runs one: only migrate and rollback need the script.
enum class Load {
    full,      // the script and every finding
    findings,  // every finding, no script (check)
    summary,   // the errors but no warnings, no script (status compares checksums)
};

// Reads and parses one file. I/O errors become InvalidInput naming the file; SIGINT/SIGTERM
// become Stopped, here and in load_migrations.
LoadedMigration load_migration(MigrationFile file, Load load = Load::full);

// The fewest files worth a thread of their own: starting one costs 50-100 us and loading a file
// 5-10 us, so 128 files pay for their thread's start about ten times over. A tree of fewer than
// twice this loads on the calling thread.
inline constexpr std::size_t min_files_per_load_thread = 128;

// Loads files as load_migration does, in their order. status and check load the whole tree, and
// reading, checksumming and parsing thousands of files was most of their time: they load on up
// to one thread per core (8 at most), each taking a contiguous run of the files and opening them
// relative to their folder. When several files cannot be read, the error is the first one's in
// `files`, as when they are loaded one after another.
std::vector<LoadedMigration> load_migrations(std::vector<MigrationFile> files, Load load);

// The findings of every file, in order.
Findings findings_of(const std::vector<LoadedMigration>& files);

}  // namespace datamig
