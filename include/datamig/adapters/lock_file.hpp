#pragma once
// The SQLite runner lock: flock() on a side file. The OS drops it when the process dies, so a
// killed runner never leaves a stale lock; the file's content only says who holds it.
#include <string>
#include <utility>

namespace datamig {

class LockFile {
public:
    // An empty path (an in-memory database, which no other process can see) locks trivially.
    explicit LockFile(std::string path) : path_(std::move(path)) {}
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;
    ~LockFile() { unlock(); }

    // Never waits; Unavailable when the file cannot be opened or locked for another reason.
    bool try_lock();
    void unlock() noexcept;
    // "pid 4242 since ...", "" when unknown.
    std::string holder() const;

private:
    void write_holder(const std::string& text) noexcept;

    std::string path_;
    int fd_ = -1;
};

}  // namespace datamig
