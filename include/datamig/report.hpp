#pragma once
// What commands print on stdout, in the formats of SPEC §8. Logs go to stderr elsewhere.
#include <ostream>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "datamig/finding.hpp"
#include "datamig/rehearsal.hpp"
#include "datamig/runner.hpp"
#include "datamig/settings.hpp"
#include "datamig/status.hpp"

namespace datamig {

// A JSON document as every command prints it (SPEC §8), invalid UTF-8 replaced.
void print_json(std::ostream& out, const nlohmann::ordered_json& document);

void print_status(std::ostream& out, const std::vector<StatusEntry>& status, OutputFormat format, bool color);
void print_findings(std::ostream& out, const Findings& findings, OutputFormat format, std::size_t files_checked);

enum class Direction { up, down };
// The document of SPEC §8 for what migrate applied (and left partial) or rollback rolled back.
nlohmann::ordered_json outcomes_document(const std::vector<Outcome>& outcomes, Direction direction, bool dry_run);
// The migrations migrate applied or rollback rolled back (or, with dry_run, would).
void print_outcomes(std::ostream& out, const std::vector<Outcome>& outcomes, Direction direction, bool dry_run,
                    OutputFormat format);

// What migrate --rehearse found, per migration (SPEC §8 "rehearsed").
void print_rehearsals(std::ostream& out, const std::vector<Rehearsal>& rehearsals, OutputFormat format);
// The mark `pause` (or `resume`) left on a batch migration.
void print_mark(std::ostream& out, const std::string& version, bool paused, OutputFormat format);
// The decision `resolve` recorded for an interrupted migration.
void print_resolution(std::ostream& out, const std::string& version, bool applied, OutputFormat format);

}  // namespace datamig
