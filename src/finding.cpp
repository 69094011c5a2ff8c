#include "datamig/finding.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/error.hpp"

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

void require_no_errors(const Findings& findings, const std::string& what) {
    if (!has_errors(findings)) return;
    std::string message = what + ":";
    std::size_t errors = 0;
    for (const Finding& finding : findings) {
        if (finding.severity != Severity::error) continue;
        if (++errors <= max_listed_errors) message += "\n  " + describe(finding);
    }
    if (errors > max_listed_errors) {
        message += fmt::format("\n  … and {} more (run datamig check)", errors - max_listed_errors);
    }
    throw InvalidInput(message);
}

void log_warning_count(const Findings& findings, std::string_view where) {
    const auto is_warning = [](const Finding& finding) { return finding.severity == Severity::warning; };
    const auto warnings = static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(), is_warning));
    if (warnings == 0) return;
    spdlog::warn("{} warning{} {}; run datamig check to see {}", warnings, warnings == 1 ? "" : "s", where,
                 warnings == 1 ? "it" : "them");
}

}  // namespace datamig
