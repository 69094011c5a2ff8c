#include "datamig/adapters/lock_file.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

TEST_CASE("lock file: one holder at a time, who is named while holding", "[lock_file]") {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("datamig-lock-test-" + std::to_string(::getpid()) + ".lock"))
            .string();
    {
        datamig::LockFile first(path);
        datamig::LockFile second(path);  // flock() locks per open file: a second one conflicts
        REQUIRE(first.try_lock());
        CHECK(first.try_lock());  // taken once, held
        CHECK_FALSE(second.try_lock());
        CHECK(second.holder().rfind("pid " + std::to_string(::getpid()) + " since ", 0) == 0);
        first.unlock();
        CHECK(first.holder().empty());
        CHECK(second.try_lock());
    }
    std::filesystem::remove(path);
}

TEST_CASE("lock file: without a path (an in-memory database) it always locks", "[lock_file]") {
    datamig::LockFile lock("");
    CHECK(lock.try_lock());
    CHECK(lock.holder().empty());
}
