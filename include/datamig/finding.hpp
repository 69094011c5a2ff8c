#pragma once
// A problem found in the migrations tree or the history table. `check` collects every finding
// before it decides; `migrate` and `status` refuse to run when any is an error.
#include <string>
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

}  // namespace datamig
