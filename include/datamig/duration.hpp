#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace datamig {

// "1500ms", "2s", "1.5s", "5m", "1h", "0". A bare number means seconds. Throws UsageError
// naming `setting` for anything else.
std::chrono::milliseconds parse_duration(std::string_view text, const std::string& setting);

// 1500 -> "1.5s", 200 -> "200ms": short human form for logs.
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace datamig
