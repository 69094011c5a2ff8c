#pragma once
// Many databases (SPEC §4), the shared fixture of many_targets_test.cpp and many_schemas_test.cpp:
// in the PostgreSQL test cluster, a login role with a password, 50 databases it owns (each holding
// an empty `fleet_items` table, copied from one template) and one database with 200 `tenant_NNN`
// schemas plus two that `tenant\_%` does not match. Made once per test program, on first use, in
// one psql session, and dropped when the program ends. Tests share them without resetting them:
// each test names its own history table (datamig.toml `table`) and tags the rows its migrations
// write, so no test sees another's work.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "e2e/harness.hpp"
#include "support/test_databases.hpp"

namespace datamig::test::fleet {

constexpr int database_count = 50;
constexpr int schema_count = 200;
// The targets files say ${FLEET_PASSWORD}; the environment of the runs holds it.
constexpr const char* password_variable = "FLEET_PASSWORD";

inline bool on_postgres() { return suite_database_kind() == "postgres"; }

// True, with a warning, when the suite runs without PostgreSQL: the test then ends at once.
inline bool without_postgres() {
    if (on_postgres()) return false;
    WARN("skipped: needs the PostgreSQL test cluster");
    return true;
}

class Fleet {
public:
    Fleet() {
        const char* file = std::getenv("DATAMIG_TEST_PG_URL_FILE");
        admin_url_ = query_value_file(file == nullptr ? "" : file);
        const auto at = admin_url_.rfind('@');
        server_ = admin_url_.substr(at + 1, admin_url_.find('/', at) - at - 1);
        const std::string unique = std::to_string(getpid());
        std::random_device random;
        role_ = "fleet_" + unique;
        password_ = fmt::format("Pw{:08x}{:08x}Zq", random(), random());
        prefix_ = "fleet_" + unique + "_";
        const std::string templ = prefix_ + "template";
        std::ostringstream script;
        script << fmt::format("CREATE ROLE {} LOGIN PASSWORD '{}';\n", role_, password_)
               << fmt::format("CREATE DATABASE {} OWNER {} TEMPLATE template0;\n\\c {}\nSET ROLE {};\n", templ, role_,
                              templ, role_)
               << "CREATE TABLE fleet_items (tag text NOT NULL);\n\\c postgres\n";
        for (int i = 0; i < database_count; ++i) {
            databases_.push_back(fmt::format("{}{:02}", prefix_, i));
            script << fmt::format("CREATE DATABASE {} OWNER {} TEMPLATE {} STRATEGY FILE_COPY;\n", databases_.back(),
                                  role_, templ);
        }
        schemas_database_ = prefix_ + "schemas";
        script << fmt::format(
                      "DROP DATABASE {};\nCREATE DATABASE {} OWNER {} TEMPLATE template0;\n\\c {}\nSET ROLE {};\n",
                      templ, schemas_database_, role_, schemas_database_, role_)
               << "DO $$ BEGIN\n"
               << fmt::format("  FOR i IN 0..{} LOOP\n", schema_count - 1)
               << "    EXECUTE format('CREATE SCHEMA %I; CREATE TABLE %I.items (tag text NOT NULL)',\n"
                  "                   'tenant_' || lpad(i::text, 3, '0'), 'tenant_' || lpad(i::text, 3, '0'));\n"
                  "  END LOOP;\n"
                  "  CREATE SCHEMA tenantx; CREATE TABLE tenantx.items (tag text NOT NULL);\n"
                  "  CREATE SCHEMA other; CREATE TABLE other.items (tag text NOT NULL);\n"
                  "END $$;\n";
        execute_sql(admin_url_, script.str());
    }
    ~Fleet() {
        std::string drops;
        for (const auto& name : databases_) drops += "DROP DATABASE IF EXISTS " + name + " WITH (FORCE);\n";
        drops += "DROP DATABASE IF EXISTS " + schemas_database_ + " WITH (FORCE);\n";
        drops += "DROP DATABASE IF EXISTS " + prefix_ + "template WITH (FORCE);\nDROP ROLE IF EXISTS " + role_ + ";\n";
        try {
            execute_sql(admin_url_, drops);
        } catch (...) {
            // The cluster may be gone already; it is thrown away as a whole anyway.
        }
    }
    Fleet(const Fleet&) = delete;
    Fleet& operator=(const Fleet&) = delete;

    const std::string& password() const { return password_; }
    const std::vector<std::string>& databases() const { return databases_; }
    const std::string& schemas_database() const { return schemas_database_; }
    const std::string& admin_url() const { return admin_url_; }
    const std::string& role() const { return role_; }
    // The environment every run gets: the role's password for ${FLEET_PASSWORD}.
    std::map<std::string, std::string> env() const { return {{password_variable, password_}}; }

    // The role's URL of `database`; its password written as ${FLEET_PASSWORD} (a targets file)
    // or in clear (a --database-url).
    std::string url(const std::string& database, bool in_clear = false) const {
        return fmt::format("postgres://{}:{}@{}/{}", role_, in_clear ? password_ : "${FLEET_PASSWORD}", server_,
                           database);
    }

    // Runs `sql` (one row, one column) in each of `databases` in one psql session, as the admin.
    std::vector<std::string> in_each(const std::vector<std::string>& databases, const std::string& sql) const {
        std::string script;
        for (const auto& database : databases) script += "\\c " + database + "\n" + sql + ";\n";
        return query_rows(admin_url_, script);
    }

    // Runs statements in each of `databases`, in one psql session, as the admin.
    void execute_in(const std::vector<std::string>& databases, const std::string& sql) const {
        std::string script;
        for (const auto& database : databases) script += "\\c " + database + "\n" + sql + ";\n";
        execute_sql(admin_url_, script);
    }

private:
    static std::string query_value_file(const std::string& file) {
        std::ifstream in(file);
        std::string url;
        std::getline(in, url);
        return url;
    }

    std::string admin_url_;
    std::string server_;  // host:port
    std::string role_;
    std::string password_;
    std::string prefix_;
    std::vector<std::string> databases_;
    std::string schemas_database_;
};

// Made on first use, dropped at exit.
inline const Fleet& fleet() {
    static Fleet instance;
    return instance;
}

// `SELECT count(*) FROM table WHERE condition`, or -1 when the table does not exist: one query
// that works in any database of the fleet, made or not made by a run.
inline std::string count_sql(const std::string& table, const std::string& condition = "true") {
    std::string inner = "SELECT count(*) AS c FROM " + table + " WHERE " + condition;
    std::string quoted;
    for (const char c : inner) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return fmt::format(
        "SELECT CASE WHEN to_regclass('{}') IS NULL THEN -1 ELSE "
        "(xpath('/row/c/text()', query_to_xml('{}', false, true, '')))[1]::text::int END",
        table, quoted);
}

// A --targets file over databases [first, first + count) of the fleet, with comments and blank
// lines: even positions as `NAME URL` (NAME tNN), odd ones as bare URLs (named after the
// database); the password as ${FLEET_PASSWORD}.
struct TargetList {
    std::string text;
    std::vector<std::string> names;      // in target order
    std::vector<std::string> databases;  // the same order
};

inline TargetList target_list(int first, int count) {
    const Fleet& all = fleet();
    TargetList list{"# tenants of the e2e fleet\n\n", {}, {}};
    for (int i = first; i < first + count; ++i) {
        const std::string& database = all.databases().at(static_cast<std::size_t>(i));
        const bool named = (i - first) % 2 == 0;
        list.names.push_back(named ? fmt::format("t{:02}", i) : database);
        list.databases.push_back(database);
        list.text += (named ? list.names.back() + "   " : std::string()) + all.url(database) + "\n";
        if (i % 10 == 9) list.text += "\n  # another ten\n";
    }
    return list;
}

// A project whose history table is `dm_<tag>`, so its runs touch nothing of another test's.
inline void use_table(Project& project, const std::string& tag) {
    project.write("datamig.toml", "table = \"dm_" + tag + "\"\n");
}

// The project of one test: history table dm_<tag>, and targets.txt listing `count` databases of
// the fleet from the `first`.
inline TargetList write_targets(Project& project, const std::string& tag, int first, int count) {
    use_table(project, tag);
    TargetList list = target_list(first, count);
    project.write("targets.txt", list.text);
    return list;
}

// A migration that records its run in fleet_items with `tag` (down removes it); it fails (division
// by zero, in the transaction) in the database named `fail_in`.
inline std::string tagged_sql(const std::string& tag, const std::string& fail_in = "") {
    std::string up = "-- migrate:up\n";
    if (!fail_in.empty()) {
        up += "SELECT 1 / (CASE WHEN current_database() = '" + fail_in + "' THEN 0 ELSE 1 END);\n";
    }
    return up + "INSERT INTO fleet_items (tag) VALUES ('" + tag +
           "');\n-- migrate:down\nDELETE FROM fleet_items WHERE tag = '" + tag + "';\n";
}

// Every line of `text`.
inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> all;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) all.push_back(line);
    return all;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace datamig::test::fleet
