#include "datamig/driver_module.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "datamig/error.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

TEST_CASE("driver modules are looked for beside the binary, then in ../lib/datamig", "[driver_module]") {
    const fs::path folder = fs::read_symlink("/proc/self/exe").parent_path();
    CHECK(datamig::driver_module_paths("datamig-x.so") ==
          std::vector<fs::path>{folder / "datamig-x.so",
                                (folder.parent_path() / "lib" / "datamig" / "datamig-x.so").lexically_normal()});
}

TEST_CASE("a missing driver module says the database's support is not installed and where", "[driver_module]") {
    const datamig::test::TempDir temp;
    const std::vector<fs::path> paths{temp.path() / "datamig-x.so", temp.path() / "lib" / "datamig-x.so"};
    CHECK_THROWS_AS(datamig::load_driver_module(paths, "X"), datamig::UsageError);
    CHECK_THROWS_WITH(datamig::load_driver_module(paths, "X"), Contains("X support is not installed") &&
                                                                   Contains(paths[0].string()) &&
                                                                   Contains(paths[1].string()));
}

TEST_CASE("a driver module that cannot be loaded is reported with the loader's reason", "[driver_module]") {
    const datamig::test::TempDir temp;
    const fs::path broken = datamig::test::write_file(temp.path() / "datamig-x.so", std::string(100, 'x'));
    CHECK_THROWS_WITH(datamig::load_driver_module({temp.path() / "missing.so", broken}, "X"),
                      Contains("X support cannot be loaded: " + broken.string()) && Contains("ELF"));
}
