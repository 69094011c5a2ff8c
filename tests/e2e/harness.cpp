#include "e2e/harness.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <catch2/catch.hpp>

#include "support/test_databases.hpp"

extern char** environ;

namespace datamig::test {
namespace fs = std::filesystem;
namespace {

// Where spawned processes write their output: files, not pipes, so a child that prints a
// lot never blocks on a reader that is busy waiting for it.
constexpr const char* output_folder = ".datamig-e2e";
constexpr std::chrono::seconds default_wait(120);
constexpr uid_t nobody = 65534;  // "nobody" and "nogroup" on Debian

[[noreturn]] void fail_system(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::string read_whole_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

bool is_leaky_variable(const std::string& name) {
    return name.rfind("DATAMIG_", 0) == 0 || name == "DATABASE_URL" || name == "USER";
}

// The child's environment: ours without anything from the developer's shell that would
// change datamig's behaviour, plus the project's database, plus the test's overrides.
std::vector<std::string> child_environment(const std::string& database_url,
                                           const std::map<std::string, std::string>& overrides) {
    std::map<std::string, std::string> variables;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals == std::string::npos) continue;
        const std::string name = text.substr(0, equals);
        if (!is_leaky_variable(name)) variables[name] = text.substr(equals + 1);
    }
    if (!database_url.empty()) variables["DATABASE_URL"] = database_url;
    variables["USER"] = "e2e";
    for (const auto& [name, value] : overrides) {
        if (value.empty()) {
            variables.erase(name);
        } else {
            variables[name] = value;
        }
    }
    std::vector<std::string> environment;
    for (const auto& [name, value] : variables) environment.push_back(name + "=" + value);
    return environment;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (auto& text : strings) pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
}

fs::path output_file(const fs::path& folder, int pid, const char* stream) {
    return folder / (std::to_string(pid) + "." + stream);
}

// Starts `program` in `working_dir` with stdout/stderr going to <folder>/<pid>.out|.err.
// The child leads its own process group so a timeout can kill whatever it started too.
// `as_nobody` (when the tests run as root) drops to the unprivileged user, for tests of
// permissions that root would bypass.
int start_process(const std::string& program, const std::vector<std::string>& args,
                  std::vector<std::string> environment, const fs::path& working_dir, const fs::path& folder,
                  bool as_nobody = false) {
    fs::create_directories(folder);
    static std::atomic<int> counter{0};
    const std::string unique = std::to_string(getpid()) + "-" + std::to_string(++counter);
    const fs::path out_path = folder / ("starting-" + unique + ".out");
    const fs::path err_path = folder / ("starting-" + unique + ".err");
    const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out_fd < 0 || err_fd < 0 || null_fd < 0) fail_system("open output files in " + folder.string());

    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    auto argv = pointers_to(argv_strings);
    auto envp = pointers_to(environment);
    const std::string cwd = working_dir.string();

    const pid_t child = fork();
    if (child < 0) fail_system("fork");
    if (child == 0) {
        setpgid(0, 0);
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0 ||
            chdir(cwd.c_str()) != 0) {
            _exit(126);
        }
        if (as_nobody && geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(nobody) != 0 || setuid(nobody) != 0)) {
            _exit(126);
        }
        execve(argv[0], argv.data(), envp.data());
        const char message[] = "e2e harness: execve failed\n";
        [[maybe_unused]] const auto ignored = write(STDERR_FILENO, message, sizeof message - 1);
        _exit(127);
    }
    close(out_fd);
    close(err_fd);
    close(null_fd);
    fs::rename(out_path, output_file(folder, child, "out"));
    fs::rename(err_path, output_file(folder, child, "err"));
    return child;
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// Waits for `pid` at most `timeout`; past it, kills the child's process group and fails.
RunResult finish_process(int pid, const fs::path& folder, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    bool timed_out = false;
    for (;;) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) fail_system("waitpid");
        if (std::chrono::steady_clock::now() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    RunResult result;
    result.exit_code = exit_code_of(status);
    const auto out_path = output_file(folder, pid, "out");
    const auto err_path = output_file(folder, pid, "err");
    result.out = read_whole_file(out_path);
    result.err = read_whole_file(err_path);
    std::error_code ignored;
    fs::remove(out_path, ignored);
    fs::remove(err_path, ignored);
    if (timed_out) {
        FAIL("process " << pid << " did not finish within " << timeout.count() << "ms and was killed; stderr:\n"
                        << result.err);
    }
    return result;
}

fs::path make_temporary_folder(const std::string& prefix) {
    auto pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) fail_system("mkdtemp " + pattern);
    return pattern;
}

}  // namespace

nlohmann::json RunResult::json() const {
    try {
        return nlohmann::json::parse(out);
    } catch (const nlohmann::json::exception& error) {
        FAIL("stdout is not one JSON document (" << error.what() << "):\n" << out << "\nstderr:\n" << err);
    }
    return {};
}

std::string suite_database_kind() {
    const char* kind = std::getenv("DATAMIG_TEST_DB");
    return kind != nullptr && *kind != '\0' ? std::string(kind) : std::string("sqlite");
}

std::string sha256_of_file(const fs::path& file) {
    const fs::path folder = make_temporary_folder("datamig-e2e-sha");
    const int pid = start_process("/usr/bin/sha256sum", {fs::absolute(file).string()}, child_environment("", {}),
                                  fs::current_path(), folder);
    const RunResult result = finish_process(pid, folder, std::chrono::seconds(30));
    fs::remove_all(folder);
    if (result.exit_code != 0 || result.out.size() < 64) throw std::runtime_error("sha256sum failed: " + result.err);
    return result.out.substr(0, 64);
}

Project::Project() : root_(make_temporary_folder("datamig-e2e")), url_(fresh_database_url(suite_database_kind())) {
    fs::create_directories(root_ / "db/data_migrations/pre_sync");
    fs::create_directories(root_ / "db/data_migrations/post_sync");
}

Project::~Project() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
}

fs::path Project::write(const std::string& relative_path, const std::string& content, bool executable) {
    const fs::path path = root_ / relative_path;
    fs::create_directories(path.parent_path());
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
    }
    fs::permissions(path, executable ? fs::perms(0755) : fs::perms(0644));
    return path;
}

fs::path Project::write_sql(const std::string& phase, const std::string& version, const std::string& name,
                            const std::string& content) {
    return write("db/data_migrations/" + phase + "/" + version + "_" + name + ".sql", content);
}

std::string Project::read(const std::string& relative_path) const { return read_whole_file(root_ / relative_path); }

RunResult Project::run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                       std::chrono::seconds timeout) const {
    const int pid = spawn(args, env);
    return finish_process(pid, root_ / output_folder, timeout);
}

RunResult Project::run_as_nobody(const std::vector<std::string>& args) const {
    // The unprivileged child must be able to enter the project folder (mkdtemp makes it 0700)
    // and to run the binary, wherever the build tree is: it gets a copy inside the project, with
    // the PostgreSQL module beside it where the binary looks.
    constexpr auto everyone_runs = fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec;
    const fs::path folder = root_ / ".datamig-e2e";
    fs::create_directories(folder);
    for (const fs::path& file : {fs::path(DATAMIG_BINARY), fs::path(DATAMIG_POSTGRES_MODULE)}) {
        fs::copy_file(file, folder / file.filename(), fs::copy_options::overwrite_existing);
        fs::permissions(folder / file.filename(), everyone_runs);
    }
    for (const fs::path& path : {root_, folder}) fs::permissions(path, everyone_runs);
    const int pid = start_process((folder / fs::path(DATAMIG_BINARY).filename()).string(), args,
                                  child_environment(url_, {}), root_, root_ / output_folder, true);
    return finish_process(pid, root_ / output_folder, default_wait);
}

RunResult Project::run_binary(const fs::path& binary, const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env) const {
    const int pid = start_process(binary.string(), args, child_environment(url_, env), root_, root_ / output_folder);
    return finish_process(pid, root_ / output_folder, default_wait);
}

int Project::spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) const {
    return start_process(DATAMIG_BINARY, args, child_environment(url_, env), root_, root_ / output_folder);
}

RunResult Project::wait(int pid) const { return finish_process(pid, root_ / output_folder, default_wait); }

std::string Project::stderr_so_far(int pid) const {
    return read_whole_file(output_file(root_ / output_folder, pid, "err"));
}

std::vector<std::string> Project::rows(const std::string& sql) const { return query_rows(url_, sql); }

std::string Project::value(const std::string& sql) const { return query_value(url_, sql); }

void Project::execute(const std::string& sql) const { execute_sql(url_, sql); }

bool Project::table_exists(const std::string& table) const {
    if (suite_database_kind() == "postgres") return value("SELECT to_regclass('" + table + "') IS NOT NULL") == "t";
    const auto dot = table.find('.');
    const std::string schema = dot == std::string::npos ? "main" : table.substr(0, dot);
    const std::string name = dot == std::string::npos ? table : table.substr(dot + 1);
    return value("SELECT count(*) FROM " + schema + ".sqlite_master WHERE type = 'table' AND name = '" + name + "'") !=
           "0";
}

int Project::history_rows() const {
    return table_exists("data_migrations") ? count("SELECT count(*) FROM data_migrations") : 0;
}

int Project::events(const std::string& kind) const {
    return count("SELECT count(*) FROM data_migrations_events WHERE event = '" + kind + "'");
}

}  // namespace datamig::test
