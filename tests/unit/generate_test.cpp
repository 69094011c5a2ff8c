#include "datamig/generate.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using datamig::GenerateRequest;
using datamig::test::TempDir;

namespace {

// 2026-11-22T09:30:00Z
const datamig::TimePoint now = datamig::TimePoint(std::chrono::seconds(1795339800));

class Project {
public:
    Project() {
        settings.dir = dir.path() / "db" / "data_migrations";
        fs::create_directories(settings.dir);
    }
    fs::path generate(const GenerateRequest& request) const {
        return datamig::generate_migration(settings, request, now);
    }

    TempDir dir;
    datamig::Settings settings;
};

GenerateRequest named(const std::string& name) {
    GenerateRequest request;
    request.name = name;
    return request;
}

}  // namespace

TEST_CASE("generate writes a SQL migration from the built-in template into the first phase", "[generate]") {
    Project project;
    const fs::path path = project.generate(named("BackfillUserRoles"));
    CHECK(path == project.settings.dir / "pre_sync" / "20261122093000_backfill_user_roles.sql");
    const std::string text = datamig::test::read_file(path);
    CHECK_THAT(text, Catch::StartsWith("-- backfill_user_roles (pre_sync), created by datamig generate."));
    CHECK_THAT(text, Catch::Contains("-- migrate:up\n") && Catch::Contains("-- migrate:down\n"));
    CHECK_THAT(text, !Catch::Contains("{{"));
    // No temporary file is left behind.
    CHECK(std::distance(fs::directory_iterator(path.parent_path()), fs::directory_iterator()) == 1);
}

TEST_CASE("generate --phase and the batch templates", "[generate]") {
    Project project;
    GenerateRequest request = named("reindex users");
    request.phase = "post_sync";
    request.batch = datamig::BatchMode::loop;
    const fs::path loop = project.generate(request);
    CHECK(loop == project.settings.dir / "post_sync" / "20261122093000_reindex_users.sql");
    const std::string text = datamig::test::read_file(loop);
    CHECK_THAT(text, Catch::Contains("-- migrate:up batch:loop"));
    CHECK_THAT(text, Catch::Contains("reindex_users (post_sync)"));

    request.name = "by-range";
    request.batch = datamig::BatchMode::range;
    CHECK_THAT(datamig::test::read_file(project.generate(request)), Catch::Contains("-- migrate:up batch:range"));
}

TEST_CASE("generate --kind exec writes an executable script", "[generate]") {
    Project project;
    GenerateRequest request = named("EnqueueReindex");
    request.phase = "post_sync";
    request.kind = datamig::Kind::exec;
    const fs::path path = project.generate(request);
    CHECK(path == project.settings.dir / "post_sync" / "20261122093000_enqueue_reindex.sh");
    CHECK((fs::status(path).permissions() & fs::perms::owner_exec) != fs::perms::none);
    const std::string text = datamig::test::read_file(path);
    CHECK_THAT(text, Catch::StartsWith("#!/bin/sh\n# enqueue_reindex (post_sync)"));
}

TEST_CASE("generate moves the version forward while any phase uses it", "[generate]") {
    Project project;
    datamig::test::write_file(project.settings.dir / "post_sync" / "20261122093000_other.sh", "", true);
    datamig::test::write_file(project.settings.dir / "pre_sync" / "20261122093001_another.sql", "");
    const fs::path path = project.generate(named("next"));
    CHECK(path.filename() == "20261122093002_next.sql");
}

TEST_CASE("generate uses the project's template override", "[generate]") {
    Project project;
    datamig::test::write_file(project.settings.dir / "templates" / "sql.sql",
                              "-- ours: {{name}} in {{phase}} as {{version}} {{unknown}}\n-- migrate:up\n");
    const fs::path path = project.generate(named("custom"));
    CHECK(datamig::test::read_file(path) ==
          "-- ours: custom in pre_sync as 20261122093000 {{unknown}}\n-- migrate:up\n");
}

TEST_CASE("generate refuses what it cannot write", "[generate]") {
    Project project;
    SECTION("--batch with --kind exec") {
        GenerateRequest request = named("x");
        request.kind = datamig::Kind::exec;
        request.batch = datamig::BatchMode::loop;
        CHECK_THROWS_AS(project.generate(request), datamig::UsageError);
    }
    SECTION("an unknown phase") {
        GenerateRequest request = named("x");
        request.phase = "cleanup";
        CHECK_THROWS_AS(project.generate(request), datamig::UsageError);
        CHECK_THROWS_WITH(project.generate(request), Catch::Contains("cleanup"));
    }
    SECTION("a name that is no name") {
        CHECK_THROWS_AS(project.generate(named("../escape")), datamig::UsageError);
        CHECK_THROWS_AS(project.generate(named("")), datamig::UsageError);
    }
    SECTION("a missing migrations directory") {
        project.settings.dir = project.dir.path() / "nowhere";
        CHECK_THROWS_AS(project.generate(named("x")), datamig::InvalidInput);
    }
    CHECK_FALSE(fs::exists(project.settings.dir / "pre_sync"));
    CHECK_FALSE(fs::exists(project.settings.dir / "cleanup"));
}
