#pragma once
// End-to-end harness: a throwaway project folder, the real datamig binary run in it as a
// child process, and a real database (SQLite or PostgreSQL, chosen by DATAMIG_TEST_DB) per
// project. Every e2e test runs on the adapter of the current suite run, so the same
// scenarios cover both databases without copies.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace datamig::test {

struct RunResult {
    int exit_code = -1;           // 128 + signal when killed by a signal
    std::string out;              // stdout
    std::string err;              // stderr
    nlohmann::json json() const;  // parses `out`; fails the test (Catch2 FAIL) when it is not JSON
};

// "sqlite" or "postgres": the database of this suite run (DATAMIG_TEST_DB, default sqlite).
std::string suite_database_kind();

// SHA-256 (hex) of a file's bytes, computed by coreutils' sha256sum, not by datamig's code.
std::string sha256_of_file(const std::filesystem::path& file);

class Project {
public:
    // A fresh temporary folder with db/data_migrations/{pre_sync,post_sync}/ and a fresh
    // database of the suite's kind; removed (and the database left to the cluster's end) on
    // destruction.
    Project();
    ~Project();
    Project(const Project&) = delete;
    Project& operator=(const Project&) = delete;

    const std::filesystem::path& root() const { return root_; }
    const std::string& database_url() const { return url_; }

    // Writes `content` to root()/relative_path (creating folders); `executable` sets 0755.
    std::filesystem::path write(const std::string& relative_path, const std::string& content, bool executable = false);
    // Writes db/data_migrations/<phase>/<version>_<name>.sql.
    std::filesystem::path write_sql(const std::string& phase, const std::string& version, const std::string& name,
                                    const std::string& content);
    std::string read(const std::string& relative_path) const;

    // Runs datamig with `args` in root(), with DATABASE_URL set to database_url() unless
    // `env` overrides it (an empty value unsets a variable). Waits at most `timeout`.
    RunResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                  std::chrono::seconds timeout = std::chrono::seconds(120)) const;

    // Runs datamig as user "nobody" when the tests run as root (as they do in CI), so that
    // permission checks apply; otherwise like run().
    RunResult run_as_nobody(const std::vector<std::string>& args) const;
    // Runs another copy of datamig (DATAMIG_BINARY copied elsewhere) like run().
    RunResult run_binary(const std::filesystem::path& binary, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {}) const;

    // Starts datamig without waiting; returns the pid. Output goes to files under root().
    int spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) const;
    // Waits for a spawned process; returns its result.
    RunResult wait(int pid) const;

    // Everything a spawned process has written to stderr so far.
    std::string stderr_so_far(int pid) const;

    // Queries on the project's database (tests/support/test_databases.hpp).
    std::vector<std::string> rows(const std::string& sql) const;
    std::string value(const std::string& sql) const;
    void execute(const std::string& sql) const;
    int count(const std::string& sql) const { return std::stoi(value(sql)); }
    // Rows of the history table, 0 when no run has created it.
    int history_rows() const;
    // Rows of the events table with event = kind ("apply", "fail", ...).
    int events(const std::string& kind) const;
    // Whether a table (optionally schema.table) exists: sqlite_master or to_regclass.
    bool table_exists(const std::string& table) const;

private:
    std::filesystem::path root_;
    std::string url_;
};

// Polls instead of sleeping a fixed time: fast when the condition comes early, bounded when
// it never does.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace datamig::test
