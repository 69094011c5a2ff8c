#include "datamig/status.hpp"

#include <catch2/catch.hpp>

#include "support/builders.hpp"

using datamig::HistoryRow;
using datamig::LoadedMigration;
using datamig::RowStatus;
using datamig::State;
using datamig::StatusEntry;

namespace {

const std::vector<std::string> phases = {"pre_sync", "post_sync"};

const StatusEntry& entry_for(const std::vector<StatusEntry>& status, const std::string& version) {
    const auto found = std::find_if(status.begin(), status.end(), [&](const auto& e) { return e.version == version; });
    REQUIRE(found != status.end());
    return *found;
}

}  // namespace

TEST_CASE("compute_status: applied and pending files", "[status]") {
    const std::vector<LoadedMigration> files = {datamig::test::loaded_sql("pre_sync", "20260101000000", "applied_one"),
                                                datamig::test::loaded_sql("pre_sync", "20260102000000", "pending_one")};
    const std::vector<HistoryRow> history = {datamig::test::row_of(files[0])};
    const auto status = datamig::compute_status(files, history, phases);
    REQUIRE(status.size() == 2);
    CHECK(status[0].state == State::applied);
    CHECK(status[0].row == &history[0]);
    CHECK(status[0].file == &files[0]);
    CHECK(status[0].kind == datamig::Kind::sql);
    CHECK(status[1].state == State::pending);
    CHECK(status[1].row == nullptr);
    CHECK(status[1].name == "pending_one");
    CHECK(status[1].phase == "pre_sync");
}

TEST_CASE("compute_status: a checksum that differs is changed", "[status]") {
    const std::vector<LoadedMigration> files = {datamig::test::loaded_sql("pre_sync", "20260101000000", "edited")};
    HistoryRow recorded = datamig::test::row_of(files[0]);
    recorded.checksum = "an older checksum";
    const std::vector<HistoryRow> history = {recorded};
    CHECK(datamig::compute_status(files, history, phases).at(0).state == State::changed);
}

TEST_CASE("compute_status: an applied row without a file is missing", "[status]") {
    const std::vector<LoadedMigration> files;
    const LoadedMigration gone = datamig::test::loaded_sql("post_sync", "20260101000000", "deleted");
    const std::vector<HistoryRow> history = {datamig::test::row_of(gone)};
    const auto status = datamig::compute_status(files, history, phases);
    REQUIRE(status.size() == 1);
    CHECK(status[0].state == State::missing);
    CHECK(status[0].name == "deleted");
    CHECK(status[0].phase == "post_sync");
    CHECK(status[0].file == nullptr);
    CHECK_FALSE(status[0].kind.has_value());
}

TEST_CASE("compute_status: running rows are running, or partial for batch migrations", "[status]") {
    const std::vector<LoadedMigration> files = {
        datamig::test::loaded_sql("pre_sync", "20260101000000", "plain"),
        datamig::test::loaded_exec("post_sync", "20260102000000", "enqueue"),
        datamig::test::loaded_sql("pre_sync", "20260103000000", "batched", datamig::BatchMode::range)};
    const LoadedMigration gone = datamig::test::loaded_exec("post_sync", "20260104000000", "gone");
    const std::vector<HistoryRow> history = {
        datamig::test::row_of(files[0], RowStatus::running), datamig::test::row_of(files[1], RowStatus::running),
        datamig::test::row_of(files[2], RowStatus::running), datamig::test::row_of(gone, RowStatus::running)};
    const auto status = datamig::compute_status(files, history, phases);
    CHECK(entry_for(status, "20260101000000").state == State::running);
    CHECK(entry_for(status, "20260102000000").state == State::running);
    CHECK(entry_for(status, "20260103000000").state == State::partial);
    CHECK(entry_for(status, "20260104000000").state == State::running);
}

TEST_CASE("is_resumable: batch SQL only", "[status]") {
    CHECK(
        datamig::is_resumable(datamig::test::loaded_sql("pre_sync", "20260101000000", "a", datamig::BatchMode::loop)));
    CHECK(
        datamig::is_resumable(datamig::test::loaded_sql("pre_sync", "20260101000000", "a", datamig::BatchMode::range)));
    CHECK_FALSE(datamig::is_resumable(datamig::test::loaded_sql("pre_sync", "20260101000000", "a")));
    CHECK_FALSE(datamig::is_resumable(datamig::test::loaded_exec("pre_sync", "20260101000000", "a")));
}

TEST_CASE("compute_status: adopted rows without checksum are applied, never changed", "[status]") {
    const std::vector<LoadedMigration> files = {datamig::test::loaded_sql("pre_sync", "20260101000000", "legacy")};
    const std::vector<HistoryRow> history = {datamig::test::adopted_row("20260101000000"),
                                             datamig::test::adopted_row("20200101000000")};
    const auto status = datamig::compute_status(files, history, phases);
    REQUIRE(status.size() == 2);
    CHECK(entry_for(status, "20260101000000").state == State::applied);
    const auto& without_file = entry_for(status, "20200101000000");
    CHECK(without_file.state == State::missing);
    CHECK(without_file.phase.empty());
    CHECK(without_file.name.empty());
}

TEST_CASE("compute_status orders by phase order, unknown phases last, then version", "[status]") {
    const std::vector<LoadedMigration> files = {datamig::test::loaded_sql("post_sync", "20260101000000", "early_post"),
                                                datamig::test::loaded_sql("pre_sync", "20260301000000", "late_pre"),
                                                datamig::test::loaded_sql("pre_sync", "20260201000000", "middle_pre")};
    HistoryRow retired_phase =
        datamig::test::row_of(datamig::test::loaded_sql("cleanup", "20250101000000", "old_phase"));
    const std::vector<HistoryRow> history = {
        datamig::test::adopted_row("20190101000000"), retired_phase,
        datamig::test::row_of(datamig::test::loaded_sql("post_sync", "20260102000000", "gone"))};
    const auto status = datamig::compute_status(files, history, phases);
    std::vector<std::string> order;
    for (const auto& entry : status) order.push_back(std::string(entry.phase) + ":" + std::string(entry.version));
    // Unknown phases ("cleanup" no longer configured, "" adopted) keep version order among themselves.
    CHECK(order == std::vector<std::string>{"pre_sync:20260201000000", "pre_sync:20260301000000",
                                            "post_sync:20260101000000", "post_sync:20260102000000", ":20190101000000",
                                            "cleanup:20250101000000"});
}

TEST_CASE("compute_status places rows without a file among files listed in order", "[status]") {
    using datamig::test::loaded_sql;
    using datamig::test::row_of;
    const std::vector<LoadedMigration> files = {loaded_sql("pre_sync", "20260101000000", "a"),
                                                loaded_sql("pre_sync", "20260301000000", "c"),
                                                loaded_sql("post_sync", "20260201000000", "b")};
    const std::vector<HistoryRow> history = {row_of(files[2]),
                                             row_of(loaded_sql("post_sync", "20260401000000", "gone_post")),
                                             row_of(loaded_sql("pre_sync", "20260215000000", "gone_pre")),
                                             row_of(files[0]), datamig::test::adopted_row("20190101000000")};
    const auto status = datamig::compute_status(files, history, phases);
    std::vector<std::string> order;
    for (const auto& entry : status) {
        order.push_back(std::string(entry.phase) + ":" + std::string(entry.version) + ":" +
                        std::string(to_string(entry.state)));
    }
    CHECK(order == std::vector<std::string>{"pre_sync:20260101000000:applied", "pre_sync:20260215000000:missing",
                                            "pre_sync:20260301000000:pending", "post_sync:20260201000000:applied",
                                            "post_sync:20260401000000:missing", ":20190101000000:missing"});
    CHECK(entry_for(status, "20260101000000").row->checksum == files[0].checksum);
    CHECK(entry_for(status, "20260215000000").row->name == "gone_pre");
}
