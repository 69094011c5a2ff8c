#include "datamig/report.hpp"

#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

using datamig::Finding;
using datamig::HistoryRow;
using datamig::LoadedMigration;
using datamig::OutputFormat;
using datamig::Severity;
using nlohmann::json;

namespace {

const std::vector<std::string> phases = {"pre_sync", "post_sync"};

LoadedMigration file(const std::string& phase, const std::string& version, const std::string& name,
                     datamig::Kind kind) {
    LoadedMigration loaded;
    loaded.file = {version, name, phase, phase + "/" + version + "_" + name, kind};
    loaded.checksum = "sum-" + version;
    if (kind == datamig::Kind::sql) loaded.script = std::make_shared<const datamig::SqlScript>();
    return loaded;
}

HistoryRow applied_row(const LoadedMigration& migration) {
    HistoryRow row;
    row.version = migration.file.version;
    row.phase = migration.file.phase;
    row.name = migration.file.name;
    row.checksum = migration.checksum;
    row.started_at = "2026-01-01T10:00:00.000000Z";
    row.finished_at = "2026-01-01T10:00:01.500000Z";
    row.duration_ms = 1500;
    row.operator_name = "ops-bot";
    return row;
}

// ordered_json keeps the printed key order, which is what these tests compare.
nlohmann::ordered_json parse(const std::string& text) { return nlohmann::ordered_json::parse(text); }

std::vector<std::string> keys_of(const nlohmann::ordered_json& object) {
    std::vector<std::string> keys;
    for (const auto& item : object.items()) keys.push_back(item.key());
    return keys;
}

const std::vector<std::string> status_keys = {"version",    "name",        "phase",    "kind",    "state",
                                              "applied_at", "duration_ms", "operator", "checksum"};

}  // namespace

TEST_CASE("print_status JSON has the keys of SPEC §8 and the counts", "[report]") {
    const std::vector<LoadedMigration> files = {file("pre_sync", "20260101000000", "backfill", datamig::Kind::sql),
                                                file("post_sync", "20260102000000", "enqueue", datamig::Kind::exec)};
    HistoryRow legacy;
    legacy.version = "20200101000000";
    const std::vector<HistoryRow> history = {applied_row(files[0]), legacy};
    const auto status = datamig::compute_status(files, history, phases);

    std::ostringstream out;
    datamig::print_status(out, status, OutputFormat::json, false);
    const auto document = parse(out.str());
    CHECK(keys_of(document) == std::vector<std::string>{"migrations", "pending", "applied"});
    CHECK(document["pending"] == 1);
    CHECK(document["applied"] == 2);  // the adopted row without a file still counts as applied
    REQUIRE(document["migrations"].size() == 3);
    for (const auto& entry : document["migrations"]) CHECK(keys_of(entry) == status_keys);

    const auto& applied = document["migrations"][0];
    CHECK(applied["version"] == "20260101000000");
    CHECK(applied["name"] == "backfill");
    CHECK(applied["phase"] == "pre_sync");
    CHECK(applied["kind"] == "sql");
    CHECK(applied["state"] == "applied");
    CHECK(applied["applied_at"] == "2026-01-01T10:00:01.500000Z");
    CHECK(applied["duration_ms"] == 1500);
    CHECK(applied["operator"] == "ops-bot");
    CHECK(applied["checksum"] == "sum-20260101000000");

    const auto& pending = document["migrations"][1];
    CHECK(pending["kind"] == "exec");
    CHECK(pending["state"] == "pending");
    CHECK(pending["applied_at"].is_null());
    CHECK(pending["duration_ms"].is_null());
    CHECK(pending["operator"].is_null());
    CHECK(pending["checksum"] == "sum-20260102000000");

    const auto& adopted = document["migrations"][2];
    CHECK(adopted["version"] == "20200101000000");
    CHECK(adopted["state"] == "missing");
    CHECK(adopted["name"].is_null());
    CHECK(adopted["phase"].is_null());
    CHECK(adopted["kind"].is_null());
    CHECK(adopted["checksum"].is_null());
}

TEST_CASE("print_status text: one line per migration and a summary", "[report]") {
    const std::vector<LoadedMigration> files = {file("pre_sync", "20260101000000", "backfill", datamig::Kind::sql),
                                                file("pre_sync", "20260102000000", "later", datamig::Kind::sql)};
    HistoryRow edited = applied_row(files[0]);
    edited.checksum = "old";
    const std::vector<HistoryRow> history = {edited};
    std::ostringstream out;
    datamig::print_status(out, datamig::compute_status(files, history, phases), OutputFormat::text, false);
    CHECK_THAT(out.str(), Catch::Contains("20260101000000  changed  2026-01-01 10:00:01  backfill\n"));
    CHECK_THAT(out.str(), Catch::EndsWith("\n1 applied, 1 pending, 1 changed\n"));
    CHECK(out.str().find('\033') == std::string::npos);
}

TEST_CASE("print_findings JSON splits errors and warnings with the keys of SPEC §8", "[report]") {
    const datamig::Findings findings = {{Severity::error, "pre_sync/a.sql", 3, "unknown-option", "bad option"},
                                        {Severity::warning, "", 0, "running-row", "interrupted"}};
    std::ostringstream out;
    datamig::print_findings(out, findings, OutputFormat::json, 2);
    const auto document = parse(out.str());
    CHECK(keys_of(document) == std::vector<std::string>{"errors", "warnings"});
    REQUIRE(document["errors"].size() == 1);
    REQUIRE(document["warnings"].size() == 1);
    const auto& error = document["errors"][0];
    CHECK(keys_of(error) == std::vector<std::string>{"file", "line", "code", "message"});
    CHECK(error["file"] == "pre_sync/a.sql");
    CHECK(error["line"] == 3);
    CHECK(error["code"] == "unknown-option");
    CHECK(error["message"] == "bad option");
    CHECK(document["warnings"][0]["code"] == "running-row");

    std::ostringstream clean;
    datamig::print_findings(clean, {}, OutputFormat::json, 0);
    CHECK(json::parse(clean.str()) == json{{"errors", json::array()}, {"warnings", json::array()}});
}

TEST_CASE("print_findings github: one workflow command per finding, escaped", "[report]") {
    const datamig::Findings findings = {
        {Severity::error, "pre_sync/a,b:c.sql", 3, "unknown-option", "100% wrong: here\nand here"},
        {Severity::warning, "post_sync/x.sql", 0, "ddl-statement", "DDL, really"},
        {Severity::warning, "", 0, "running-row", "interrupted"}};
    std::ostringstream out;
    datamig::print_findings(out, findings, OutputFormat::github, 2);
    CHECK(out.str() ==
          "::error file=pre_sync/a%2Cb%3Ac.sql,line=3::100%25 wrong: here%0Aand here (unknown-option)\n"
          "::warning file=post_sync/x.sql,line=1::DDL, really (ddl-statement)\n"
          "::warning::interrupted (running-row)\n");
}

TEST_CASE("print_findings text ends with a count", "[report]") {
    const datamig::Findings findings = {{Severity::error, "pre_sync/a.sql", 3, "unknown-option", "bad option"}};
    std::ostringstream out;
    datamig::print_findings(out, findings, OutputFormat::text, 4);
    CHECK(out.str() ==
          "pre_sync/a.sql: error: line 3: bad option [unknown-option]\n4 files checked: 1 error, 0 warnings\n");
}

namespace {

datamig::Outcome outcome_of(const char* version, const char* phase, const char* name, std::int64_t ms,
                            std::optional<std::int64_t> rows, std::optional<datamig::BatchStats> batches = {}) {
    datamig::Outcome outcome = datamig::Outcome::of({version, name, phase, "", datamig::Kind::sql}, ms, rows);
    outcome.batches = batches;
    return outcome;
}

}  // namespace

TEST_CASE("print_outcomes JSON: applied or rolled_back, and dry_run", "[report]") {
    const std::vector<datamig::Outcome> outcomes = {
        outcome_of("20260101000000", "pre_sync", "backfill", 12, 5),
        outcome_of("20260102000000", "post_sync", "enqueue", 30, std::nullopt),
        outcome_of("20260103000000", "post_sync", "batched", 40, 9,
                   datamig::BatchStats{3, 1, std::chrono::milliseconds(2500), std::nullopt})};
    std::ostringstream applied;
    datamig::print_outcomes(applied, outcomes, datamig::Direction::up, false, OutputFormat::json);
    const auto up = parse(applied.str());
    CHECK(keys_of(up) == std::vector<std::string>{"applied", "partial", "dry_run"});
    CHECK(up["partial"].empty());
    CHECK(up["dry_run"] == false);
    REQUIRE(up["applied"].size() == 3);
    CHECK(keys_of(up["applied"][0]) ==
          std::vector<std::string>{"version", "phase", "name", "duration_ms", "rows_affected"});
    CHECK(up["applied"][0]["rows_affected"] == 5);
    CHECK(up["applied"][0]["duration_ms"] == 12);
    CHECK(up["applied"][1]["rows_affected"].is_null());
    CHECK(up["applied"][1]["name"] == "enqueue");
    // Batched migrations also say how their batches went (SPEC §8).
    CHECK(keys_of(up["applied"][2]) == std::vector<std::string>{"version", "phase", "name", "duration_ms",
                                                                "rows_affected", "batches", "retries", "throttled_ms"});
    CHECK(up["applied"][2]["batches"] == 3);
    CHECK(up["applied"][2]["retries"] == 1);
    CHECK(up["applied"][2]["throttled_ms"] == 2500);

    std::ostringstream planned;
    datamig::print_outcomes(planned, {}, datamig::Direction::down, true, OutputFormat::json);
    CHECK(json::parse(planned.str()) == json{{"rolled_back", json::array()}, {"dry_run", true}});
}

TEST_CASE("print_outcomes text", "[report]") {
    const std::vector<datamig::Outcome> outcomes = {outcome_of("20260101000000", "pre_sync", "backfill", 12, 5)};
    std::ostringstream out;
    datamig::print_outcomes(out, outcomes, datamig::Direction::down, true, OutputFormat::text);
    CHECK(out.str() == "would roll back  pre_sync/20260101000000_backfill  5 rows\n");
    std::ostringstream nothing;
    datamig::print_outcomes(nothing, {}, datamig::Direction::up, false, OutputFormat::text);
    CHECK(nothing.str() == "nothing to migrate\n");
}

TEST_CASE("print_outcomes text aligns durations and row counts", "[report]") {
    const std::vector<datamig::Outcome> outcomes = {
        outcome_of("20260101000000", "pre_sync", "backfill_roles", 3, 4,
                   datamig::BatchStats{2, 0, std::chrono::milliseconds(0), std::nullopt}),
        outcome_of("20260101000001", "post_sync", "enqueue", 53, std::nullopt)};
    std::ostringstream out;
    datamig::print_outcomes(out, outcomes, datamig::Direction::up, false, OutputFormat::text);
    CHECK(out.str() ==
          "applied  pre_sync/20260101000000_backfill_roles       3ms  4 rows in 2 batches\n"
          "applied  post_sync/20260101000001_enqueue            53ms\n");
}

TEST_CASE("print_status text colours each state when asked to (a terminal)", "[report]") {
    const std::vector<LoadedMigration> files = {file("pre_sync", "20260101000000", "backfill", datamig::Kind::sql),
                                                file("pre_sync", "20260102000000", "later", datamig::Kind::sql)};
    const std::vector<HistoryRow> history = {applied_row(files[0])};
    std::ostringstream out;
    datamig::print_status(out, datamig::compute_status(files, history, phases), OutputFormat::text, true);
    CHECK_THAT(out.str(), Catch::Contains("\033[32mapplied\033[0m"));
    CHECK_THAT(out.str(), Catch::Contains("\033[33mpending\033[0m"));
}

TEST_CASE("print_resolution says what resolve decided, as text or JSON", "[report]") {
    std::ostringstream text;
    datamig::print_resolution(text, "20260101000000", true, OutputFormat::text);
    CHECK(text.str() == "resolved 20260101000000 as applied\n");
    std::ostringstream as_json;
    datamig::print_resolution(as_json, "20260101000000", false, OutputFormat::json);
    const auto document = parse(as_json.str());
    CHECK(document["resolved"] == "20260101000000");
    CHECK(document["as"] == "pending");
}

TEST_CASE("print_outcomes: a migration left partial is listed under partial with its reason", "[report]") {
    auto partial = outcome_of("20260104000000", "post_sync", "backfill", 900, 12000,
                              datamig::BatchStats{12, 0, std::chrono::milliseconds(0), std::nullopt});
    partial.batch_cursor = "12001";
    partial.partial = datamig::PartialReason::time_budget;
    const std::vector<datamig::Outcome> outcomes = {outcome_of("20260101000000", "pre_sync", "backfill", 12, 5),
                                                    partial};
    std::ostringstream json_out;
    datamig::print_outcomes(json_out, outcomes, datamig::Direction::up, false, OutputFormat::json);
    const auto document = parse(json_out.str());
    REQUIRE(document["applied"].size() == 1);
    REQUIRE(document["partial"].size() == 1);
    CHECK(keys_of(document["partial"][0]) ==
          std::vector<std::string>{"version", "phase", "name", "rows_affected", "batch_cursor", "reason"});
    CHECK(document["partial"][0]["reason"] == "time-budget");
    CHECK(document["partial"][0]["batch_cursor"] == "12001");

    std::ostringstream text;
    datamig::print_outcomes(text, outcomes, datamig::Direction::up, false, OutputFormat::text);
    CHECK(text.str() ==
          "applied  pre_sync/20260101000000_backfill       12ms  5 rows\n"
          "partial  post_sync/20260104000000_backfill     900ms  12000 rows in 12 batches (time-budget; the next "
          "migrate resumes it)\n");
}

TEST_CASE("print_mark: what pause and resume did", "[report]") {
    std::ostringstream text;
    datamig::print_mark(text, "20260101000000", true, OutputFormat::text);
    CHECK(text.str() == "paused 20260101000000\n");
    std::ostringstream json_out;
    datamig::print_mark(json_out, "20260101000000", false, OutputFormat::json);
    CHECK(parse(json_out.str())["resumed"] == "20260101000000");
}
