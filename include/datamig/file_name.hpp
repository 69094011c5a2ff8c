#pragma once
// Migration file names "<version>_<name>.<ext>" (SPEC §1): reading them, and making the name
// part from what a user types to `generate`. Pure functions on text.
#include <optional>
#include <string>
#include <string_view>

namespace datamig {

// The parts of a file name "<version>_<name>.<ext>".
struct FileName {
    std::string version;    // exactly 14 digits, a valid UTC date-time
    std::string name;       // [A-Za-z0-9_-]+
    std::string extension;  // without the dot, may be empty
};

// Why a file name is no migration's: `check`'s finding code and a sentence for the user.
struct FileNameProblem {
    std::string code;  // "invalid-version" (no UTC date-time) or "invalid-name" (anything else)
    std::string message;
};

// Splits and validates a migration file name. Returns nullopt and sets `problem` when the name
// is not of the SPEC §1 form or the version is no UTC date-time. Capitals and hyphens in the
// name are accepted: existing dbmate projects use them.
std::optional<FileName> parse_file_name(std::string_view file_name, FileNameProblem& problem);

// True for a 14-digit string that is a real UTC date-time (month 1-12, day within month...).
bool is_valid_version(std::string_view version);

// "BackfillUserRoles", "backfill user-roles" -> "backfill_user_roles": `generate` always writes
// snake_case. Throws UsageError for names that contain anything but letters, digits, spaces,
// dashes and underscores, or are empty.
std::string to_snake_case(std::string_view name);

}  // namespace datamig
