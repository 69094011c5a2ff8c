#include "datamig/finding.hpp"

#include <algorithm>

namespace datamig {

bool has_errors(const Findings& findings) {
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding& finding) { return finding.severity == Severity::error; });
}

std::string describe(const Finding& finding) {
    std::string location = finding.file;
    if (finding.line > 0) {
        location += (location.empty() ? "line " : ":") + std::to_string(finding.line);
    }
    return location.empty() ? finding.message : location + ": " + finding.message;
}

}  // namespace datamig
