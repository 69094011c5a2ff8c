#include "datamig/session.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/temp_dir.hpp"

using datamig::Access;
using datamig::Session;

namespace {

datamig::Settings sqlite_settings(const datamig::test::TempDir& dir) {
    datamig::Settings settings;
    settings.database_url = "sqlite:" + (dir.path() / "app.sqlite3").string();
    settings.lock_wait = std::chrono::milliseconds(200);
    return settings;
}

}  // namespace

TEST_CASE("Session: runners take the lock; pause and resume do not wait for it", "[session]") {
    const datamig::test::TempDir dir;
    const auto settings = sqlite_settings(dir);
    Session runner(settings, Access::read_write);  // holds the runner lock

    CHECK_THROWS_AS(Session(settings, Access::read_write), datamig::Unavailable);
    Session pausing(settings, Access::write_unlocked);
    CHECK(pausing.db().read_history().empty());  // the tables exist: ensure_history ran
}

TEST_CASE("Session: a read-only one creates nothing", "[session]") {
    const datamig::test::TempDir dir;
    const auto settings = sqlite_settings(dir);
    Session reading(settings, Access::read_only);
    CHECK(reading.db().read_history().empty());
    CHECK_FALSE(std::filesystem::exists(dir.path() / "app.sqlite3"));
}
