#include "datamig/templates.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"
#include "support/temp_dir.hpp"

using datamig::test::TempDir;

TEST_CASE("builtin_templates hold every kind generate needs", "[templates]") {
    std::vector<std::string> names;
    for (const auto& [name, text] : datamig::builtin_templates()) {
        names.emplace_back(name);
        CHECK_FALSE(text.empty());
    }
    for (const char* needed : {"sql.sql", "exec.sh", "batch_loop.sql", "batch_range.sql"}) {
        CHECK(std::find(names.begin(), names.end(), needed) != names.end());
    }
}

TEST_CASE("load_template: the project's template wins over the built-in", "[templates]") {
    TempDir dir;
    const std::string builtin = datamig::load_template(dir.path(), "sql.sql");
    CHECK_THAT(builtin, Catch::Contains("-- migrate:up"));
    datamig::test::write_file(dir.path() / "templates" / "sql.sql", "-- ours {{name}}\n-- migrate:up\n");
    CHECK(datamig::load_template(dir.path(), "sql.sql") == "-- ours {{name}}\n-- migrate:up\n");
    CHECK(datamig::load_template(dir.path(), "exec.sh") != "");  // others still built in
}

TEST_CASE("load_template: an unknown template is invalid input", "[templates]") {
    TempDir dir;
    CHECK_THROWS_AS(datamig::load_template(dir.path(), "nope.sql"), datamig::InvalidInput);
    CHECK_THROWS_WITH(datamig::load_template(dir.path(), "nope.sql"), Catch::Contains("nope.sql"));
}

TEST_CASE("render_template replaces every known key and leaves the rest", "[templates]") {
    const std::map<std::string, std::string> values = {{"name", "backfill_roles"}, {"phase", "pre_sync"}};
    CHECK(datamig::render_template("-- {{name}} ({{phase}}) {{name}}", values) ==
          "-- backfill_roles (pre_sync) backfill_roles");
    CHECK(datamig::render_template("{{unknown}} {{ name }} {{name}}", values) ==
          "{{unknown}} {{ name }} backfill_roles");
    CHECK(datamig::render_template("open {{name and {{phase", values) == "open {{name and {{phase");
    CHECK(datamig::render_template("no keys at all", values) == "no keys at all");
    CHECK(datamig::render_template("", values).empty());
}
