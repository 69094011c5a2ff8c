#include "datamig/catalog.hpp"

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <random>

#include "datamig/error.hpp"
#include "datamig/file_text.hpp"
#include "datamig/stop.hpp"

namespace fs = std::filesystem;
using datamig::Catalog;
using datamig::Kind;
using datamig::Severity;
using datamig::test::TempDir;
using datamig::test::write_file;

namespace {

const std::vector<std::string> default_phases = {"pre_sync", "post_sync"};

const datamig::Finding& finding_with_code(const datamig::Findings& findings, const std::string& code) {
    const auto found = std::find_if(findings.begin(), findings.end(), [&](const auto& f) { return f.code == code; });
    REQUIRE(found != findings.end());
    return *found;
}

std::vector<std::string> versions(const Catalog& catalog) {
    std::vector<std::string> result;
    for (const auto& file : catalog.files) result.push_back(file.version);
    return result;
}

datamig::MigrationFile sql_file(const fs::path& path) {
    return {"20261122093000", "x", "pre_sync", path.string(), Kind::sql};
}

// The files of a tree of `count` migrations, listed: three quarters in pre_sync, the rest in
// post_sync. They differ in batch mode, DDL warnings and kind, so that a file loaded into
// another's place would show.
std::vector<datamig::MigrationFile> listed_tree(const TempDir& root, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        const std::string phase = i < count * 3 / 4 ? "pre_sync" : "post_sync";
        const std::string version = std::to_string(20240101000000 + i / 60 * 100 + i % 60);
        if (i % 7 == 6) {
            write_file(root.path() / phase / (version + "_run.sh"), "#!/bin/sh\necho " + version + "\n", true);
            continue;
        }
        write_file(root.path() / phase / (version + "_change.sql"),
                   std::string("-- migrate:up") + (i % 3 == 0 ? " batch:loop" : "") + "\nUPDATE t SET a = " + version +
                       ";\n" + (i % 5 == 0 ? "ALTER TABLE t ADD b int;\n" : ""));
    }
    auto files = datamig::list_migrations(root.path(), default_phases).files;
    REQUIRE(files.size() == count);
    return files;
}

std::vector<std::string> described(const datamig::Findings& findings) {
    std::vector<std::string> result;
    for (const auto& finding : findings) result.push_back(finding.code + " " + datamig::describe(finding));
    return result;
}

// Whether `loaded` holds each of `files`, in order, as load_migration loads it alone.
void check_loaded_one_by_one(const std::vector<datamig::MigrationFile>& files,
                             const std::vector<datamig::LoadedMigration>& loaded) {
    REQUIRE(loaded.size() == files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto alone = datamig::load_migration(files[i]);
        INFO(files[i].path);
        CHECK(loaded[i].file.path == files[i].path);
        CHECK(loaded[i].checksum == alone.checksum);
        CHECK(loaded[i].batch == alone.batch);
        CHECK(described(loaded[i].findings) == described(alone.findings));
        REQUIRE(bool(loaded[i].script) == bool(alone.script));
        if (alone.script) CHECK(loaded[i].script->up.sql == alone.script->up.sql);
    }
}

// The error of loading files with two of them removed after listing.
std::string load_error_without(std::vector<datamig::MigrationFile> files, std::size_t first, std::size_t second) {
    fs::remove(files[first].path);
    fs::remove(files[second].path);
    try {
        datamig::load_migrations(std::move(files), datamig::Load::full);
    } catch (const datamig::InvalidInput& error) {
        return error.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("list_migrations lists valid files in phase order, then version order", "[catalog]") {
    TempDir root;
    write_file(root.path() / "post_sync" / "20260101000000_first_overall.sql", "-- migrate:up\nSELECT 1;\n");
    write_file(root.path() / "post_sync" / "20250101000000_enqueue.sh", "#!/bin/sh\n", true);
    write_file(root.path() / "pre_sync" / "20270101000000_late.sql", "");
    write_file(root.path() / "pre_sync" / "20240101000000_early.sql", "");

    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.findings.empty());
    CHECK(versions(catalog) ==
          std::vector<std::string>{"20240101000000", "20270101000000", "20250101000000", "20260101000000"});
    const auto& exec = catalog.files[2];
    CHECK(exec.name == "enqueue");
    CHECK(exec.phase == "post_sync");
    CHECK(exec.kind == Kind::exec);
    CHECK(exec.path == (root.path() / "post_sync" / "20250101000000_enqueue.sh").string());
    CHECK(catalog.files[0].kind == Kind::sql);
    CHECK(catalog.files[0].phase == "pre_sync");
}

TEST_CASE("list_migrations: missing phase folders are empty phases", "[catalog]") {
    TempDir root;
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.files.empty());
    CHECK(catalog.findings.empty());
}

TEST_CASE("list_migrations: a missing root names the --dir setting", "[catalog]") {
    TempDir root;
    CHECK_THROWS_AS(datamig::list_migrations(root.path() / "nope", default_phases), datamig::InvalidInput);
    CHECK_THROWS_WITH(datamig::list_migrations(root.path() / "nope", default_phases),
                      Catch::Contains("nope") && Catch::Contains("--dir"));
    const auto file = write_file(root.path() / "plain_file", "");
    CHECK_THROWS_AS(datamig::list_migrations(file, default_phases), datamig::InvalidInput);
}

TEST_CASE("list_migrations ignores dot-files, READMEs and Markdown, and folders outside phases", "[catalog]") {
    TempDir root;
    write_file(root.path() / "pre_sync" / ".gitkeep", "");
    write_file(root.path() / "pre_sync" / "README", "");
    write_file(root.path() / "pre_sync" / "README.txt", "");
    write_file(root.path() / "pre_sync" / "notes.md", "");
    write_file(root.path() / "templates" / "sql.sql", "");
    write_file(root.path() / "unrelated.txt", "");
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.files.empty());
    CHECK(catalog.findings.empty());
}

TEST_CASE("list_migrations reports bad names and non-executable files", "[catalog]") {
    TempDir root;
    const auto phase = root.path() / "pre_sync";
    const auto bad_name = write_file(phase / "backfill.sql", "");
    const auto bad_version = write_file(phase / "20230229000000_leap.sql", "");
    const auto with_space = write_file(phase / "20240101000000_back fill.sql", "");
    const auto not_executable = write_file(phase / "20240102000000_enqueue.sh", "");
    write_file(phase / "20240103000000_ok.sql", "");
    write_file(phase / "20240104000000_Backfill-Roles.sql", "");  // dbmate projects name files so

    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(versions(catalog) == std::vector<std::string>{"20240103000000", "20240104000000"});
    CHECK(catalog.files[1].name == "Backfill-Roles");
    CHECK(catalog.files_checked == 6);
    REQUIRE(catalog.findings.size() == 4);
    for (const auto& finding : catalog.findings) {
        CHECK(finding.severity == Severity::error);
        CHECK(finding.line == 0);
    }

    const auto& invalid_version = finding_with_code(catalog.findings, "invalid-version");
    CHECK(invalid_version.file == bad_version.string());

    const auto& chmod = finding_with_code(catalog.findings, "not-executable");
    CHECK(chmod.file == not_executable.string());
    CHECK_THAT(chmod.message, Catch::Contains("chmod +x"));

    int invalid_names = 0;
    for (const auto& finding : catalog.findings) {
        if (finding.code != "invalid-name") continue;
        ++invalid_names;
        CHECK((finding.file == bad_name.string() || finding.file == with_space.string()));
        CHECK_THAT(finding.message, Catch::Contains("YYYYMMDDHHMMSS_name.sql"));
    }
    CHECK(invalid_names == 2);
}

TEST_CASE("list_migrations: a sub-directory inside a phase is an error", "[catalog]") {
    TempDir root;
    fs::create_directories(root.path() / "pre_sync" / "20240101000000_nested");
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.files.empty());
    const auto& finding = finding_with_code(catalog.findings, "unexpected-directory");
    CHECK(finding.file == (root.path() / "pre_sync" / "20240101000000_nested").string());
}

TEST_CASE("list_migrations: symlinks must stay inside the root", "[catalog]") {
    TempDir root;
    TempDir elsewhere;
    const auto outside = write_file(elsewhere.path() / "evil.sql", "-- migrate:up\nSELECT 1;\n");
    const auto inside = write_file(root.path() / "shared" / "common.sql", "-- migrate:up\nSELECT 1;\n");
    fs::create_directories(root.path() / "pre_sync");
    fs::create_symlink(outside, root.path() / "pre_sync" / "20240101000000_outside.sql");
    fs::create_symlink(inside, root.path() / "pre_sync" / "20240102000000_inside.sql");
    fs::create_symlink(root.path() / "gone.sql", root.path() / "pre_sync" / "20240103000000_dangling.sql");

    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(versions(catalog) == std::vector<std::string>{"20240102000000"});
    CHECK(finding_with_code(catalog.findings, "symlink-outside-root").file ==
          (root.path() / "pre_sync" / "20240101000000_outside.sql").string());
    CHECK(finding_with_code(catalog.findings, "broken-symlink").file ==
          (root.path() / "pre_sync" / "20240103000000_dangling.sql").string());
}

TEST_CASE("list_migrations: a symlink to a directory is an unexpected directory", "[catalog]") {
    TempDir root;
    fs::create_directories(root.path() / "shared");
    fs::create_directories(root.path() / "pre_sync");
    fs::create_directory_symlink(root.path() / "shared", root.path() / "pre_sync" / "20240101000000_linked");
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.files.empty());
    CHECK(finding_with_code(catalog.findings, "unexpected-directory").file ==
          (root.path() / "pre_sync" / "20240101000000_linked").string());
}

TEST_CASE("list_migrations: a phase folder linked inside the root is listed", "[catalog]") {
    TempDir root;
    const auto file = write_file(root.path() / "real" / "20240101000000_a.sql", "");
    fs::create_directory_symlink("real", root.path() / "pre_sync");
    fs::create_symlink(file, root.path() / "real" / "20240102000000_b.sql");
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(versions(catalog) == std::vector<std::string>{"20240101000000", "20240102000000"});
    CHECK(catalog.files[0].path == (root.path() / "pre_sync" / "20240101000000_a.sql").string());
    CHECK(finding_with_code(catalog.findings, "unknown-phase-folder").file == (root.path() / "real").string());
}

TEST_CASE("list_migrations: a phase folder linked outside the root is caught too", "[catalog]") {
    TempDir root;
    TempDir elsewhere;
    write_file(elsewhere.path() / "20240101000000_x.sql", "");
    fs::create_directory_symlink(elsewhere.path(), root.path() / "pre_sync");
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.files.empty());
    CHECK(finding_with_code(catalog.findings, "symlink-outside-root").severity == Severity::error);
}

TEST_CASE("list_migrations: duplicate versions within and across phases", "[catalog]") {
    TempDir root;
    const auto first = write_file(root.path() / "pre_sync" / "20240101000000_a.sql", "");
    const auto second = write_file(root.path() / "pre_sync" / "20240101000000_b.sql", "");
    const auto pre = write_file(root.path() / "pre_sync" / "20240202000000_c.sql", "");
    const auto post = write_file(root.path() / "post_sync" / "20240202000000_d.sql", "");

    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    REQUIRE(catalog.files.size() == 2);
    CHECK(catalog.files[0].path == first.string());
    CHECK(catalog.files[1].path == pre.string());

    const auto& duplicate = finding_with_code(catalog.findings, "duplicate-version");
    CHECK(duplicate.severity == Severity::error);
    CHECK(duplicate.file == second.string());
    CHECK_THAT(duplicate.message, Catch::Contains(first.string()));

    const auto& collision = finding_with_code(catalog.findings, "phase-collision");
    CHECK(collision.severity == Severity::error);
    CHECK(collision.file == post.string());
    CHECK_THAT(collision.message, Catch::Contains(pre.string()) && Catch::Contains(post.string()));
    CHECK(catalog.findings.size() == 2);
}

TEST_CASE("list_migrations honours a custom phase list", "[catalog]") {
    TempDir root;
    write_file(root.path() / "cleanup" / "20240101000000_a.sql", "");
    write_file(root.path() / "pre_sync" / "20240102000000_b.sql", "");
    const Catalog catalog = datamig::list_migrations(root.path(), {"cleanup", "pre_sync"});
    CHECK(versions(catalog) == std::vector<std::string>{"20240101000000", "20240102000000"});
    CHECK(datamig::list_migrations(root.path(), {"pre_sync"}).files.size() == 1);
}

TEST_CASE("load_migration parses SQL and checksums the normalised text", "[catalog]") {
    TempDir root;
    const std::string text =
        "-- migrate:up\nUPDATE t SET a = 1 WHERE id = 1;\n-- migrate:down\nUPDATE t SET a = NULL WHERE id = 1;\n";
    const auto unix_path = write_file(root.path() / "unix.sql", text);
    const auto windows_path = write_file(root.path() / "windows.sql",
                                         "\xEF\xBB\xBF-- migrate:up\r\nUPDATE t SET a = 1 WHERE id = 1;\r\n-- "
                                         "migrate:down\r\nUPDATE t SET a = NULL WHERE id = 1;\r\n");

    const auto loaded = datamig::load_migration(sql_file(unix_path));
    CHECK(loaded.findings.empty());
    CHECK(loaded.checksum == datamig::sha256_hex(text));
    REQUIRE(loaded.script);
    CHECK(loaded.script->up.sql == "UPDATE t SET a = 1 WHERE id = 1;\n");
    CHECK(loaded.script->down);
    CHECK(loaded.file.path == unix_path.string());

    const auto windows = datamig::load_migration(sql_file(windows_path));
    CHECK(windows.checksum == loaded.checksum);
    REQUIRE(windows.script);
    CHECK(windows.script->up.sql == loaded.script->up.sql);
}

TEST_CASE("load_migration: findings and summary loads keep no script", "[catalog]") {
    TempDir root;
    const auto batched =
        write_file(root.path() / "batched.sql",
                   "-- migrate:up batch:loop\nCREATE TABLE t (a int);\n-- migrate:down\nDROP TABLE t;\n");
    const auto full = datamig::load_migration(sql_file(batched));
    CHECK(full.findings.size() == 2);  // both DDL warnings
    REQUIRE(full.script);
    CHECK(full.batch == datamig::BatchMode::loop);

    const auto findings = datamig::load_migration(sql_file(batched), datamig::Load::findings);
    CHECK(findings.findings.size() == 2);
    CHECK(findings.checksum == full.checksum);
    CHECK(findings.batch == datamig::BatchMode::loop);
    CHECK_FALSE(findings.script);

    // A summary has no warnings either: status only refuses errors.
    const auto summary = datamig::load_migration(sql_file(batched), datamig::Load::summary);
    CHECK(summary.findings.empty());
    CHECK(summary.checksum == full.checksum);
    CHECK(summary.batch == datamig::BatchMode::loop);
    CHECK_FALSE(summary.script);

    const auto indented = write_file(root.path() / "indented.sql", " -- migrate:up\n-- nothing yet\n");
    CHECK(datamig::load_migration(sql_file(indented), datamig::Load::findings).findings.size() == 2);
    CHECK(datamig::load_migration(sql_file(indented), datamig::Load::summary).findings.empty());

    const auto invalid = write_file(root.path() / "invalid.sql", "-- migrate:up batch:loop fancy:yes\nSELECT 1;\n");
    const auto invalid_summary = datamig::load_migration(sql_file(invalid), datamig::Load::summary);
    CHECK_FALSE(invalid_summary.script);
    CHECK(invalid_summary.batch == datamig::BatchMode::none);  // an invalid file does not resume
    CHECK(finding_with_code(invalid_summary.findings, "unknown-option").line == 1);
}

TEST_CASE("load_migration reads large files whole", "[catalog]") {
    TempDir root;
    std::string text = "-- migrate:up\n";
    while (text.size() < 3 * 1024 * 1024) text += "-- " + std::string(60, 'x') + "\n";
    text += "UPDATE t SET a = 1;\n";
    const auto loaded = datamig::load_migration(sql_file(write_file(root.path() / "big.sql", text)));
    CHECK(loaded.checksum == datamig::sha256_hex(text));
    REQUIRE(loaded.script);
    CHECK(loaded.script->up.sql.size() == text.size() - std::string("-- migrate:up\n").size());
}

TEST_CASE("load_migration: exec files are checksummed, not parsed", "[catalog]") {
    TempDir root;
    const auto path = write_file(root.path() / "20240101000000_run.sh", "#!/bin/sh\r\necho \xFF\r\n", true);
    const auto loaded = datamig::load_migration({"20240101000000", "run", "post_sync", path, Kind::exec});
    CHECK(loaded.checksum == datamig::sha256_hex("#!/bin/sh\necho \xFF\n"));
    CHECK_FALSE(loaded.script);
    CHECK(loaded.findings.empty());
}

TEST_CASE("load_migration reports parse errors and leaves the script unset", "[catalog]") {
    TempDir root;
    const auto path = write_file(root.path() / "bad.sql", "-- migrate:down\nSELECT 1;\n");
    const auto loaded = datamig::load_migration(sql_file(path));
    CHECK_FALSE(loaded.script);
    REQUIRE(loaded.findings.size() == 1);
    CHECK(loaded.findings[0].code == "missing-up");
    CHECK(loaded.findings[0].file == path.string());
    CHECK_FALSE(loaded.checksum.empty());
}

TEST_CASE("load_migration rejects invalid UTF-8 with its line", "[catalog]") {
    TempDir root;
    const auto path = write_file(root.path() / "latin1.sql", "-- migrate:up\nUPDATE t SET name = 'caf\xE9';\n");
    const auto loaded = datamig::load_migration(sql_file(path));
    CHECK_FALSE(loaded.script);
    const auto& finding = finding_with_code(loaded.findings, "invalid-utf8");
    CHECK(finding.line == 2);
    CHECK(finding.file == path.string());
}

TEST_CASE("load_migration warns about DDL in up and down with file lines", "[catalog]") {
    TempDir root;
    const auto path = write_file(root.path() / "ddl.sql",
                                 "-- migrate:up\n"
                                 "UPDATE t SET a = 1 WHERE id = 1;\n"
                                 "\n"
                                 "ALTER TABLE t ADD COLUMN b int;\n"
                                 "-- migrate:down\n"
                                 "-- undo\n"
                                 "DROP INDEX i;\n"
                                 "-- migrate:verify\n"
                                 "SELECT 1;\n");
    const auto loaded = datamig::load_migration(sql_file(path));
    REQUIRE(loaded.script);  // warnings do not make the script unusable
    REQUIRE(loaded.findings.size() == 2);
    CHECK(loaded.findings[0].severity == Severity::warning);
    CHECK(loaded.findings[0].code == "ddl-statement");
    CHECK(loaded.findings[0].line == 4);
    CHECK_THAT(loaded.findings[0].message, Catch::Contains("ALTER"));
    CHECK(loaded.findings[1].line == 7);
    CHECK(loaded.findings[1].file == path.string());
}

TEST_CASE("load_migration: an unreadable file is InvalidInput naming it", "[catalog]") {
    TempDir root;
    const auto path = root.path() / "vanished.sql";
    CHECK_THROWS_AS(datamig::load_migration(sql_file(path)), datamig::InvalidInput);
    CHECK_THROWS_WITH(datamig::load_migration(sql_file(path)), Catch::Contains(path.string()));
}

TEST_CASE("load_migration: a file whose folder is gone is InvalidInput naming the file", "[catalog]") {
    TempDir root;
    const auto path = root.path() / "gone" / "20240101000000_x.sql";
    CHECK_THROWS_WITH(datamig::load_migration(sql_file(path)),
                      "cannot read migration " + path.string() + ": No such file or directory");
}

TEST_CASE("load_migrations loads a large tree in order, as load_migration loads each file", "[catalog]") {
    TempDir root;
    const auto files = listed_tree(root, 2 * datamig::min_files_per_load_thread + 37);
    check_loaded_one_by_one(files, datamig::load_migrations(files, datamig::Load::full));
}

TEST_CASE("load_migrations: of two unreadable files in different chunks, the first is named", "[catalog]") {
    TempDir root;
    // Two threads where there are two cores, each loading one half: the second half fails at its
    // first file, long before the first half reaches its last.
    const std::size_t count = 2 * datamig::min_files_per_load_thread;
    const auto files = listed_tree(root, count);
    const std::string first_failing = files[count / 2 - 1].path;
    const std::string message = load_error_without(files, count / 2 - 1, count / 2);
    CHECK(message == "cannot read migration " + first_failing + ": No such file or directory");
}

TEST_CASE("load_migrations loads a small tree on the calling thread alike", "[catalog]") {
    TempDir root;
    const auto files = listed_tree(root, 9);
    check_loaded_one_by_one(files, datamig::load_migrations(files, datamig::Load::full));
    CHECK(datamig::load_migrations({}, datamig::Load::full).empty());
    CHECK_THAT(load_error_without(files, 2, 7), Catch::Contains(files[2].path) && !Catch::Contains(files[7].path));
}

TEST_CASE("a folder in the root that is no phase is reported as a warning", "[catalog]") {
    TempDir dir;
    fs::create_directories(dir.path() / "postsync");
    fs::create_directories(dir.path() / "templates");
    fs::create_directories(dir.path() / "pre_sync");

    const Catalog catalog = datamig::list_migrations(dir.path(), default_phases);

    REQUIRE(catalog.findings.size() == 1);
    const auto& finding = finding_with_code(catalog.findings, "unknown-phase-folder");
    CHECK(finding.severity == Severity::warning);
    CHECK(finding.file == (dir.path() / "postsync").string());
    CHECK_THAT(finding.message, Catch::Contains("pre_sync, post_sync"));
}

TEST_CASE("findings_of gathers the findings of every file in order", "[catalog]") {
    std::vector<datamig::LoadedMigration> files(3);
    files[0].findings = {{Severity::error, "a.sql", 1, "nul-byte", "NUL"}};
    files[2].findings = {{Severity::warning, "c.sql", 2, "empty-up", "empty"}, {Severity::error, "c.sql", 3, "x", "y"}};
    CHECK(described(datamig::findings_of(files)) ==
          std::vector<std::string>{"nul-byte a.sql:1: NUL", "empty-up c.sql:2: empty", "x c.sql:3: y"});
}

TEST_CASE("list_migrations counts every file it looks at, valid or not", "[catalog]") {
    TempDir root;
    write_file(root.path() / "pre_sync" / "not-a-migration.sql", "");
    write_file(root.path() / "pre_sync" / "20240101000000_a.sql", "");
    write_file(root.path() / "pre_sync" / "README.md", "");
    write_file(root.path() / "post_sync" / "20240101000000_a.sql", "");  // a phase collision
    fs::create_directories(root.path() / "post_sync" / "nested");
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.files.size() == 1);
    CHECK(catalog.files_checked == 4);
}

TEST_CASE("list_migrations never opens what is not a regular file", "[catalog]") {
    TempDir root;
    const auto phase = root.path() / "pre_sync";
    fs::create_directories(phase);
    const auto fifo = phase / "20240101000000_pipe.sql";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    REQUIRE(::mkfifo((root.path() / "shared.pipe").c_str(), 0644) == 0);
    const auto linked = phase / "20240102000000_linked.sql";
    fs::create_symlink(root.path() / "shared.pipe", linked);
    write_file(phase / "20240103000000_ok.sql", "-- migrate:up\nSELECT 1;\n");

    // A listing or load that opened a named pipe would wait here for a writer forever.
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(versions(catalog) == std::vector<std::string>{"20240103000000"});
    REQUIRE(catalog.findings.size() == 2);
    for (const auto& finding : catalog.findings) {
        CHECK(finding.code == "not-a-regular-file");
        CHECK(finding.severity == Severity::error);
        CHECK_THAT(finding.message, Catch::Contains("named pipe"));
    }
    CHECK(catalog.findings[0].file == fifo.string());
    CHECK(catalog.findings[1].file == linked.string());
    CHECK(catalog.files_checked == 3);
}

TEST_CASE("load_migration refuses a file replaced by a named pipe since it was listed", "[catalog]") {
    TempDir root;
    const auto path = root.path() / "20240101000000_x.sql";
    REQUIRE(::mkfifo(path.c_str(), 0644) == 0);
    CHECK_THROWS_WITH(datamig::load_migration(sql_file(path)),
                      "cannot read migration " + path.string() + ": not a regular file");
}

TEST_CASE("list_migrations: a phase folder that is a symlink loop or leads nowhere is an error", "[catalog]") {
    TempDir root;
    fs::create_directory_symlink("pre_sync", root.path() / "pre_sync");
    fs::create_directory_symlink("gone", root.path() / "post_sync");
    const Catalog catalog = datamig::list_migrations(root.path(), default_phases);
    CHECK(catalog.files.empty());
    REQUIRE(catalog.findings.size() == 2);
    CHECK(catalog.findings[0].file == (root.path() / "pre_sync").string());
    CHECK(catalog.findings[0].code == "broken-symlink");
    CHECK(catalog.findings[0].severity == Severity::error);
    CHECK_THAT(catalog.findings[0].message, Catch::Contains("Too many levels of symbolic links"));
    CHECK(catalog.findings[1].file == (root.path() / "post_sync").string());
    CHECK(catalog.findings[1].code == "broken-symlink");
}

TEST_CASE("list_migrations and load_migrations stop on SIGINT/SIGTERM", "[catalog]") {
    TempDir root;
    const auto files = listed_tree(root, 2 * datamig::min_files_per_load_thread + 1);
    datamig::simulate_stop(SIGTERM);
    CHECK_THROWS_AS(datamig::list_migrations(root.path(), default_phases), datamig::Stopped);
    CHECK_THROWS_AS(datamig::load_migrations(files, datamig::Load::findings), datamig::Stopped);
    datamig::simulate_stop(0);
    CHECK(datamig::load_migrations(files, datamig::Load::findings).size() == files.size());
}
