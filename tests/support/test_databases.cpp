#include "support/test_databases.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace datamig::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* null_marker = "<null>";

bool is_sqlite(const std::string& url) { return url.rfind("sqlite:", 0) == 0; }

std::string sqlite_path(const std::string& url) {
    auto path = url.substr(std::string("sqlite:").size());
    if (path.rfind("//", 0) == 0) path.erase(0, 2);
    return path;
}

// The password of a postgres://user:password@host/... URL, "" when there is none.
std::string password_in(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return "";
    const auto authority_start = scheme_end + 3;
    const auto at = url.find('@', authority_start);
    if (at == std::string::npos) return "";
    const auto colon = url.find(':', authority_start);
    if (colon == std::string::npos || colon > at) return "";
    return url.substr(colon + 1, at - colon - 1);
}

std::string redacted(std::string text, const std::string& password) {
    if (password.empty()) return text;
    for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at)) {
        text.replace(at, password.size(), "***");
    }
    return text;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return text;
}

// Temporary folders of SQLite databases, removed when the test program ends.
class TemporaryFolders {
public:
    TemporaryFolders() = default;
    TemporaryFolders(const TemporaryFolders&) = delete;
    TemporaryFolders& operator=(const TemporaryFolders&) = delete;
    ~TemporaryFolders() {
        for (const auto& folder : folders_) {
            std::error_code ignored;
            fs::remove_all(folder, ignored);
        }
    }

    fs::path make() {
        auto pattern = (fs::temp_directory_path() / "datamig-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
        }
        folders_.emplace_back(pattern);
        return folders_.back();
    }

private:
    std::vector<fs::path> folders_;
};

TemporaryFolders& temporary_folders() {
    static TemporaryFolders folders;
    return folders;
}

struct ProcessResult {
    int exit_status = -1;
    std::string out;
    std::string err;
};

// Runs argv without a shell, collecting stdout and stderr (polled together, so neither pipe
// can fill up and stall the child).
ProcessResult run_process(const std::vector<std::string>& arguments) {
    std::array<int, 2> out_pipe{};
    std::array<int, 2> err_pipe{};
    if (pipe2(out_pipe.data(), O_CLOEXEC) != 0 || pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    const pid_t child = fork();
    if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (child == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        std::vector<char*> argv;
        for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
        argv.push_back(nullptr);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);

    ProcessResult result;
    std::array<pollfd, 2> streams{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    int open_streams = 2;
    while (open_streams > 0) {
        if (poll(streams.data(), streams.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (std::size_t i = 0; i < streams.size(); ++i) {
            if (streams[i].fd < 0 || streams[i].revents == 0) continue;
            std::array<char, 4096> buffer{};
            const auto count = read(streams[i].fd, buffer.data(), buffer.size());
            if (count > 0) {
                sinks[i]->append(buffer.data(), static_cast<std::size_t>(count));
            } else if (count == 0 || errno != EINTR) {
                close(streams[i].fd);
                streams[i].fd = -1;
                --open_streams;
            }
        }
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// The SQL goes through a file (-f), so statements run one by one as in a psql script, each
// committing on its own, instead of -c's single implicit transaction.
std::string run_psql(const std::string& url, const std::string& sql) {
    auto script = (fs::temp_directory_path() / "datamig-psql-XXXXXX").string();
    const int fd = mkstemp(script.data());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
    close(fd);
    {
        std::ofstream file(script, std::ios::binary);
        file << sql;
    }
    ProcessResult result;
    try {
        result = run_process({"psql", "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-P",
                              std::string("null=") + null_marker, "-f", script, url});
    } catch (...) {
        fs::remove(script);
        throw;
    }
    fs::remove(script);
    if (result.exit_status != 0) {
        const auto password = password_in(url);
        throw std::runtime_error("psql failed (exit " + std::to_string(result.exit_status) + ") for " +
                                 redacted(url, password) + ": " + redacted(trimmed(result.err), password));
    }
    return result.out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
}

SQLite::Database open_sqlite(const std::string& url) {
    SQLite::Database database(sqlite_path(url), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    // datamig may hold a write lock in another process while a test looks.
    database.setBusyTimeout(10000);
    return database;
}

// The first line of the file `name` beside DATAMIG_TEST_PG_URL_FILE (that file itself when
// `name` is empty); "" without the variable or the file.
std::string cluster_url(const std::string& name = "") {
    const char* file_name = std::getenv("DATAMIG_TEST_PG_URL_FILE");
    if (file_name == nullptr || *file_name == '\0') return "";
    std::ifstream file(name.empty() ? fs::path(file_name) : fs::path(file_name).parent_path() / name);
    std::string url;
    std::getline(file, url);
    return trimmed(url);
}

std::string postgres_admin_url() { return cluster_url(); }

// Same server and credentials, another database: replaces the path of the admin URL.
std::string with_database(const std::string& url, const std::string& database) {
    const auto authority_start = url.find("://") + 3;
    const auto path_start = url.find('/', authority_start);
    const auto query_start = url.find('?', authority_start);
    const auto host_end = std::min(path_start, query_start);
    const auto query = query_start == std::string::npos ? std::string() : url.substr(query_start);
    return url.substr(0, host_end) + "/" + database + query;
}

// Databases made by fresh_database_url, dropped when the test program ends so that a
// long-running development cluster does not fill up.
class CreatedDatabases {
public:
    CreatedDatabases() = default;
    CreatedDatabases(const CreatedDatabases&) = delete;
    CreatedDatabases& operator=(const CreatedDatabases&) = delete;
    ~CreatedDatabases() {
        if (names_.empty()) return;
        std::string drops;
        for (const auto& name : names_) drops += "DROP DATABASE IF EXISTS " + name + " WITH (FORCE);\n";
        try {
            run_psql(admin_url_, drops);
        } catch (...) {
            // The cluster may be gone already; it is thrown away as a whole anyway.
        }
    }

    void add(const std::string& admin_url, const std::string& name) {
        admin_url_ = admin_url;
        names_.push_back(name);
    }

private:
    std::string admin_url_;
    std::vector<std::string> names_;
};

CreatedDatabases& created_databases() {
    static CreatedDatabases databases;
    return databases;
}

std::string unique_database_name() {
    static std::atomic<int> counter{0};
    std::random_device random;
    std::ostringstream name;
    name << "t_" << getpid() << "_" << ++counter << "_" << std::hex << (random() & 0xffffffU);
    return name.str();
}

}  // namespace

std::vector<std::string> available_database_kinds() {
    std::vector<std::string> kinds{"sqlite"};
    if (!postgres_admin_url().empty()) kinds.emplace_back("postgres");
    return kinds;
}

std::string fresh_database_url(const std::string& kind) {
    if (kind == "sqlite") return "sqlite:" + (temporary_folders().make() / "db.sqlite3").string();
    if (kind == "postgres") {
        const auto admin = postgres_admin_url();
        if (admin.empty()) throw std::runtime_error("DATAMIG_TEST_PG_URL_FILE names no PostgreSQL test cluster");
        const auto name = unique_database_name();
        run_psql(admin, "CREATE DATABASE " + name + ";");
        created_databases().add(admin, name);
        return with_database(admin, name);
    }
    throw std::invalid_argument("unknown database kind: " + kind);
}

std::vector<std::string> query_rows(const std::string& url, const std::string& sql) {
    if (!is_sqlite(url)) return lines_of(run_psql(url, sql));
    auto database = open_sqlite(url);
    SQLite::Statement query(database, sql);
    std::vector<std::string> rows;
    while (query.executeStep()) {
        std::string row;
        for (int column = 0; column < query.getColumnCount(); ++column) {
            if (column > 0) row += '|';
            const auto value = query.getColumn(column);
            row += value.isNull() ? std::string(null_marker) : value.getString();
        }
        rows.push_back(row);
    }
    return rows;
}

std::string query_value(const std::string& url, const std::string& sql) {
    const auto rows = query_rows(url, sql);
    if (rows.size() != 1) {
        throw std::runtime_error("expected one row, got " + std::to_string(rows.size()) + " from: " + sql);
    }
    return rows.front();
}

void execute_sql(const std::string& url, const std::string& sql) {
    if (!is_sqlite(url)) {
        run_psql(url, sql);
        return;
    }
    open_sqlite(url).exec(sql);
}

std::string standby_url() { return postgres_admin_url().empty() ? "" : cluster_url("standby_url"); }

ReplayPaused::ReplayPaused(std::string standby) : standby_(std::move(standby)) {
    run_psql(standby_, "SELECT pg_catalog.pg_wal_replay_pause();");
}

ReplayPaused::~ReplayPaused() {
    try {
        resume();
    } catch (...) {
        // The cluster may be gone; a later test that needs the standby fails and says so.
    }
}

void ReplayPaused::resume() {
    if (!paused_) return;
    paused_ = false;
    run_psql(standby_, "SELECT pg_catalog.pg_wal_replay_resume();");
}

}  // namespace datamig::test
