#include "datamig/catalog.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <future>
#include <memory>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "datamig/error.hpp"
#include "datamig/file_text.hpp"
#include "datamig/sql_text.hpp"
#include "datamig/stop.hpp"

namespace datamig {
namespace fs = std::filesystem;
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Documentation and editor/VCS files may live next to migrations.
bool is_ignored(std::string_view file_name) {
    return starts_with(file_name, ".") || starts_with(file_name, "README") || ends_with(file_name, ".md");
}

// Both paths canonical; compared by components so "/db2" is not inside "/db".
bool is_within(const fs::path& path, const fs::path& root) {
    const auto mismatch = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    return mismatch.first == root.end();
}

bool is_executable(fs::perms permissions) {
    return (permissions & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) != fs::perms::none;
}

Finding file_error(std::string path, std::string code, std::string message) {
    return {Severity::error, std::move(path), 0, std::move(code), std::move(message)};
}

// A phase folder's entry as its listing describes it.
struct PhaseEntry {
    std::string name;
    bool symlink = false;
    // The S_IFMT bits of the entry, for a symlink of what it leads to; 0 for a symlink that leads
    // nowhere, which canonical() reports.
    mode_t type = 0;
};

// The listing tells most entries' type; only symlinks, and entries of file systems that do not
// say, cost a stat().
PhaseEntry describe_entry(DIR* folder, const dirent& entry) {
    PhaseEntry described{entry.d_name, entry.d_type == DT_LNK, static_cast<mode_t>(DTTOIF(entry.d_type))};
    struct stat info {};
    if (entry.d_type == DT_UNKNOWN && ::fstatat(::dirfd(folder), entry.d_name, &info, AT_SYMLINK_NOFOLLOW) == 0) {
        described.symlink = S_ISLNK(info.st_mode);
        described.type = info.st_mode & S_IFMT;
    }
    if (described.symlink) {
        described.type = ::fstatat(::dirfd(folder), entry.d_name, &info, 0) == 0 ? info.st_mode & S_IFMT : 0;
    }
    return described;
}

// What a file that is neither a regular file nor a directory is, for a message.
std::string_view special_file_kind(mode_t type) {
    return S_ISFIFO(type) ? "a named pipe (FIFO)" : S_ISSOCK(type) ? "a socket" : "a device or other special file";
}

// Whether a phase folder can be listed. A missing folder is an empty phase, but one that is a
// symlink leading nowhere (or to itself) or no directory is a finding: taken for an empty phase,
// its migrations would silently never run.
bool is_listable_phase_folder(const fs::path& folder, Findings& findings) {
    std::error_code error;
    const bool is_link = fs::is_symlink(fs::symlink_status(folder, error));
    const fs::file_type type = fs::status(folder, error).type();
    if (type == fs::file_type::not_found && !is_link) return false;
    if (is_link && (type == fs::file_type::not_found || error.value() == ELOOP)) {
        findings.push_back(file_error(folder.string(), "broken-symlink",
                                      "phase folder is a symlink that cannot be followed: " + error.message()));
        return false;
    }
    if (error) throw InvalidInput("cannot read phase folder " + folder.string() + ": " + error.message());
    if (type == fs::file_type::directory) return true;
    findings.push_back(file_error(folder.string(), "invalid-phase-folder", "phase folder is not a directory"));
    return false;
}

// The entries of a phase folder but ignored ones, sorted by name so that results do not
// depend on the file system's order. A missing folder is an empty phase. Read with readdir():
// directory_iterator builds a path for every entry, which cost more than the rest of listing.
std::vector<PhaseEntry> phase_entries(const fs::path& folder, Findings& findings) {
    if (!is_listable_phase_folder(folder, findings)) return {};
    const auto unreadable = [&folder] {
        return InvalidInput("cannot read phase folder " + folder.string() + ": " +
                            std::error_code(errno, std::generic_category()).message());
    };
    const std::unique_ptr<DIR, int (*)(DIR*)> directory(::opendir(folder.c_str()), &::closedir);
    if (!directory) throw unreadable();
    std::vector<PhaseEntry> entries;
    errno = 0;  // readdir() tells an error from the end only by errno
    while (const dirent* entry = ::readdir(directory.get())) {
        throw_if_stopped();  // a phase folder may hold many thousands of entries
        if (!is_ignored(entry->d_name)) entries.push_back(describe_entry(directory.get(), *entry));  // "." and ".." too
        errno = 0;
    }
    if (errno != 0) throw unreadable();
    std::sort(entries.begin(), entries.end(), [](const PhaseEntry& a, const PhaseEntry& b) { return a.name < b.name; });
    return entries;
}

// A phase folder and where it really is: a file that is no symlink is where its folder is.
struct PhaseFolder {
    std::string phase;
    fs::path path;  // root / phase, as files are named to the user
    fs::path canonical;
    bool inside_root = true;
};

PhaseFolder locate_phase_folder(const fs::path& root, const std::string& phase, const fs::path& canonical_root) {
    PhaseFolder folder{phase, root / phase, {}, true};
    std::error_code error;
    folder.canonical = fs::canonical(folder.path, error);
    if (error) throw InvalidInput("cannot read phase folder " + folder.path.string() + ": " + error.message());
    folder.inside_root = is_within(folder.canonical, canonical_root);
    return folder;
}

// Turns one directory entry into a migration file, or into findings when it cannot be one.
std::optional<MigrationFile> to_migration_file(const PhaseFolder& folder, const PhaseEntry& entry,
                                               const fs::path& canonical_root, Findings& findings) {
    // Phase names are [a-z0-9_]+ and entry names hold no '/': the same text as folder.path /
    // entry.name, without building a std::filesystem::path for every file.
    std::string path = folder.path.native() + '/' + entry.name;
    // Resolving costs about ten system calls, so only entries that can lead elsewhere are.
    if (entry.symlink || !folder.inside_root) {
        std::error_code error;
        const fs::path target = entry.symlink ? fs::canonical(path, error) : folder.canonical / entry.name;
        if (error) {
            findings.push_back(file_error(path, "broken-symlink", "symlink cannot be followed: " + error.message()));
            return std::nullopt;
        }
        if (!is_within(target, canonical_root)) {
            findings.push_back(file_error(
                path, "symlink-outside-root",
                "leads outside the migrations directory (to " + target.string() + "); keep migrations inside it"));
            return std::nullopt;
        }
    }
    if (S_ISDIR(entry.type)) {
        findings.push_back(file_error(path, "unexpected-directory",
                                      "unexpected directory in phase folder " + folder.phase +
                                          "; migrations are files directly inside the phase folder"));
        return std::nullopt;
    }
    // Never opened: reading a named pipe waits for a writer that may never come.
    if (!S_ISREG(entry.type)) {
        findings.push_back(file_error(path, "not-a-regular-file",
                                      "is " + std::string(special_file_kind(entry.type)) +
                                          ", not a regular file; a migration must be a regular file"));
        return std::nullopt;
    }
    const std::string& file_name = entry.name;
    FileNameProblem problem;
    auto name = parse_file_name(file_name, problem);
    if (!name) {
        findings.push_back(file_error(path, std::move(problem.code), std::move(problem.message)));
        return std::nullopt;
    }
    Kind kind = Kind::sql;
    if (name->extension != "sql") {
        std::error_code error;
        if (!is_executable(fs::status(path, error).permissions())) {
            findings.push_back(file_error(path, "not-executable",
                                          file_name + " is neither .sql nor executable; chmod +x it or rename it"));
            return std::nullopt;
        }
        kind = Kind::exec;
    }
    return MigrationFile{std::move(name->version), std::move(name->name), folder.phase, std::move(path), kind};
}

Finding version_conflict(const MigrationFile& first, const MigrationFile& second) {
    if (first.phase == second.phase) {
        return file_error(
            second.path, "duplicate-version",
            "version " + second.version + " is also used by " + first.path + "; give one of them a new timestamp");
    }
    return file_error(second.path, "phase-collision",
                      "version " + second.version + " is used in phase " + first.phase + " (" + first.path +
                          ") and in phase " + second.phase + " (" + second.path +
                          "); a version must be unique across phases");
}

// Closes a descriptor on every way out.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd = -1) : fd_(fd) {}
    ~FileDescriptor() { reset(-1); }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    void reset(int fd) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

// Opens files by their name within their folder. Opening by the full path makes the kernel look
// up every component of it again for every file, which was a quarter of loading a tree; files
// come sorted by phase, so their folder rarely changes from one file to the next.
class FileOpener {
public:
    // The file opened for reading, or -1 with errno set, also when its folder cannot be opened.
    int open(const std::string& path) {
        const std::size_t name_start = path.rfind('/') + 1;                            // 0 for a bare name (npos + 1)
        const std::string_view folder = std::string_view(path).substr(0, name_start);  // with its '/': "/" for "/x"
        if (folder != folder_path_ || folder_.get() < 0) {
            folder_path_ = folder;
            // O_PATH: opening a file in the folder needs search permission only, as by full path.
            folder_.reset(::open(folder.empty() ? "." : folder_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        }
        if (folder_.get() < 0) return -1;
        // O_NONBLOCK: opening a named pipe put where a listed file was must not wait for a writer.
        return ::openat(folder_.get(), path.c_str() + name_start, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    }

private:
    std::string folder_path_;
    FileDescriptor folder_;
};

// One open(), fstat() and read() for a regular file: status and check read thousands of files.
std::string read_bytes(FileOpener& opener, const std::string& path) {
    const FileDescriptor file(opener.open(path));
    struct stat info {};
    if (file.get() < 0 || ::fstat(file.get(), &info) != 0) {
        throw InvalidInput("cannot read migration " + path + ": " +
                           std::error_code(errno, std::generic_category()).message());
    }
    // Listing refuses other files; this one was replaced since.
    if (!S_ISREG(info.st_mode)) throw InvalidInput("cannot read migration " + path + ": not a regular file");
    std::string content(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t filled = 0;
    while (filled < content.size()) {
        const ssize_t count = ::read(file.get(), content.data() + filled, content.size() - filled);
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) throw InvalidInput("cannot read migration " + path);
        if (count == 0) break;
        filled += static_cast<std::size_t>(count);
    }
    content.resize(filled);
    return content;
}

void add_ddl_warnings(const Section& section, const std::string& file_label, Findings& findings) {
    for (const Statement& statement : split_statements(section.sql)) {
        if (!is_ddl(statement.text)) continue;
        findings.push_back({Severity::warning, file_label, section.first_line() + statement.first_line - 1,
                            "ddl-statement",
                            leading_keyword(statement.text) +
                                " statement in a data migration; schema changes belong in schema migrations"});
    }
}

// A folder in the root that is no phase is most likely a typo ("postsync"): its migrations
// would never run, so say so instead of ignoring them.
void warn_about_unknown_folders(const fs::path& root, const std::vector<std::string>& phases, Findings& findings) {
    std::error_code error;
    for (fs::directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (!it->is_directory(error) || name == "templates" || is_ignored(name)) continue;
        if (std::find(phases.begin(), phases.end(), name) != phases.end()) continue;
        findings.push_back({Severity::warning, it->path().string(), 0, "unknown-phase-folder",
                            fmt::format("not a phase, so nothing in it runs (phases: {})", fmt::join(phases, ", "))});
    }
}

LoadedMigration load_migration(FileOpener& opener, MigrationFile file, Load load) {
    throw_if_stopped();  // loading thousands of files takes a while; a stopped Job must not wait for it
    const std::string raw = read_bytes(opener, file.path);
    const std::string text = normalize_text(raw);
    LoadedMigration loaded{std::move(file), sha256_hex(text), nullptr, BatchMode::none, {}};
    if (loaded.file.kind == Kind::exec) return loaded;

    const std::string& label = loaded.file.path;
    int bad_line = 0;
    if (!is_valid_utf8(raw, bad_line)) {
        loaded.findings.push_back(
            {Severity::error, label, bad_line, "invalid-utf8", "not valid UTF-8; save the file as UTF-8"});
    }
    ParsedSql parsed = parse_sql_migration(text, label);
    for (Finding& finding : parsed.findings) {
        if (load != Load::summary || finding.severity == Severity::error) loaded.findings.push_back(std::move(finding));
    }
    if (load != Load::summary) {
        add_ddl_warnings(parsed.script.up, label, loaded.findings);
        if (parsed.script.down) add_ddl_warnings(*parsed.script.down, label, loaded.findings);
    }
    if (has_errors(loaded.findings)) return loaded;
    loaded.batch = parsed.script.up.options.batch;
    if (load == Load::full) loaded.script = std::make_shared<const SqlScript>(std::move(parsed.script));
    return loaded;
}

// Loads files[first, last) into loaded[first, last), one after another.
void load_range(std::vector<MigrationFile>& files, std::vector<LoadedMigration>& loaded, std::size_t first,
                std::size_t last, Load load) {
    FileOpener opener;
    for (std::size_t i = first; i < last; ++i) loaded[i] = load_migration(opener, std::move(files[i]), load);
}

// Capped at 8: more would take a large CI machine's every core for a gain that no longer shows
// beside the rest of a run.
std::size_t max_load_threads() { return std::clamp(std::thread::hardware_concurrency(), 1U, 8U); }

}  // namespace

Catalog list_migrations(const fs::path& root, const std::vector<std::string>& phases) {
    std::error_code error;
    if (!fs::is_directory(root, error)) {
        throw InvalidInput("migrations directory " + root.string() +
                           " does not exist or is not a directory (set it with --dir or DATAMIG_DIR)");
    }
    const fs::path canonical_root = fs::canonical(root, error);
    if (error) throw InvalidInput("cannot resolve migrations directory " + root.string() + ": " + error.message());

    Catalog catalog;
    std::unordered_map<std::string, std::size_t> first_by_version;  // index into catalog.files
    // Phases are visited in order and entries sorted by name, whose fixed-width version prefix
    // makes name order version order: `files` comes out sorted without a separate sort.
    for (const std::string& phase : phases) {
        const std::vector<PhaseEntry> entries = phase_entries(root / phase, catalog.findings);
        if (entries.empty()) continue;  // a missing folder, which cannot be resolved, has none
        catalog.files_checked += entries.size();
        const PhaseFolder folder = locate_phase_folder(root, phase, canonical_root);
        // Growing one file at a time would move every file listed so far, again and again.
        catalog.files.reserve(catalog.files.size() + entries.size());
        for (const PhaseEntry& entry : entries) {
            throw_if_stopped();
            auto file = to_migration_file(folder, entry, canonical_root, catalog.findings);
            if (!file) continue;
            const auto [first, inserted] = first_by_version.emplace(file->version, catalog.files.size());
            if (inserted) {
                catalog.files.push_back(std::move(*file));
            } else {
                catalog.findings.push_back(version_conflict(catalog.files[first->second], *file));
            }
        }
    }
    warn_about_unknown_folders(root, phases, catalog.findings);
    return catalog;
}

LoadedMigration load_migration(MigrationFile file, Load load) {
    FileOpener opener;
    return load_migration(opener, std::move(file), load);
}

std::vector<LoadedMigration> load_migrations(std::vector<MigrationFile> files, Load load) {
    const std::size_t threads =
        std::clamp<std::size_t>(files.size() / min_files_per_load_thread, 1, max_load_threads());
    const std::size_t chunk = (files.size() + threads - 1) / threads;
    std::vector<LoadedMigration> loaded(files.size());
    // Declared after `loaded`: on every way out, each future waits for its thread (those of
    // std::async do) before `loaded` and `files` go away.
    std::vector<std::future<void>> later_chunks;
    for (std::size_t first = chunk; first < files.size(); first += chunk) {
        later_chunks.push_back(std::async(std::launch::async, load_range, std::ref(files), std::ref(loaded), first,
                                          std::min(first + chunk, files.size()), load));
    }
    load_range(files, loaded, 0, std::min(chunk, files.size()), load);
    // In order, so that the first of several errors is the first failing file's.
    for (auto& later : later_chunks) later.get();
    return loaded;
}

Findings findings_of(const std::vector<LoadedMigration>& files) {
    Findings findings;
    for (const auto& file : files) findings.insert(findings.end(), file.findings.begin(), file.findings.end());
    return findings;
}

}  // namespace datamig
