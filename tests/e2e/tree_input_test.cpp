// The migrations tree as input (SPEC §1, §2, §4): what counts as a migration file, which files
// are invalid and what check, status, migrate and rollback say about them. Each test runs on the
// suite's database; the files are refused before any of them runs, whatever the database.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

namespace datamig::test {
namespace {

namespace fs = std::filesystem;

const std::string phase_folder = "db/data_migrations/pre_sync";

// A table the migrations below write to: their observable side effect.
void create_effects(const Project& project) { project.execute("CREATE TABLE effects (version TEXT NOT NULL);"); }

int effects(const Project& project) { return project.count("SELECT count(*) FROM effects"); }

std::size_t occurrences(const std::string& text, const std::string& fragment) {
    std::size_t count = 0;
    for (auto at = text.find(fragment); at != std::string::npos; at = text.find(fragment, at + fragment.size())) {
        ++count;
    }
    return count;
}

// Runs `check --format json`, expecting `exit_code`, and returns its findings of one kind
// ("errors" or "warnings") with `code`. A named pipe is what a check could hang on: `timeout`.
std::vector<nlohmann::json> check_findings(const Project& project, int exit_code, const std::string& kind,
                                           const std::string& code,
                                           std::chrono::seconds timeout = std::chrono::seconds(120)) {
    const RunResult check = project.run({"check", "--format", "json"}, {}, timeout);
    INFO("check: " << check.out << check.err);
    CHECK(check.exit_code == exit_code);
    const nlohmann::json document = check.json();
    std::vector<nlohmann::json> found;
    for (const auto& finding : document.at(kind)) {
        if (finding.at("code") == code) found.push_back(finding);
    }
    return found;
}

// migrate refused the tree before running anything: exit 2, one error naming each fragment.
void check_refused(const RunResult& result, const std::vector<std::string>& fragments) {
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(occurrences(result.err, "error:") == 1);
    for (const auto& fragment : fragments) CHECK(result.err.find(fragment) != std::string::npos);
}

// The lines the findings name, in order.
std::vector<int> lines_of(const std::vector<nlohmann::json>& findings) {
    std::vector<int> lines;
    for (const auto& finding : findings) lines.push_back(finding.at("line").get<int>());
    return lines;
}

int applied_rows(const Project& project, const std::string& version) {
    return project.count("SELECT count(*) FROM data_migrations WHERE version = '" + version +
                         "' AND status = 'applied'");
}

}  // namespace

TEST_CASE("an up of only comments applies as a no-op, records its row and rolls back", "[tree]") {
    Project project;
    create_effects(project);
    project.execute("INSERT INTO effects (version) VALUES ('before');");
    project.write_sql("pre_sync", "20261122093000", "placeholder",
                      "-- migrate:up\n-- kept for its version: the backfill moved to a job\n/* nothing */\n\n"
                      "-- migrate:down\n-- nothing to undo\n");

    CHECK(lines_of(check_findings(project, 0, "warnings", "empty-up")) == std::vector<int>{1});
    CHECK(project.run({"check", "--strict"}).exit_code == 1);

    const RunResult migrate = project.run({"migrate"});
    INFO("migrate: " << migrate.out << migrate.err);
    REQUIRE(migrate.exit_code == 0);
    CHECK(migrate.out.find("20261122093000_placeholder") != std::string::npos);
    CHECK(applied_rows(project, "20261122093000") == 1);
    CHECK(project.events("apply") == 1);
    CHECK(project.value("SELECT version FROM effects") == "before");
    CHECK(project.run({"status", "--exit-code"}).exit_code == 0);

    const RunResult rollback = project.run({"rollback"});
    INFO("rollback: " << rollback.out << rollback.err);
    CHECK(rollback.exit_code == 0);
    CHECK(project.history_rows() == 0);
    CHECK(effects(project) == 1);
}

TEST_CASE("file names with capitals and hyphens are migrations, as dbmate projects write them", "[tree]") {
    Project project;
    create_effects(project);
    project.write_sql("pre_sync", "20261122093000", "Backfill-User_Roles",
                      "-- migrate:up\nINSERT INTO effects (version) VALUES ('dbmate');\n");
    project.write_sql("pre_sync", "20261122093001", "bad name", "-- migrate:up\nSELECT 1;\n");

    const RunResult check = project.run({"check"});
    INFO("check: " << check.out << check.err);
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("Backfill-User_Roles") == std::string::npos);
    CHECK(check.out.find("20261122093001_bad name.sql") != std::string::npos);
    CHECK(check.out.find("letters, digits, _ and -") != std::string::npos);

    fs::remove(project.root() / phase_folder / "20261122093001_bad name.sql");
    const RunResult migrate = project.run({"migrate"});
    INFO("migrate: " << migrate.out << migrate.err);
    REQUIRE(migrate.exit_code == 0);
    CHECK(project.value("SELECT name FROM data_migrations WHERE version = '20261122093000'") == "Backfill-User_Roles");
    CHECK(effects(project) == 1);

    const RunResult generate = project.run({"generate", "Backfill-User Roles"});
    CHECK(generate.exit_code == 0);
    CHECK(generate.out.find("_backfill_user_roles.sql") != std::string::npos);
}

TEST_CASE("an indented marker still runs, and check warns that dbmate would not read it", "[tree]") {
    Project project;
    create_effects(project);
    project.write_sql("pre_sync", "20261122093000", "indented",
                      "  -- migrate:up\nINSERT INTO effects (version) VALUES ('up');\n"
                      "\t-- migrate:down\nDELETE FROM effects;\n");

    const auto indented = check_findings(project, 0, "warnings", "indented-marker");
    REQUIRE(lines_of(indented) == std::vector<int>{1, 3});
    CHECK(indented[0].at("file").get<std::string>().find("20261122093000_indented.sql") != std::string::npos);
    CHECK(project.run({"check", "--strict"}).exit_code == 1);

    REQUIRE(project.run({"migrate"}).exit_code == 0);
    CHECK(effects(project) == 1);
    REQUIRE(project.run({"rollback"}).exit_code == 0);
    CHECK(effects(project) == 0);
}

TEST_CASE("a NUL byte makes a file invalid instead of cutting its statement short", "[tree]") {
    Project project;
    project.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL);");
    project.execute("INSERT INTO items (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c');");
    project.write_sql("pre_sync", "20261122093000", "nul_byte",
                      std::string("-- migrate:up\nUPDATE items SET v = 'x'") + '\0' + " WHERE id = 1;\n");

    CHECK(lines_of(check_findings(project, 1, "errors", "nul-byte")) == std::vector<int>{2});

    check_refused(project.run({"migrate"}), {"20261122093000_nul_byte.sql:2", "NUL"});
    CHECK(project.rows("SELECT v FROM items ORDER BY id") == std::vector<std::string>{"a", "b", "c"});
    CHECK(project.history_rows() == 0);
}

TEST_CASE("a comment, string or quote never closed is refused with the line where it opens", "[tree]") {
    struct Unclosed {
        std::string what;
        std::string sections;  // after the up section's first line
        int line;
    };
    const auto unclosed = GENERATE(values<Unclosed>({
        {"block comment in up", "/* the rest is a comment\nINSERT INTO effects (version) VALUES ('after');\n", 3},
        {"string in up", "UPDATE effects SET version = 'open;\nDELETE FROM effects;\n", 3},
        {"escape string in up", "SELECT E'it\\'s;\nDELETE FROM effects;\n", 3},
        {"quoted identifier in up", "SELECT \"open FROM effects;\nINSERT INTO effects (version) VALUES ('x');\n", 3},
        {"dollar quote in up", "SELECT $fn$ open $f$;\nINSERT INTO effects (version) VALUES ('after');\n", 3},
        {"block comment in down", "\n-- migrate:down\nDELETE FROM effects;\n/* later\n", 6},
        {"string in verify", "-- migrate:verify\nSELECT count(*) = 1 FROM effects WHERE version = 'up;\n", 4},
    }));
    INFO(unclosed.what);
    Project project;
    create_effects(project);
    project.write_sql("pre_sync", "20261122093000", "unclosed",
                      "-- migrate:up\nINSERT INTO effects (version) VALUES ('up');\n" + unclosed.sections);

    CHECK(lines_of(check_findings(project, 1, "errors", "unterminated")) == std::vector<int>{unclosed.line});

    const std::string file_line = fmt::format("20261122093000_unclosed.sql:{}", unclosed.line);
    check_refused(project.run({"migrate"}), {file_line, "never closed"});
    CHECK(effects(project) == 0);
    CHECK(project.history_rows() == 0);
}

TEST_CASE("a named pipe or socket named like a migration is reported, never opened", "[tree]") {
    Project project;
    create_effects(project);
    const fs::path folder = project.root() / phase_folder;
    REQUIRE(::mkfifo((folder / "20261122093000_pipe.sql").c_str(), 0644) == 0);
    const fs::path shared_pipe = project.root() / "db/data_migrations/shared.pipe";  // inside the root
    REQUIRE(::mkfifo(shared_pipe.c_str(), 0644) == 0);
    fs::create_symlink(shared_pipe, folder / "20261122093001_linked_pipe.sql");
    const int listening = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(listening >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string socket_path = (folder / "20261122093002_socket.sh").string();
    REQUIRE(socket_path.size() < sizeof address.sun_path);
    std::strcpy(address.sun_path, socket_path.c_str());
    REQUIRE(::bind(listening, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    project.write_sql("pre_sync", "20261122093003", "valid", "-- migrate:up\nINSERT INTO effects VALUES ('x');\n");

    // Opening a named pipe waits for a writer: a hang here is what this guards against.
    const auto limit = std::chrono::seconds(20);
    std::set<std::string> files;
    for (const auto& finding : check_findings(project, 1, "errors", "not-a-regular-file", limit)) {
        files.insert(fs::path(finding.at("file").get<std::string>()).filename().string());
    }
    CHECK(files == std::set<std::string>{"20261122093000_pipe.sql", "20261122093001_linked_pipe.sql",
                                         "20261122093002_socket.sh"});

    check_refused(project.run({"migrate"}, {}, limit), {"20261122093000_pipe.sql", "named pipe", "socket"});
    CHECK(effects(project) == 0);
    const RunResult status = project.run({"status"}, {}, limit);
    CHECK(status.exit_code == 2);
    ::close(listening);
}

TEST_CASE("SIGTERM while check loads a large tree stops it", "[tree]") {
    Project project;
    // Enough files that listing and loading them takes a good fraction of a second.
    for (int i = 0; i < 20000; ++i) {
        const std::string version = fmt::format("20240101{:02}{:02}{:02}", i / 3600, i / 60 % 60, i % 60);
        project.write_sql("pre_sync", version, fmt::format("m{}", i), fmt::format("-- migrate:up\nSELECT {};\n", i));
    }
    const int pid = project.spawn({"check"});
    // While it lists or loads the phase folder, the process holds a descriptor of it open.
    const fs::path folder = fs::canonical(project.root() / phase_folder);
    const auto holds_folder = [&] {
        std::error_code ignored;
        for (fs::directory_iterator fd(fmt::format("/proc/{}/fd", pid), ignored), end; !ignored && fd != end;
             fd.increment(ignored)) {
            if (fs::read_symlink(fd->path(), ignored) == folder) return true;
        }
        return false;
    };
    // Polled every millisecond rather than with eventually()'s 50 ms, so the signal lands near the
    // start of the work, not at its end.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool loading = false;
    while (!(loading = holds_folder()) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::kill(pid, SIGTERM);
    const RunResult result = project.wait(pid);
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(loading);
    CHECK(result.exit_code == 143);
    CHECK(result.out.find("files checked") == std::string::npos);
    CHECK(result.err.find("stopped by SIGTERM") != std::string::npos);
}

TEST_CASE("a phase folder that is a symlink loop is an error, not an empty phase", "[tree]") {
    Project project;
    create_effects(project);
    project.write_sql("post_sync", "20261122093000", "later", "-- migrate:up\nINSERT INTO effects VALUES ('x');\n");
    fs::remove(project.root() / phase_folder);
    fs::create_directory_symlink("pre_sync", project.root() / phase_folder);

    const auto broken = check_findings(project, 1, "errors", "broken-symlink");
    REQUIRE(broken.size() == 1);
    CHECK(broken[0].at("file").get<std::string>().find("pre_sync") != std::string::npos);

    check_refused(project.run({"migrate"}), {"pre_sync", "symlink"});
    CHECK(effects(project) == 0);
    CHECK(project.history_rows() == 0);
    CHECK(project.run({"status"}).exit_code == 2);
}

TEST_CASE("status refuses a tree with invalid files instead of showing less", "[tree][status]") {
    Project project;
    SECTION("every file invalid: no \"no migrations yet\"") {
        project.write("db/data_migrations/pre_sync/backfill.sql", "-- migrate:up\nSELECT 1;\n");
        project.write("db/data_migrations/post_sync/2026112209300_short.sql", "-- migrate:up\nSELECT 1;\n");
        for (const auto& args :
             {std::vector<std::string>{"status"}, {"status", "--exit-code"}, {"status", "--format", "json"}}) {
            const RunResult status = project.run(args);
            INFO("stdout: " << status.out << "\nstderr: " << status.err);
            CHECK(status.exit_code == 2);
            CHECK(status.out.find("no migrations yet") == std::string::npos);
            CHECK(status.err.find("backfill.sql") != std::string::npos);
            CHECK(status.err.find("2026112209300_short.sql") != std::string::npos);
        }
    }
    SECTION("one file of two invalid: no smaller pending count") {
        project.write_sql("pre_sync", "20261122093000", "valid", "-- migrate:up\nSELECT 1;\n");
        project.write_sql("pre_sync", "20261122093001", "no_up", "-- migrate:down\nSELECT 1;\n");
        const RunResult status = project.run({"status"});
        INFO("stdout: " << status.out << "\nstderr: " << status.err);
        CHECK(status.exit_code == 2);
        CHECK(status.out.find("1 pending") == std::string::npos);
        CHECK(status.err.find("20261122093001_no_up.sql") != std::string::npos);
    }
}

TEST_CASE("check counts every file it looked at, valid or not", "[tree][check]") {
    Project project;
    for (const std::string name : {"backfill.sql", "20261399000000_bad_month.sql", "20261122093000_no_up.sql"}) {
        project.write("db/data_migrations/pre_sync/" + name, "-- migrate:down\nSELECT 1;\n");
    }
    project.write_sql("post_sync", "20261122093001", "valid", "-- migrate:up\nSELECT 1;\n");
    const RunResult check = project.run({"check"});
    INFO("stdout: " << check.out << "\nstderr: " << check.err);
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("4 files checked: 3 errors, 0 warnings") != std::string::npos);
}

TEST_CASE("migrate and rollback count warnings in one line and leave listing them to check", "[tree]") {
    Project project;
    project.write_sql("pre_sync", "20261122093000", "schema_change",
                      "-- migrate:up\nCREATE TABLE made (a INTEGER);\nCREATE INDEX made_a ON made (a);\n"
                      "-- migrate:down\nDROP TABLE made;\n");
    const auto warning_lines = [](const RunResult& result) {
        std::vector<std::string> lines;
        std::size_t start = 0;
        for (std::size_t end = result.err.find('\n'); end != std::string::npos; end = result.err.find('\n', start)) {
            const std::string line = result.err.substr(start, end - start);
            if (line.find("warning") != std::string::npos) lines.push_back(line);
            start = end + 1;
        }
        return lines;
    };

    const RunResult migrate = project.run({"migrate"});
    INFO("migrate stderr: " << migrate.err);
    REQUIRE(migrate.exit_code == 0);
    const auto migrate_warnings = warning_lines(migrate);
    REQUIRE(migrate_warnings.size() == 1);
    CHECK(migrate_warnings[0].find("3 warnings") != std::string::npos);
    CHECK(migrate_warnings[0].find("datamig check") != std::string::npos);
    CHECK(migrate.err.find("CREATE statement") == std::string::npos);

    const RunResult rollback = project.run({"rollback"});
    INFO("rollback stderr: " << rollback.err);
    REQUIRE(rollback.exit_code == 0);
    CHECK(warning_lines(rollback).size() == 1);
    CHECK(rollback.err.find("DROP statement") == std::string::npos);

    const RunResult check = project.run({"check"});
    CHECK(occurrences(check.out, "[ddl-statement]") == 3);
}

TEST_CASE("400 invalid files give the first 20 and a count, not 400 lines", "[tree]") {
    Project project;
    for (int i = 0; i < 400; ++i) {
        project.write(fmt::format("db/data_migrations/pre_sync/bad_{:03}.sql", i), "-- migrate:up\nSELECT 1;\n");
    }
    const RunResult migrate = project.run({"migrate"});
    check_refused(migrate, {"bad_000.sql", "bad_019.sql", "… and 380 more (run datamig check)"});
    CHECK(migrate.err.find("bad_020.sql") == std::string::npos);
    CHECK(std::count(migrate.err.begin(), migrate.err.end(), '\n') <= 22);

    const RunResult check = project.run({"check"});
    CHECK(check.out.find("400 files checked: 400 errors") != std::string::npos);
}

}  // namespace datamig::test
