#include "datamig/clock.hpp"

#include <ctime>

#include <fmt/format.h>

namespace datamig {
namespace {

std::tm utc_fields(TimePoint when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm fields{};
    gmtime_r(&seconds, &fields);
    return fields;
}

}  // namespace

std::string iso_utc(TimePoint when) {
    const std::tm t = utc_fields(when);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count() % 1'000'000;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                       t.tm_hour, t.tm_min, t.tm_sec, micros);
}

std::string version_at(TimePoint when) {
    const std::tm t = utc_fields(when);
    return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
                       t.tm_sec);
}

std::string RowClock::next() {
    auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    if (now <= last_)
        now = std::chrono::time_point_cast<std::chrono::microseconds>(last_) + std::chrono::microseconds(1);
    last_ = now;
    return iso_utc(now);
}

}  // namespace datamig
