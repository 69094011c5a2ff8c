#include "datamig/planner.hpp"

#include <catch2/catch.hpp>

#include "support/builders.hpp"

#include "datamig/error.hpp"

using datamig::Catalog;
using datamig::HistoryRow;
using datamig::MigrateRequest;
using datamig::MigrationFile;
using datamig::RollbackRequest;
using datamig::RowStatus;

namespace {

const std::vector<std::string> phases = {"pre_sync", "post_sync"};

MigrationFile file(const std::string& phase, const std::string& version, const std::string& name) {
    return {version, name, phase, "db/data_migrations/" + phase + "/" + version + "_" + name + ".sql",
            datamig::Kind::sql};
}

// As list_migrations returns it: phase order, then version.
Catalog tree() {
    return {{file("pre_sync", "20260301000000", "third_pre"), file("pre_sync", "20260302000000", "fourth_pre"),
             file("post_sync", "20260101000000", "first_post"), file("post_sync", "20260102000000", "second_post")},
            {}};
}

HistoryRow row(const std::string& phase, const std::string& version, const std::string& name,
               const std::string& finished_at = "2026-01-01T00:00:00.000000Z", RowStatus status = RowStatus::applied) {
    HistoryRow result;
    result.version = version;
    result.phase = phase;
    result.name = name;
    result.status = status;
    result.finished_at = finished_at;
    return result;
}

template <typename Item>
std::vector<std::string> versions(const std::vector<Item>& items) {
    std::vector<std::string> result;
    for (const auto& item : items) result.push_back(item.version);
    return result;
}

using Versions = std::vector<std::string>;

}  // namespace

TEST_CASE("plan_migrate: pending files in phase order, then version order", "[planner]") {
    const auto plan = datamig::plan_migrate(tree(), {}, phases, {});
    CHECK(versions(plan) == Versions{"20260301000000", "20260302000000", "20260101000000", "20260102000000"});
}

TEST_CASE("plan_migrate skips applied versions and plans running ones again (batches resume)", "[planner]") {
    const std::vector<HistoryRow> history = {row("pre_sync", "20260301000000", "third_pre"),
                                             row("post_sync", "20260101000000", "first_post", "", RowStatus::running)};
    MigrateRequest request;
    request.resumable = [](const MigrationFile& file) { return file.version == "20260101000000"; };
    CHECK(versions(datamig::plan_migrate(tree(), history, phases, request)) ==
          Versions{"20260302000000", "20260101000000", "20260102000000"});
}

TEST_CASE("plan_migrate refuses interrupted rows that do not resume, naming resolve", "[planner]") {
    std::vector<HistoryRow> history = {row("post_sync", "20260101000000", "first_post", "", RowStatus::running),
                                       row("post_sync", "20260199000000", "file_gone", "", RowStatus::running)};
    history[0].started_at = "2026-01-01T00:00:00.000000Z";
    try {
        datamig::plan_migrate(tree(), history, phases, {});
        FAIL("expected Blocked");
    } catch (const datamig::Blocked& error) {
        CHECK_THAT(error.what(), Catch::Contains("interrupted migrations must be settled first: 20260101000000 "
                                                 "post_sync/first_post (running since 2026-01-01T00:00:00.000000Z); "
                                                 "20260199000000 post_sync/file_gone"));
        CHECK_THAT(error.what(), Catch::Contains("datamig resolve VERSION --applied"));
    }
    MigrateRequest other_phase;  // only the phases of the run are blocked
    other_phase.phase = "pre_sync";
    CHECK(versions(datamig::plan_migrate(tree(), history, phases, other_phase)) ==
          Versions{"20260301000000", "20260302000000"});
}

TEST_CASE("plan_migrate --phase keeps one phase and refuses unknown phases", "[planner]") {
    MigrateRequest request;
    request.phase = "post_sync";
    CHECK(versions(datamig::plan_migrate(tree(), {}, phases, request)) == Versions{"20260101000000", "20260102000000"});
    request.phase = "cleanup";
    CHECK_THROWS_AS(datamig::plan_migrate(tree(), {}, phases, request), datamig::UsageError);
}

TEST_CASE("plan_migrate --only", "[planner]") {
    MigrateRequest request;
    SECTION("a pending version is the whole plan") {
        request.only = "20260101000000";
        CHECK(versions(datamig::plan_migrate(tree(), {}, phases, request)) == Versions{"20260101000000"});
    }
    SECTION("an applied version gives an empty plan") {
        request.only = "20260301000000";
        CHECK(datamig::plan_migrate(tree(), {row("pre_sync", "20260301000000", "third_pre")}, phases, request).empty());
    }
    SECTION("an unknown version is invalid input naming it") {
        request.only = "20990101000000";
        CHECK_THROWS_AS(datamig::plan_migrate(tree(), {}, phases, request), datamig::InvalidInput);
        CHECK_THROWS_WITH(datamig::plan_migrate(tree(), {}, phases, request),
                          Catch::Contains("--only") && Catch::Contains("20990101000000"));
    }
}

TEST_CASE("plan_migrate --target stops after that version, across phases", "[planner]") {
    MigrateRequest request;
    request.target = "20260101000000";
    CHECK(versions(datamig::plan_migrate(tree(), {}, phases, request)) ==
          Versions{"20260301000000", "20260302000000", "20260101000000"});
    request.target = "20260302000000";
    CHECK(versions(datamig::plan_migrate(tree(), {}, phases, request)) == Versions{"20260301000000", "20260302000000"});
    request.target = "20990101000000";
    CHECK_THROWS_AS(datamig::plan_migrate(tree(), {}, phases, request), datamig::InvalidInput);
}

TEST_CASE("plan_migrate --limit applies at most N pending", "[planner]") {
    MigrateRequest request;
    request.limit = 2;
    const std::vector<HistoryRow> history = {row("pre_sync", "20260301000000", "third_pre")};
    CHECK(versions(datamig::plan_migrate(tree(), history, phases, request)) ==
          Versions{"20260302000000", "20260101000000"});
    request.limit = 0;
    CHECK_THROWS_AS(datamig::plan_migrate(tree(), history, phases, request), datamig::UsageError);
}

TEST_CASE("plan_migrate refuses files whose version is recorded under another phase or name", "[planner]") {
    const std::vector<HistoryRow> history = {row("post_sync", "20260301000000", "third_pre"),  // other phase
                                             row("post_sync", "20260101000000", "renamed"),    // other name
                                             row("post_sync", "20260102000000", "second_post")};
    const Catalog catalog = tree();
    try {
        datamig::plan_migrate(catalog, history, phases, {});
        FAIL("expected a collision error");
    } catch (const datamig::InvalidInput& error) {
        const std::string message = error.what();
        CHECK_THAT(message, Catch::Contains(catalog.files[0].path));  // both collisions are listed
        CHECK_THAT(message, Catch::Contains(catalog.files[2].path));
        CHECK_THAT(message, Catch::Contains("post_sync/renamed"));
        CHECK_THAT(message, !Catch::Contains(catalog.files[3].path));
    }
    MigrateRequest other_phase;  // a collision anywhere refuses the whole run
    other_phase.phase = "post_sync";
    CHECK_THROWS_AS(datamig::plan_migrate(catalog, {history[0]}, phases, other_phase), datamig::InvalidInput);
}

TEST_CASE("plan_migrate: adopted legacy rows collide with nothing and count as applied", "[planner]") {
    const std::vector<HistoryRow> history = {datamig::test::adopted_row("20260301000000"),
                                             datamig::test::adopted_row("20260101000000")};
    CHECK(versions(datamig::plan_migrate(tree(), history, phases, {})) == Versions{"20260302000000", "20260102000000"});
}

TEST_CASE("plan_rollback: latest applied first, version breaking ties", "[planner]") {
    const std::vector<HistoryRow> history = {
        row("pre_sync", "20260301000000", "a", "2026-05-01T00:00:00.000001Z"),
        row("post_sync", "20260101000000", "b", "2026-05-01T00:00:00.000003Z"),  // applied last, lowest version
        row("post_sync", "20260102000000", "c", "2026-05-01T00:00:00.000002Z"),
        row("pre_sync", "20260302000000", "d", "2026-05-01T00:00:00.000002Z")};  // ties with c
    RollbackRequest request;
    request.steps = 10;
    CHECK(versions(datamig::plan_rollback(history, request)) ==
          Versions{"20260101000000", "20260302000000", "20260102000000", "20260301000000"});
    CHECK(versions(datamig::plan_rollback(history, {})) == Versions{"20260101000000"});  // one step by default
    request.steps = 2;
    CHECK(versions(datamig::plan_rollback(history, request)) == Versions{"20260101000000", "20260302000000"});
    request.steps = 0;
    CHECK_THROWS_AS(datamig::plan_rollback(history, request), datamig::UsageError);
}

TEST_CASE("plan_rollback ignores running and adopted rows and other phases", "[planner]") {
    const std::vector<HistoryRow> history = {row("pre_sync", "20260301000000", "a", "2026-05-01T00:00:00.000001Z"),
                                             row("post_sync", "20260101000000", "b", "2026-05-01T00:00:00.000002Z"),
                                             row("post_sync", "20260102000000", "c", "", RowStatus::running),
                                             datamig::test::adopted_row("20250101000000")};
    RollbackRequest request;
    request.steps = 10;
    CHECK(versions(datamig::plan_rollback(history, request)) == Versions{"20260101000000", "20260301000000"});
    request.phase = "pre_sync";
    CHECK(versions(datamig::plan_rollback(history, request)) == Versions{"20260301000000"});
}

TEST_CASE("plan_rollback --to rolls back what was applied after it and keeps it", "[planner]") {
    const std::vector<HistoryRow> history = {row("pre_sync", "20260101000000", "a", "2026-05-01T00:00:01.000000Z"),
                                             row("pre_sync", "20260102000000", "b", "2026-05-01T00:00:02.000000Z"),
                                             row("pre_sync", "20260103000000", "c", "2026-05-01T00:00:03.000000Z")};
    RollbackRequest request;
    request.to = "20260101000000";
    CHECK(versions(datamig::plan_rollback(history, request)) == Versions{"20260103000000", "20260102000000"});
    request.to = "20260103000000";
    CHECK(datamig::plan_rollback(history, request).empty());
    request.to = "20990101000000";
    CHECK_THROWS_AS(datamig::plan_rollback(history, request), datamig::InvalidInput);
}

TEST_CASE("plan_rollback --only picks one applied row", "[planner]") {
    const std::vector<HistoryRow> history = {row("pre_sync", "20260101000000", "a", "2026-05-01T00:00:01.000000Z"),
                                             row("pre_sync", "20260102000000", "b", "2026-05-01T00:00:02.000000Z"),
                                             row("pre_sync", "20260103000000", "c", "", RowStatus::running),
                                             datamig::test::adopted_row("20250101000000")};
    RollbackRequest request;
    request.only = "20260101000000";
    CHECK(versions(datamig::plan_rollback(history, request)) == Versions{"20260101000000"});
    SECTION("a running row is not applied") {
        request.only = "20260103000000";
        CHECK_THROWS_AS(datamig::plan_rollback(history, request), datamig::InvalidInput);
    }
    SECTION("an adopted row is refused: its migration is unknown") {
        request.only = "20250101000000";
        CHECK_THROWS_AS(datamig::plan_rollback(history, request), datamig::InvalidInput);
        CHECK_THROWS_WITH(datamig::plan_rollback(history, request), Catch::Contains("adopted"));
    }
    SECTION("a row of another phase is not found") {
        request.phase = "post_sync";
        CHECK_THROWS_WITH(datamig::plan_rollback(history, request), Catch::Contains("post_sync"));
    }
}

TEST_CASE("plan_rollback refuses more than one of --steps, --to and --only", "[planner]") {
    const std::vector<HistoryRow> history = {row("pre_sync", "20260101000000", "a")};
    RollbackRequest steps_and_to;
    steps_and_to.steps = 1;
    steps_and_to.to = "20260101000000";
    CHECK_THROWS_AS(datamig::plan_rollback(history, steps_and_to), datamig::UsageError);
    RollbackRequest to_and_only;
    to_and_only.to = "20260101000000";
    to_and_only.only = "20260101000000";
    CHECK_THROWS_AS(datamig::plan_rollback(history, to_and_only), datamig::UsageError);
    RollbackRequest steps_and_only;
    steps_and_only.steps = 1;
    steps_and_only.only = "20260101000000";
    CHECK_THROWS_AS(datamig::plan_rollback(history, steps_and_only), datamig::UsageError);
}

TEST_CASE("running_rows lists running rows of the phase (or all phases)", "[planner]") {
    const std::vector<HistoryRow> history = {
        row("pre_sync", "20260101000000", "a", "", RowStatus::running), row("pre_sync", "20260102000000", "b"),
        row("post_sync", "20260103000000", "c", "", RowStatus::running), datamig::test::adopted_row("20250101000000")};
    CHECK(versions(datamig::running_rows(history, std::nullopt)) == Versions{"20260101000000", "20260103000000"});
    CHECK(versions(datamig::running_rows(history, std::string("post_sync"))) == Versions{"20260103000000"});
    CHECK(datamig::running_rows({history[1], history[3]}, std::nullopt).empty());
}
