#pragma once
#include <chrono>
#include <string>

namespace datamig {

using TimePoint = std::chrono::system_clock::time_point;

// "2026-11-22T09:30:00.123456Z": the one timestamp form stored in history rows and shown.
std::string iso_utc(TimePoint when);

// "20261122093000": a migration version for `when`.
std::string version_at(TimePoint when);

// Timestamps for history rows, strictly increasing within the process, so rows applied in the
// same microsecond still sort in apply order (rollback undoes the latest first).
class RowClock {
public:
    std::string next();

private:
    TimePoint last_{};
};

}  // namespace datamig
