#include "datamig/version_lookup.hpp"

#include <catch2/catch.hpp>

#include "datamig/history.hpp"
#include "datamig/migration.hpp"

TEST_CASE("find_version finds a file or a history row by version, nullptr when absent", "[version_lookup]") {
    std::vector<datamig::MigrationFile> files(2);
    files[0].version = "20260101000000";
    files[1].version = "20260102000000";
    CHECK(datamig::find_version(files, "20260102000000") == &files[1]);
    CHECK(datamig::find_version(files, "20260103000000") == nullptr);

    std::vector<datamig::HistoryRow> rows(1);
    rows[0].version = "20260101000000";
    CHECK(datamig::find_version(rows, "20260101000000") == &rows[0]);
    CHECK(datamig::find_version(std::vector<datamig::HistoryRow>{}, "20260101000000") == nullptr);
}
