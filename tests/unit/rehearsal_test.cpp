#include "datamig/rehearsal.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/builders.hpp"
#include "support/memory_database.hpp"

using datamig::LoadedMigration;
using datamig::Rehearsal;
using datamig::test::MemoryDatabase;

namespace {

LoadedMigration sql_migration(const std::string& version, const std::string& up, bool transaction = true) {
    LoadedMigration migration = datamig::test::loaded_sql("pre_sync", version, "m" + version.substr(12));
    datamig::SqlScript script;
    script.up.sql = up;
    script.up.marker_line = 1;
    script.up.options.transaction = transaction;
    migration.script = std::make_shared<const datamig::SqlScript>(std::move(script));
    return migration;
}

}  // namespace

TEST_CASE("rehearse: each migration in a savepoint of one transaction that is rolled back", "[rehearsal]") {
    spdlog::default_logger()->set_level(spdlog::level::off);
    MemoryDatabase db;
    std::vector<std::string> statements;  // kept outside the memory database's rolled-back state
    db.rows_for = [&](const std::string& statement) -> std::int64_t {
        statements.push_back(statement);
        if (statement.find("broken") != std::string::npos) throw datamig::SqlError("syntax error", 1);
        return statement.rfind("UPDATE", 0) == 0 ? 4 : 0;
    };
    const std::vector<LoadedMigration> plan = {
        sql_migration("20260101000001", "UPDATE a SET x = 1;"),
        sql_migration("20260101000002", "UPDATE broken;"),
        sql_migration("20260101000003", "UPDATE c SET x = 1;", false),
        datamig::test::loaded_exec("post_sync", "20260101000004", "enqueue"),
        sql_migration("20260101000005", "UPDATE e SET x = 1;"),
    };
    const auto rehearsals = datamig::rehearse(db, datamig::Settings{}, plan, {});
    spdlog::default_logger()->set_level(spdlog::level::info);

    REQUIRE(rehearsals.size() == 5);
    CHECK(rehearsals[0].result == Rehearsal::Result::ok);
    CHECK(rehearsals[0].rows_affected == 4);
    CHECK_FALSE(rehearsals[0].verify.has_value());  // no verify query
    CHECK(rehearsals[1].result == Rehearsal::Result::failed);
    CHECK(rehearsals[1].error.value_or("").find("_m02.sql:2: syntax error") != std::string::npos);
    CHECK(rehearsals[2].result == Rehearsal::Result::not_rehearsed);
    CHECK(rehearsals[3].result == Rehearsal::Result::not_rehearsed);
    CHECK(rehearsals[4].result == Rehearsal::Result::ok);  // the failure did not stop the others
    // Nothing was recorded and nothing committed.
    CHECK(db.rows().empty());
    CHECK(db.events().empty());
    CHECK_FALSE(db.in_transaction());
    CHECK(std::count(statements.begin(), statements.end(), "SAVEPOINT datamig_rehearsal") == 3);
    CHECK(std::count(statements.begin(), statements.end(), "RELEASE SAVEPOINT datamig_rehearsal") == 2);
}

TEST_CASE("rehearse: a batch with batch_time runs without the statement limit a real run derives", "[rehearsal]") {
    spdlog::default_logger()->set_level(spdlog::level::off);
    MemoryDatabase db;
    std::vector<std::optional<std::chrono::milliseconds>> limits;
    db.rows_for = [&](const std::string& statement) -> std::int64_t {
        if (statement.rfind("UPDATE", 0) == 0) limits.push_back(db.statement_limit());
        return 0;
    };
    LoadedMigration batched = sql_migration("20260101000001", "UPDATE a SET x = 1 LIMIT :batch_size;");
    auto script = std::make_shared<datamig::SqlScript>(*batched.script);
    script->up.options.batch = datamig::BatchMode::loop;
    script->up.options.batch_time = std::chrono::milliseconds(100);
    batched.script = script;
    const auto rehearsals = datamig::rehearse(db, datamig::Settings{}, {batched}, {});
    spdlog::default_logger()->set_level(spdlog::level::info);

    REQUIRE(rehearsals.size() == 1);
    CHECK(rehearsals[0].result == Rehearsal::Result::ok);
    // SET LOCAL would outlive its savepoint and limit every later migration of the rehearsal.
    CHECK(limits.size() == 1);
    CHECK(limits == std::vector<std::optional<std::chrono::milliseconds>>{std::nullopt});
}

TEST_CASE("rehearsal results read as SPEC §8 writes them", "[rehearsal]") {
    CHECK(to_string(Rehearsal::Result::ok) == "ok");
    CHECK(to_string(Rehearsal::Result::failed) == "failed");
    CHECK(to_string(Rehearsal::Result::not_rehearsed) == "not-rehearsed");
}
