#include "datamig/adapters/sqlite_url.hpp"

#include <filesystem>
#include <string_view>

#include "datamig/adapters/sqlite_driver.hpp"
#include "datamig/error.hpp"

namespace datamig {
namespace {

constexpr std::string_view sqlite_prefix = "sqlite:";

bool is_sqlite_url(std::string_view url) { return url.substr(0, sqlite_prefix.size()) == sqlite_prefix; }

std::string path_of(const std::string& url) {
    std::string_view path = std::string_view(url).substr(sqlite_prefix.size());
    if (path.substr(0, 2) == "//") path.remove_prefix(2);
    return std::string(path);
}

std::unique_ptr<Driver> open_sqlite(const std::string& url, const ConnectOptions& options) {
    const std::string path = path_of(url);
    if (path.empty()) throw UsageError("--database-url: the sqlite URL names no file (use sqlite:PATH)");
    return open_sqlite_file(path, options);
}

// A file path holds no password, whatever its letters.
std::string nothing_to_redact(const std::string& url) { return url; }

// tenants/acme.sqlite3 is the database "acme".
std::string file_stem(const std::string& url) { return std::filesystem::path(path_of(url)).stem().string(); }

}  // namespace

const DriverKind sqlite_driver{&is_sqlite_url, &open_sqlite, &nothing_to_redact, &file_stem};

}  // namespace datamig
