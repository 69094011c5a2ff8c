#pragma once
// A problem found in the migrations tree or the history table. `check` collects every finding
// before it decides; `migrate` and `status` refuse to run when any is an error.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace datamig {

enum class Severity { error, warning };

struct Finding {
    Severity severity = Severity::error;
    std::string file;  // path as shown to the user ("" when the finding is about the database)
    int line = 0;      // 1-based; 0 when no line applies
    std::string code;  // stable kebab-case identifier, listed in docs/usage.md
    std::string message;
};

using Findings = std::vector<Finding>;

bool has_errors(const Findings& findings);

// "file:line: message" (or without line/file when unknown), for logs and error messages.
std::string describe(const Finding& finding);

// The most errors require_no_errors lists: a tree of 400 invalid files should not print 400 lines.
inline constexpr std::size_t max_listed_errors = 20;

// Throws InvalidInput listing the error findings ("path:line: message", one per line) after
// `what` ("invalid migrations tree"), when there are any: the first max_listed_errors of them,
// then how many more there are (check lists them all).
void require_no_errors(const Findings& findings, const std::string& what);

// Logs one line saying how many warnings `findings` holds ("3 warnings <where>; run datamig
// check to see them"), nothing when there are none. Warnings are check's to list: migrate,
// rollback and status run anyway, and repeating every warning on every run buried what they
// had to say.
void log_warning_count(const Findings& findings, std::string_view where);

}  // namespace datamig
