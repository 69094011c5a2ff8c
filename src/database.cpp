#include "datamig/database.hpp"

#include <array>
#include <memory>

#include "datamig/adapters/postgres_module.hpp"
#include "datamig/adapters/sqlite_url.hpp"
#include "datamig/error.hpp"
#include "datamig/history_store.hpp"
#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

// Every database datamig knows, asked in this order which one a URL names: adding a database
// is one line here (and its driver). PostgreSQL's driver is a module the binary loads on the
// first PostgreSQL URL (postgres_module.hpp).
constexpr std::array<const DriverKind*, 2> driver_kinds{&sqlite_driver, &postgres_kind};

[[noreturn]] void reject_scheme(std::string_view url) {
    constexpr std::string_view hint = " (use sqlite:PATH or postgres://...)";
    const std::size_t colon = url.find(':');
    // Without any ':' there is no user:password part, so the text can be shown.
    if (colon == std::string_view::npos) {
        throw UsageError("--database-url: '" + std::string(url) + "' has no scheme" + std::string(hint));
    }
    // The text before the first ':' never holds a password (that follows a ':' itself).
    throw UsageError("--database-url: unsupported scheme '" + std::string(url.substr(0, colon)) + "'" +
                     std::string(hint));
}

}  // namespace

const DriverKind* driver_kind_for(std::string_view url) {
    for (const DriverKind* kind : driver_kinds) {
        if (kind->claims(url)) return kind;
    }
    return nullptr;
}

std::optional<std::string> database_name(const std::string& url) {
    const DriverKind* kind = driver_kind_for(url);
    if (kind == nullptr) return std::nullopt;
    return kind->database_name(url);
}

std::unique_ptr<Database> connect(const std::string& url, const ConnectOptions& options) {
    if (url.empty()) throw UsageError("--database-url: empty (use sqlite:PATH or postgres://...)");
    if (!is_valid_table_name(options.table)) {
        throw UsageError("--table: '" + options.table + "' is not a table name (use name or schema.name)");
    }
    const DriverKind* kind = driver_kind_for(url);
    if (kind == nullptr) reject_scheme(url);
    return std::make_unique<HistoryStore>(kind->open(url, options), options.table, options.read_only);
}

}  // namespace datamig
