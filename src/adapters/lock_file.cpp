#include "datamig/adapters/lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "datamig/clock.hpp"
#include "datamig/error.hpp"

namespace datamig {

bool LockFile::try_lock() {
    if (path_.empty() || fd_ >= 0) return true;
    // O_CLOEXEC: exec migrations must not inherit the lock and keep it alive after we die.
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Unavailable("cannot open lock file " + path_ + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        ::close(fd);
        if (error == EWOULDBLOCK) return false;
        throw Unavailable("cannot lock " + path_ + ": " + std::strerror(error));
    }
    fd_ = fd;
    write_holder("pid " + std::to_string(::getpid()) + " since " + iso_utc(std::chrono::system_clock::now()) + "\n");
    return true;
}

void LockFile::unlock() noexcept {
    if (fd_ < 0) return;
    write_holder("");
    ::close(fd_);  // closing the only descriptor releases the flock
    fd_ = -1;
}

std::string LockFile::holder() const {
    if (path_.empty()) return "";
    std::ifstream file(path_);
    std::string line;
    std::getline(file, line);
    return line;
}

// The holder text is informational; failing to write it must not fail the lock.
void LockFile::write_holder(const std::string& text) noexcept {
    [[maybe_unused]] const int truncated = ::ftruncate(fd_, 0);
    [[maybe_unused]] const auto written = ::pwrite(fd_, text.data(), text.size(), 0);
}

}  // namespace datamig
