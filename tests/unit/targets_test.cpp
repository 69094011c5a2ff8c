#include "datamig/targets.hpp"

#include <catch2/catch.hpp>

#include <map>

#include "datamig/error.hpp"

using datamig::Target;

namespace {

const char* fake_getenv(const char* name) {
    static const std::map<std::string, std::string> environment{{"TENANT_PASSWORD", "s3cret"}, {"DB_HOST", "db1"}};
    const auto found = environment.find(name);
    return found == environment.end() ? nullptr : found->second.c_str();
}

std::vector<Target> parse(const std::string& text) { return datamig::parse_targets(text, "targets.txt", fake_getenv); }

std::string parse_error(const std::string& text) {
    try {
        parse(text);
    } catch (const datamig::UsageError& error) {
        return error.what();
    }
    FAIL("expected a UsageError");
    return {};
}

std::vector<std::string> names(const std::vector<Target>& targets) {
    std::vector<std::string> result;
    for (const auto& target : targets) result.push_back(target.name);
    return result;
}

}  // namespace

TEST_CASE("targets: NAME URL or a bare URL named after its database; comments and blank lines skipped", "[targets]") {
    const auto targets = parse(
        "# tenants of eu-1\n"
        "\n"
        "acme   postgres://app:${TENANT_PASSWORD}@${DB_HOST}:5432/acme_prod?sslmode=require\n"
        "  postgres://app@db2/globex  \r\n"
        "sqlite:tenants/initech.sqlite3\n"
        "umbrella host=db3 dbname=umbrella user=app\n"
        "dbname=hooli\n");
    CHECK(names(targets) == std::vector<std::string>{"acme", "globex", "initech", "umbrella", "hooli"});
    CHECK(targets[0].url == "postgres://app:s3cret@db1:5432/acme_prod?sslmode=require");
    CHECK(targets[1].url == "postgres://app@db2/globex");
    CHECK(targets[3].url == "host=db3 dbname=umbrella user=app");
    CHECK_FALSE(targets[0].schema.has_value());
    CHECK(parse("").empty());
    CHECK(parse("# nothing yet\n").empty());
}

TEST_CASE("targets: a malformed line is refused naming its line, never showing a password", "[targets]") {
    CHECK(parse_error("a sqlite:a.db\n\nb mysql://root:hunter2@db/b\n") ==
          "targets.txt:3: 'mysql://root:***@db/b' is not a database URL (use sqlite:PATH or postgres://...)");
    CHECK(parse_error("a postgres://app:${UNSET_PASSWORD}@db/a\n") ==
          "targets.txt:1: environment variable UNSET_PASSWORD is not set");
    CHECK(parse_error("a postgres://app:${TENANT_PASSWORD@db/a\n") == "targets.txt:1: '${' without a closing '}'");
    CHECK(parse_error("postgres://app@db\n") == "targets.txt:1: the URL names no database; write `NAME URL`");
    CHECK(parse_error("acme sqlite:a.db\n# again\nacme sqlite:b.db\n") ==
          "targets.txt:3: target name 'acme' is already used on line 1");
    CHECK(parse_error("a/b sqlite:a.db\n") ==
          "targets.txt:1: target name 'a/b' may hold only letters, digits, '_', '-' and '.'; write `NAME URL`");
}

TEST_CASE("targets: a '$' not opening ${...} is part of the URL", "[targets]") {
    CHECK(parse("a postgres://app:pa$$word@db/a\n").front().url == "postgres://app:pa$$word@db/a");
}

TEST_CASE("targets: shards take every N-th target and together cover each exactly once", "[targets]") {
    std::vector<Target> all;
    for (int i = 0; i < 10; ++i) all.push_back({"t" + std::to_string(i), "sqlite:t.db", std::nullopt});
    CHECK(names(datamig::take_shard(all, {1, 4})) == std::vector<std::string>{"t1", "t5", "t9"});
    CHECK(names(datamig::take_shard(all, {0, 1})) == names(all));
    std::map<std::string, int> seen;
    for (std::int64_t index = 0; index < 3; ++index) {
        for (const auto& target : datamig::take_shard(all, {index, 3})) ++seen[target.name];
    }
    CHECK(seen.size() == all.size());
    for (const auto& [name, count] : seen) CHECK(count == 1);
    CHECK(datamig::take_shard(all, {11, 12}).empty());
}

TEST_CASE("targets: a schema target searches its schema and keeps its history table there", "[targets]") {
    const auto targets = datamig::schema_targets("postgres://app@db/saas", {"tenant_a", "tenant_b"});
    REQUIRE(names(targets) == std::vector<std::string>{"tenant_a", "tenant_b"});
    datamig::Settings run;
    run.table = "data_migrations";
    const auto settings = datamig::settings_for(run, targets[1]);
    CHECK(settings.database_url == "postgres://app@db/saas");
    CHECK(settings.search_path == "tenant_b");
    CHECK(settings.table == "tenant_b.data_migrations");

    const auto file = datamig::settings_for(run, parse("x sqlite:x.db\n").front());
    CHECK(file.database_url == "sqlite:x.db");
    CHECK_FALSE(file.search_path.has_value());
    CHECK(file.table == "data_migrations");
}
