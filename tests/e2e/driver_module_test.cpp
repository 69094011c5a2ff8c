// PostgreSQL's driver as a module (src/driver_module.cpp): loaded on the first PostgreSQL URL
// only, so a SQLite run never loads libpq; a clear error when it is not installed; and errors
// thrown inside it keep their type in the binary.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace {

namespace fs = std::filesystem;
using datamig::test::Project;
using datamig::test::RunResult;

bool on_postgres() { return datamig::test::suite_database_kind() == "postgres"; }

bool contains(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

// The shared objects a run loaded, from the dynamic loader's own log (LD_DEBUG=files), which
// has a line "file=<name> [0];  needed by ..." or "file=<path> [0];  dynamically loaded by ..."
// for each.
std::set<std::string> loaded_files(const std::string& loader_log) {
    std::set<std::string> names;
    const std::string marker = "file=";
    for (auto at = loader_log.find(marker); at != std::string::npos; at = loader_log.find(marker, at)) {
        at += marker.size();
        names.insert(fs::path(loader_log.substr(at, loader_log.find_first_of(" \n", at) - at)).filename());
    }
    return names;
}

}  // namespace

// libpq and its twenty dependencies cost every start about 4 ms; only a PostgreSQL connection
// should pay it.
TEST_CASE("libpq and the PostgreSQL module are loaded for a PostgreSQL database only", "[e2e][driver_module]") {
    Project project;
    project.write_sql("pre_sync", "20260101000001", "touch", "-- migrate:up\nSELECT 1;\n");

    const RunResult version = project.run({"--version"}, {{"LD_DEBUG", "files"}});
    REQUIRE(version.exit_code == 0);
    CHECK(loaded_files(version.err).count("libpq.so.5") == 0);

    const RunResult result = project.run({"migrate"}, {{"LD_DEBUG", "files"}});
    INFO(result.err.substr(0, 2000));
    REQUIRE(result.exit_code == 0);
    CHECK(project.history_rows() == 1);
    const auto loaded = loaded_files(result.err);
    CHECK(loaded.count("libpq.so.5") == (on_postgres() ? 1 : 0));
    CHECK(loaded.count("datamig-postgres.so") == (on_postgres() ? 1 : 0));
}

TEST_CASE("a binary without its PostgreSQL module says PostgreSQL support is not installed", "[e2e][driver_module]") {
    Project project;
    project.write_sql("pre_sync", "20260101000001", "touch", "-- migrate:up\nSELECT 1;\n");
    const fs::path alone = project.root() / "alone" / "datamig";
    fs::create_directories(alone.parent_path());
    fs::copy_file(DATAMIG_BINARY, alone);

    // Nothing listens on port 1: the module is looked for before any connection.
    const RunResult result =
        project.run_binary(alone, {"status"}, {{"DATABASE_URL", "postgres://app:Secret1@127.0.0.1:1/app"}});
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "PostgreSQL support is not installed: no " +
                                   (alone.parent_path() / "datamig-postgres.so").string() + " or " +
                                   (project.root() / "lib" / "datamig" / "datamig-postgres.so").string()));
    CHECK_FALSE(contains(result.err, "Secret1"));

    // SQLite needs no module.
    const fs::path sqlite_file = project.root() / "alone.sqlite3";
    const RunResult sqlite =
        project.run_binary(alone, {"migrate"}, {{"DATABASE_URL", "sqlite:" + sqlite_file.string()}});
    INFO(sqlite.err);
    CHECK(sqlite.exit_code == 0);
}

TEST_CASE("errors thrown inside the PostgreSQL module keep their type and exit code", "[e2e][driver_module]") {
    if (!on_postgres()) return;
    Project project;
    // UsageError from validating the URL (exit 2), Unavailable from connecting (exit 3)...
    CHECK(project.run({"status", "--database-url", "postgres://app@127.0.0.1:abc/app"}).exit_code == 2);
    CHECK(project.run({"status", "--database-url", "postgres://app@127.0.0.1:1/app?connect_timeout=2"}).exit_code == 3);
    // ...and SqlError from a statement, whose line the runner maps into the file.
    project.write_sql("pre_sync", "20260101000001", "broken", "-- migrate:up\nSELECT 1;\nSELECT * FROM missing;\n");
    const RunResult failed = project.run({"migrate"});
    INFO(failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(contains(failed.err, "pre_sync/20260101000001_broken.sql:3:"));
    CHECK(project.events("fail") == 1);
}
