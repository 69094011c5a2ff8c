#include "datamig/database.hpp"
#include "datamig/sql_text.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "datamig/error.hpp"

using datamig::ConnectOptions;
using datamig::Error;
using datamig::Exit;

namespace {

// The error connect() raised, nullopt when it connected.
std::optional<Error> connect_error(const std::string& url, const ConnectOptions& options = {}) {
    try {
        datamig::connect(url, options);
    } catch (const Error& error) {
        return error;
    }
    return std::nullopt;
}

// A folder of its own under the system temporary directory, removed afterwards.
class TemporaryFolder {
public:
    TemporaryFolder() {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("datamig-database-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        std::filesystem::create_directories(path_);
    }
    TemporaryFolder(const TemporaryFolder&) = delete;
    TemporaryFolder& operator=(const TemporaryFolder&) = delete;
    ~TemporaryFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace

TEST_CASE("connect refuses a password with an unencoded '@' or '/' without showing it", "[database]") {
    for (const std::string url :
         {"postgres://user:Sekr3t@zzTop@127.0.0.1:1/db", "postgres://user:Sekr3t/zzTop@127.0.0.1:1/db",
          "postgresql://us@er:Sekr3tzzTop@127.0.0.1:1/db"}) {
        CAPTURE(url);
        const auto error = connect_error(url);
        REQUIRE(error);
        CHECK(error->code() == Exit::usage);
        CHECK_THAT(error->what(), Catch::Contains("--database-url") && Catch::Contains("%40"));
        CHECK_THAT(error->what(), !Catch::Contains("Sekr3t") && !Catch::Contains("zzTop"));
    }
}

TEST_CASE("connect refuses a malformed PostgreSQL connection string before connecting, without its password",
          "[database]") {
    // Nothing listens on port 1: an exit 3 here would mean the string was not checked first.
    const std::pair<std::string, std::string> cases[] = {
        {"postgres://app:TopSecret42@127.0.0.1:abc/app", "port 'abc'"},
        {"postgres://app:TopSecret42@127.0.0.1:1,127.0.0.2:x/app", "port 'x'"},
        {"postgres://app:TopSecret42@127.0.0.1:1/app?frob=1", "frob"},
        {"postgres://app:TopSecret42@127.0.0.1:1/app?connect_timeout=soon", "connect_timeout 'soon'"},
        {"host=127.0.0.1 port=1 password=TopSecret42 dbname='app", "unterminated"},
        {"host=127.0.0.1 port=1 password=TopSecret42 frob=1", "frob"},
        {"postgres://app:TopSecret42%zz@127.0.0.1:1/app", "password"},
    };
    for (const auto& [url, problem] : cases) {
        CAPTURE(url);
        const auto error = connect_error(url);
        REQUIRE(error);
        CHECK(error->code() == Exit::usage);
        CHECK_THAT(error->what(), Catch::StartsWith("--database-url: ") && Catch::Contains(problem));
        CHECK_THAT(error->what(), !Catch::Contains("TopSecret42"));
    }
}

TEST_CASE("is_valid_table_name accepts name and schema.name identifiers only", "[database]") {
    using datamig::is_valid_table_name;
    CHECK(is_valid_table_name("data_migrations"));
    CHECK(is_valid_table_name("ops.data_migrations"));
    CHECK(is_valid_table_name("_Data2"));
    CHECK(is_valid_table_name(std::string(63, 'a')));
    CHECK_FALSE(is_valid_table_name(std::string(64, 'a')));
    CHECK_FALSE(is_valid_table_name(""));
    CHECK_FALSE(is_valid_table_name("2fast"));
    CHECK_FALSE(is_valid_table_name("a.b.c"));
    CHECK_FALSE(is_valid_table_name(".table"));
    CHECK_FALSE(is_valid_table_name("schema."));
    CHECK_FALSE(is_valid_table_name("data-migrations"));
    CHECK_FALSE(is_valid_table_name("x\"; DROP TABLE users; --"));
    CHECK_FALSE(is_valid_table_name("t\xc3\xa4"));
}

TEST_CASE("connect refuses an unknown scheme as a usage error naming it", "[database]") {
    const auto error = connect_error("mysql://root:secret@db.example/app");
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
    CHECK(std::string(error->what()) ==
          "--database-url: unsupported scheme 'mysql' (use sqlite:PATH or postgres://...)");
}

TEST_CASE("connect refuses an empty URL or a URL without scheme", "[database]") {
    for (const std::string url : {"", "sqlite:", "sqlite://", "localhost/app"}) {
        CAPTURE(url);
        const auto error = connect_error(url);
        REQUIRE(error);
        CHECK(error->code() == Exit::usage);
        CHECK_THAT(error->what(), Catch::Contains("--database-url"));
    }
}

TEST_CASE("connect refuses an invalid table name before connecting", "[database]") {
    TemporaryFolder folder;
    ConnectOptions options;
    options.table = "bad-name";
    const auto error = connect_error("sqlite:" + (folder.path() / "x.sqlite3").string(), options);
    REQUIRE(error);
    CHECK(error->code() == Exit::usage);
    CHECK_THAT(error->what(), Catch::Contains("--table"));
    CHECK_FALSE(std::filesystem::exists(folder.path() / "x.sqlite3"));
}

TEST_CASE("connect opens sqlite:PATH and sqlite://PATH files, creating missing folders", "[database]") {
    TemporaryFolder folder;
    const auto single = folder.path() / "a" / "single.sqlite3";
    const auto absolute = folder.path() / "b" / "absolute.sqlite3";
    CHECK(datamig::connect("sqlite:" + single.string(), {}) != nullptr);
    CHECK(datamig::connect("sqlite://" + absolute.string(), {}) != nullptr);  // sqlite:///abs/path
    CHECK(std::filesystem::exists(single));
    CHECK(std::filesystem::exists(absolute));
}

TEST_CASE("connect hands postgres URLs and key=value strings to the PostgreSQL adapter", "[database]") {
    // Nothing listens on port 1, so the adapter is reached and reports the server unavailable;
    // whatever it says must not contain the password.
    const std::string urls[] = {
        "postgres://app:TopSecret42@127.0.0.1:1/app?connect_timeout=2",
        "postgresql://app@127.0.0.1:1/app?password=TopSecret42&connect_timeout=2",
        "host=127.0.0.1 port=1 dbname=app user=app password='TopSecret42' connect_timeout=2",
    };
    for (const auto& url : urls) {
        CAPTURE(datamig::redact_url(url));
        const auto error = connect_error(url);
        REQUIRE(error);
        CHECK(error->code() == Exit::unavailable);
        CHECK_THAT(error->what(), !Catch::Contains("TopSecret42"));
    }
}
