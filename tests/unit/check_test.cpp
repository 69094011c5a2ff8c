#include "datamig/check.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/builders.hpp"
#include "support/temp_dir.hpp"

using datamig::Finding;
using datamig::Findings;
using datamig::HistoryRow;
using datamig::LoadedMigration;
using datamig::RowStatus;
using datamig::Severity;
using datamig::test::TempDir;

namespace {

const std::vector<std::string> phases = {"pre_sync", "post_sync"};

std::vector<std::string> codes(const Findings& findings) {
    std::vector<std::string> result;
    for (const auto& finding : findings) result.push_back(finding.code);
    return result;
}

const Finding& with_code(const Findings& findings, const std::string& code) {
    const auto found = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.code == code; });
    REQUIRE(found != findings.end());
    return *found;
}

Findings history_findings(const std::vector<LoadedMigration>& files, const std::vector<HistoryRow>& history) {
    return datamig::check_history(datamig::compute_status(files, history, phases));
}

}  // namespace

TEST_CASE("check_tree gathers the catalog's and every file's findings", "[check]") {
    const Findings catalog_findings = {{Severity::error, "pre_sync/bad.sql", 0, "invalid-name", "bad name"}};
    std::vector<LoadedMigration> files = {datamig::test::loaded_sql("pre_sync", "20260101000000", "a"),
                                          datamig::test::loaded_sql("post_sync", "20260102000000", "b")};
    files[0].findings.push_back({Severity::warning, "a.sql", 2, "ddl-statement", "DDL"});
    files[1].findings.push_back({Severity::error, "b.sql", 1, "missing-up", "no up"});
    CHECK(codes(datamig::check_tree(catalog_findings, files, std::nullopt)) ==
          std::vector<std::string>{"invalid-name", "ddl-statement", "missing-up"});
}

TEST_CASE("check_tree --schema-dir: versions and names used by schema migrations are errors", "[check]") {
    TempDir schema;
    datamig::test::write_file(schema.path() / "20260101000000_create_users.sql", "");
    datamig::test::write_file(schema.path() / "nested" / "20250101000000_backfill_roles.rb", "");
    datamig::test::write_file(schema.path() / "README.md", "");
    const std::vector<LoadedMigration> files = {
        datamig::test::loaded_sql("pre_sync", "20260101000000", "fill_users"),
        datamig::test::loaded_sql("post_sync", "20260301000000", "backfill_roles"),
        datamig::test::loaded_sql("post_sync", "20260302000000", "unrelated")};

    const Findings findings = datamig::check_tree({}, files, schema.path());
    REQUIRE(findings.size() == 2);
    const Finding& version = with_code(findings, "schema-version-collision");
    CHECK(version.severity == Severity::error);
    CHECK(version.file == files[0].file.path);
    CHECK_THAT(version.message, Catch::Contains("20260101000000_create_users.sql"));
    const Finding& name = with_code(findings, "schema-name-collision");
    CHECK(name.severity == Severity::error);
    CHECK(name.file == files[1].file.path);
    CHECK_THAT(name.message, Catch::Contains("20250101000000_backfill_roles.rb"));
}

TEST_CASE("check_tree --schema-dir must be a directory", "[check]") {
    TempDir root;
    CHECK_THROWS_AS(datamig::check_tree({}, {}, root.path() / "nope"), datamig::InvalidInput);
}

TEST_CASE("check_history: nothing to say when tree and table agree", "[check]") {
    const std::vector<LoadedMigration> files = {datamig::test::loaded_sql("pre_sync", "20260101000000", "a"),
                                                datamig::test::loaded_sql("pre_sync", "20260102000000", "b")};
    CHECK(history_findings(files, {datamig::test::row_of(files[0])}).empty());
}

TEST_CASE("check_history warns about checksum drift", "[check]") {
    const std::vector<LoadedMigration> files = {datamig::test::loaded_sql("pre_sync", "20260101000000", "a")};
    HistoryRow edited = datamig::test::row_of(files[0]);
    edited.checksum = "recorded-sum";
    const Findings findings = history_findings(files, {edited});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].code == "checksum-drift");
    CHECK(findings[0].severity == Severity::warning);
    CHECK(findings[0].file == files[0].file.path);
    CHECK_THAT(findings[0].message, Catch::Contains("recorded-sum"));
}

TEST_CASE("check_history warns about applied rows without files, but not adopted ones", "[check]") {
    const LoadedMigration gone = datamig::test::loaded_sql("post_sync", "20260101000000", "gone");
    HistoryRow adopted;
    adopted.version = "20200101000000";
    const Findings findings = history_findings({}, {datamig::test::row_of(gone), adopted});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].code == "missing-file");
    CHECK(findings[0].severity == Severity::warning);
    CHECK(findings[0].file.empty());
    CHECK_THAT(findings[0].message, Catch::Contains("20260101000000") && Catch::Contains("post_sync/gone"));
}

TEST_CASE("check_history warns about running rows, with or without a file", "[check]") {
    const std::vector<LoadedMigration> files = {datamig::test::loaded_sql("pre_sync", "20260101000000", "a")};
    const LoadedMigration gone = datamig::test::loaded_sql("post_sync", "20260102000000", "gone");
    const Findings findings = history_findings(
        files, {datamig::test::row_of(files[0], RowStatus::running), datamig::test::row_of(gone, RowStatus::running)});
    CHECK(codes(findings) == std::vector<std::string>{"running-row", "running-row"});
    CHECK_THAT(findings[0].message, Catch::Contains("datamig resolve"));
}

TEST_CASE("check_history warns about pending migrations older than the newest applied of their phase", "[check]") {
    const std::vector<LoadedMigration> files = {
        datamig::test::loaded_sql("pre_sync", "20260101000000", "merged_late"),
        datamig::test::loaded_sql("pre_sync", "20260102000000", "applied"),
        datamig::test::loaded_sql("pre_sync", "20260103000000", "newer_pending"),
        datamig::test::loaded_sql("post_sync", "20250101000000", "other_phase_pending")};
    const Findings findings = history_findings(files, {datamig::test::row_of(files[1])});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].code == "out-of-order");
    CHECK(findings[0].file == files[0].file.path);
    CHECK_THAT(findings[0].message, Catch::Contains("20260101000000") && Catch::Contains("20260102000000"));
}

TEST_CASE("make_strict turns warnings into errors", "[check]") {
    Findings findings = {{Severity::warning, "a.sql", 3, "ddl-statement", "DDL"},
                         {Severity::error, "b.sql", 0, "missing-up", "no up"}};
    CHECK_FALSE(datamig::has_errors({findings[0]}));
    datamig::make_strict(findings);
    CHECK(findings[0].severity == Severity::error);
    CHECK(findings[1].severity == Severity::error);
    CHECK(findings[0].code == "ddl-statement");
}
