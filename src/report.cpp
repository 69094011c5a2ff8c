#include "datamig/report.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "datamig/duration.hpp"
#include "datamig/summary.hpp"

namespace datamig {
namespace {

using nlohmann::ordered_json;

ordered_json optional_json(const std::optional<std::string>& value) {
    return value ? ordered_json(*value) : ordered_json();
}
ordered_json optional_json(const std::optional<std::int64_t>& value) {
    return value ? ordered_json(*value) : ordered_json();
}

std::string applied_at(const StatusEntry& entry) {
    if (!entry.row) return "";
    return entry.row->finished_at.empty() ? entry.row->started_at : entry.row->finished_at;
}

bool counts_as_applied(State state) {
    return state == State::applied || state == State::changed || state == State::missing;
}

const char* state_color(State state) {
    switch (state) {
        case State::applied: return "\033[32m";
        case State::pending: return "\033[33m";
        case State::partial:
        case State::paused: return "\033[36m";
        case State::running:
        case State::changed:
        case State::missing: return "\033[31m";
    }
    return "";
}

// "2026-11-22T09:31:02.123456Z" -> "2026-11-22 09:31:02": seconds are precise enough to read.
std::string readable_time(const std::string& iso) {
    if (iso.size() < 19) return iso;
    std::string shown = iso.substr(0, 19);
    shown[10] = ' ';
    return shown;
}

// GitHub workflow commands need these characters escaped (data and properties differ).
std::string github_escape(const std::string& text, bool property) {
    std::string escaped;
    for (const char c : text) {
        switch (c) {
            case '%': escaped += "%25"; break;
            case '\r': escaped += "%0D"; break;
            case '\n': escaped += "%0A"; break;
            case ':': escaped += property ? "%3A" : ":"; break;
            case ',': escaped += property ? "%2C" : ","; break;
            default: escaped += c;
        }
    }
    return escaped;
}

ordered_json finding_json(const Finding& finding) {
    return {{"file", finding.file}, {"line", finding.line}, {"code", finding.code}, {"message", finding.message}};
}

ordered_json status_document(const std::vector<StatusEntry>& status, long pending, long applied) {
    ordered_json migrations = ordered_json::array();
    for (const auto& entry : status) {
        const std::optional<std::string> checksum = entry.file  ? std::optional<std::string>(entry.file->checksum)
                                                    : entry.row ? entry.row->checksum
                                                                : std::nullopt;
        const std::string when = applied_at(entry);
        migrations.push_back({{"version", entry.version},
                              {"name", entry.name.empty() ? ordered_json() : ordered_json(entry.name)},
                              {"phase", entry.phase.empty() ? ordered_json() : ordered_json(entry.phase)},
                              {"kind", entry.kind ? ordered_json(to_string(*entry.kind)) : ordered_json()},
                              {"state", to_string(entry.state)},
                              {"applied_at", when.empty() ? ordered_json() : ordered_json(when)},
                              {"duration_ms", optional_json(entry.row ? entry.row->duration_ms : std::nullopt)},
                              {"operator", entry.row ? ordered_json(entry.row->operator_name) : ordered_json()},
                              {"checksum", optional_json(checksum)}});
    }
    return {{"migrations", migrations}, {"pending", pending}, {"applied", applied}};
}

}  // namespace

void print_json(std::ostream& out, const ordered_json& document) {
    out << document.dump(2, ' ', false, ordered_json::error_handler_t::replace) << '\n';
}

void print_status(std::ostream& out, const std::vector<StatusEntry>& status, OutputFormat format, bool color) {
    const auto pending =
        std::count_if(status.begin(), status.end(), [](const StatusEntry& e) { return e.state == State::pending; });
    const auto applied =
        std::count_if(status.begin(), status.end(), [](const StatusEntry& e) { return counts_as_applied(e.state); });
    const ordered_json document = status_document(status, pending, applied);
    remember_document(document);
    if (format == OutputFormat::json) {
        print_json(out, document);
        return;
    }
    if (status.empty()) {
        out << "no migrations yet: create one with `datamig generate NAME`\n";
        return;
    }
    std::size_t phase_width = 5;
    for (const auto& entry : status) phase_width = std::max(phase_width, entry.phase.size());
    out << fmt::format("{:<{}}  {:<14}  {:<7}  {:<19}  {}\n", "PHASE", phase_width, "VERSION", "STATE", "APPLIED AT",
                       "NAME");
    for (const auto& entry : status) {
        const std::string state(to_string(entry.state));
        const std::string shown_state =
            color ? fmt::format("{}{:<7}\033[0m", state_color(entry.state), state) : fmt::format("{:<7}", state);
        out << fmt::format("{:<{}}  {:<14}  {}  {:<19}  {}\n", entry.phase.empty() ? "?" : entry.phase, phase_width,
                           entry.version, shown_state, readable_time(applied_at(entry)), entry.name);
    }
    out << fmt::format("\n{} applied, {} pending", applied, pending);
    for (const State state : {State::running, State::partial, State::paused, State::changed, State::missing}) {
        const auto count =
            std::count_if(status.begin(), status.end(), [state](const StatusEntry& e) { return e.state == state; });
        if (count > 0) out << fmt::format(", {} {}", count, to_string(state));
    }
    out << '\n';
}

void print_findings(std::ostream& out, const Findings& findings, OutputFormat format, std::size_t files_checked) {
    const auto errors =
        std::count_if(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
    const auto warnings = static_cast<long>(findings.size()) - errors;
    ordered_json document{{"errors", ordered_json::array()}, {"warnings", ordered_json::array()}};
    for (const auto& finding : findings) {
        document[finding.severity == Severity::error ? "errors" : "warnings"].push_back(finding_json(finding));
    }
    remember_document(document);
    switch (format) {
        case OutputFormat::json: print_json(out, document); return;
        case OutputFormat::github:
            for (const auto& finding : findings) {
                const char* level = finding.severity == Severity::error ? "error" : "warning";
                const std::string location =
                    finding.file.empty()
                        ? ""
                        : fmt::format(" file={},line={}", github_escape(finding.file, true), std::max(finding.line, 1));
                out << fmt::format("::{}{}::{} ({})\n", level, location, github_escape(finding.message, false),
                                   finding.code);
            }
            return;
        case OutputFormat::text:
            for (const auto& finding : findings) {
                out << fmt::format(
                    "{}: {}: {} [{}]\n", finding.file.empty() ? "database" : finding.file,
                    finding.severity == Severity::error ? "error" : "warning",
                    finding.line > 0 ? fmt::format("line {}: {}", finding.line, finding.message) : finding.message,
                    finding.code);
            }
            out << fmt::format("{} files checked: {} error{}, {} warning{}\n", files_checked, errors,
                               errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
            return;
    }
}

namespace {

ordered_json outcome_json(const Outcome& outcome) {
    ordered_json entry = {{"version", outcome.version},
                          {"phase", outcome.phase},
                          {"name", outcome.name},
                          {"duration_ms", outcome.duration_ms},
                          {"rows_affected", optional_json(outcome.rows_affected)}};
    if (outcome.batches) {
        entry["batches"] = outcome.batches->batches;
        entry["retries"] = outcome.batches->retries;
        entry["throttled_ms"] = outcome.batches->throttled.count();
    }
    return entry;
}

ordered_json partial_json(const Outcome& outcome) {
    return {{"version", outcome.version},
            {"phase", outcome.phase},
            {"name", outcome.name},
            {"rows_affected", optional_json(outcome.rows_affected)},
            {"batch_cursor", optional_json(outcome.batch_cursor)},
            {"reason", std::string(to_string(*outcome.partial))}};
}

}  // namespace

ordered_json outcomes_document(const std::vector<Outcome>& outcomes, Direction direction, bool dry_run) {
    ordered_json done = ordered_json::array();
    ordered_json partial = ordered_json::array();
    for (const auto& outcome : outcomes) {
        if (outcome.partial) {
            partial.push_back(partial_json(outcome));
        } else {
            done.push_back(outcome_json(outcome));
        }
    }
    if (direction == Direction::down) return {{"rolled_back", done}, {"dry_run", dry_run}};
    return {{"applied", done}, {"partial", partial}, {"dry_run", dry_run}};
}

void print_outcomes(std::ostream& out, const std::vector<Outcome>& outcomes, Direction direction, bool dry_run,
                    OutputFormat format) {
    const ordered_json document = outcomes_document(outcomes, direction, dry_run);
    remember_document(document);
    if (format == OutputFormat::json) {
        print_json(out, document);
        return;
    }
    const char* verb = direction == Direction::up ? (dry_run ? "would apply" : "applied")
                                                  : (dry_run ? "would roll back" : "rolled back");
    if (outcomes.empty()) {
        out << (direction == Direction::up ? "nothing to migrate\n" : "nothing to roll back\n");
        return;
    }
    std::vector<std::string> labels;
    std::size_t width = 0;
    for (const auto& outcome : outcomes) {
        labels.push_back(fmt::format("{}/{}_{}", outcome.phase, outcome.version, outcome.name));
        width = std::max(width, labels.back().size());
    }
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const Outcome& outcome = outcomes[i];
        std::string line = fmt::format("{}  {:<{}}", outcome.partial ? "partial" : verb, labels[i], width);
        if (!dry_run) line += fmt::format("  {:>6}ms", outcome.duration_ms);
        if (outcome.rows_affected) line += fmt::format("  {} rows", *outcome.rows_affected);
        if (const auto& batches = outcome.batches) {
            line += fmt::format(" in {} batch{}", batches->batches, batches->batches == 1 ? "" : "es");
            if (batches->retries > 0) line += fmt::format(", {} retried", batches->retries);
            if (batches->throttled.count() > 0) line += ", throttled " + format_duration(batches->throttled);
        }
        if (outcome.partial) line += fmt::format(" ({}; the next migrate resumes it)", to_string(*outcome.partial));
        // Padding is for the columns between entries, not for the end of the line.
        out << line.substr(0, line.find_last_not_of(' ') + 1) << '\n';
    }
}

void print_rehearsals(std::ostream& out, const std::vector<Rehearsal>& rehearsals, OutputFormat format) {
    ordered_json list = ordered_json::array();
    for (const auto& rehearsal : rehearsals) {
        ordered_json entry = {{"version", rehearsal.version},
                              {"phase", rehearsal.phase},
                              {"name", rehearsal.name},
                              {"result", std::string(to_string(rehearsal.result))},
                              {"rows_affected", optional_json(rehearsal.rows_affected)},
                              {"verify", rehearsal.verify ? ordered_json(*rehearsal.verify) : ordered_json()},
                              {"error", optional_json(rehearsal.error)}};
        if (rehearsal.key_range) {
            entry["key_range"] = *rehearsal.key_range;
            entry["estimated_batches"] = optional_json(rehearsal.estimated_batches);
        }
        list.push_back(std::move(entry));
    }
    const ordered_json document{{"rehearsed", list}};
    remember_document(document);
    if (format == OutputFormat::json) {
        print_json(out, document);
        return;
    }
    if (rehearsals.empty()) out << "nothing to rehearse\n";
    for (const auto& rehearsal : rehearsals) {
        const std::string label = fmt::format("{}/{}_{}", rehearsal.phase, rehearsal.version, rehearsal.name);
        switch (rehearsal.result) {
            case Rehearsal::Result::ok: {
                std::string line =
                    fmt::format("rehearsed      {}  {} rows", label, rehearsal.rows_affected.value_or(0));
                if (rehearsal.key_range) {
                    line += fmt::format(" in its first batch; {} keys, about {} batches", *rehearsal.key_range,
                                        rehearsal.estimated_batches.value_or(0));
                }
                if (rehearsal.verify) line += ", verify passed";
                out << line << '\n';
                break;
            }
            case Rehearsal::Result::failed:
                out << fmt::format("failed         {}  {}\n", label, *rehearsal.error);
                break;
            case Rehearsal::Result::not_rehearsed:
                out << fmt::format("not rehearsed  {}  ({})\n", label, *rehearsal.error);
                break;
        }
    }
}

void print_mark(std::ostream& out, const std::string& version, bool paused, OutputFormat format) {
    const ordered_json document{{paused ? "paused" : "resumed", version}};
    remember_document(document);
    if (format == OutputFormat::json) {
        print_json(out, document);
    } else {
        out << fmt::format("{} {}\n", paused ? "paused" : "resumed", version);
    }
}

void print_resolution(std::ostream& out, const std::string& version, bool applied, OutputFormat format) {
    const char* state = applied ? "applied" : "pending";
    const ordered_json document{{"resolved", version}, {"as", state}};
    remember_document(document);
    if (format == OutputFormat::json) {
        print_json(out, document);
    } else {
        out << fmt::format("resolved {} as {}\n", version, state);
    }
}

}  // namespace datamig
