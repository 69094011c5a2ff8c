#include "datamig/duration.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "datamig/error.hpp"

namespace datamig {

namespace {

// Durations become deadlines on steady_clock, which counts nanoseconds in 64 bits: a longer
// one would wrap around to a deadline in the past (no pause, no timeout). Half the clock's
// range leaves room for the time since boot that now() already holds: about 146 years.
constexpr std::int64_t max_milliseconds =
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::duration::max()).count() / 2;
constexpr std::int64_t milliseconds_per_second = 1'000;
constexpr std::int64_t milliseconds_per_minute = 60'000;
constexpr std::int64_t milliseconds_per_hour = 3'600'000;

[[noreturn]] void reject_duration(std::string_view text, const std::string& setting) {
    throw UsageError("invalid duration '" + std::string(text) + "' for " + setting + ": use e.g. 200ms, 2s, 5m");
}

[[noreturn]] void reject_too_long(std::string_view text, const std::string& setting) {
    throw UsageError("duration '" + std::string(text) + "' for " + setting + " is too long: at most " +
                     std::to_string(max_milliseconds / milliseconds_per_hour) + "h");
}

std::string_view trim_blanks(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

// A bare number means seconds, as in most tools' timeout settings.
std::optional<std::int64_t> milliseconds_per_unit(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit.empty() || unit == "s") return milliseconds_per_second;
    if (unit == "m") return milliseconds_per_minute;
    if (unit == "h") return milliseconds_per_hour;
    return std::nullopt;
}

std::optional<std::int64_t> parse_digits(std::string_view digits) {
    std::int64_t value = 0;
    for (const char digit : digits) {
        const std::int64_t digit_value = digit - '0';
        if (value > (max_milliseconds - digit_value) / 10) return std::nullopt;
        value = value * 10 + digit_value;
    }
    return value;
}

// The fraction's share in whole milliseconds, computed exactly in integers so "1.1s" is
// 1100ms and not 1099ms. nullopt when it is not a whole number of milliseconds ("0.5ms").
std::optional<std::int64_t> fraction_milliseconds(std::string_view fraction_digits, std::int64_t per_unit) {
    const auto last_significant = fraction_digits.find_last_not_of('0');
    if (last_significant == std::string_view::npos) return 0;
    const std::string_view significant = fraction_digits.substr(0, last_significant + 1);
    // An hour, the largest unit, is 2^7 * 5^5 * 9 ms, so no fraction with more than 7
    // significant digits can come out as whole milliseconds.
    if (significant.size() > 7) return std::nullopt;
    std::int64_t scale = 1;
    for (std::size_t i = 0; i < significant.size(); ++i) scale *= 10;
    const std::int64_t numerator = *parse_digits(significant) * per_unit;
    if (numerator % scale != 0) return std::nullopt;
    return numerator / scale;
}

std::string seconds_text(std::uint64_t milliseconds) {
    std::string text = std::to_string(milliseconds / 1000);
    if (const auto fraction = milliseconds % 1000; fraction != 0) {
        std::string digits = std::to_string(fraction);
        digits.insert(0, 3 - digits.size(), '0');
        digits.erase(digits.find_last_not_of('0') + 1);
        text += "." + digits;
    }
    return text + "s";
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text, const std::string& setting) {
    const std::string_view duration = trim_blanks(text);
    if (duration.empty()) throw UsageError(setting + ": empty value; give a duration such as 200ms, 2s, 5m");
    const auto whole_end = std::min(duration.find_first_not_of("0123456789"), duration.size());
    const std::string_view whole_digits = duration.substr(0, whole_end);
    std::string_view rest = duration.substr(whole_end);
    if (whole_digits.empty()) reject_duration(text, setting);

    std::string_view fraction_digits;
    if (!rest.empty() && rest.front() == '.') {
        rest.remove_prefix(1);
        const auto fraction_end = std::min(rest.find_first_not_of("0123456789"), rest.size());
        fraction_digits = rest.substr(0, fraction_end);
        rest.remove_prefix(fraction_end);
        if (fraction_digits.empty()) reject_duration(text, setting);
    }

    const auto per_unit = milliseconds_per_unit(rest);
    const auto whole = parse_digits(whole_digits);
    if (!per_unit) reject_duration(text, setting);
    if (!whole) reject_too_long(text, setting);
    const auto fraction = fraction_milliseconds(fraction_digits, *per_unit);
    if (!fraction) reject_duration(text, setting);
    if (*whole > (max_milliseconds - *fraction) / *per_unit) reject_too_long(text, setting);
    return std::chrono::milliseconds(*whole * *per_unit + *fraction);
}

std::string format_duration(std::chrono::milliseconds duration) {
    const std::int64_t count = duration.count();
    // Unsigned magnitude: negating the most negative count would overflow.
    const std::uint64_t magnitude =
        count < 0 ? 0 - static_cast<std::uint64_t>(count) : static_cast<std::uint64_t>(count);
    const std::string sign = count < 0 ? "-" : "";
    if (magnitude < milliseconds_per_second) return sign + std::to_string(magnitude) + "ms";

    const auto per_hour = static_cast<std::uint64_t>(milliseconds_per_hour);
    const auto per_minute = static_cast<std::uint64_t>(milliseconds_per_minute);
    const std::uint64_t hours = magnitude / per_hour;
    const std::uint64_t minutes = magnitude % per_hour / per_minute;
    const std::uint64_t rest = magnitude % per_minute;
    std::string text = sign;
    if (hours != 0) text += std::to_string(hours) + "h";
    if (minutes != 0) text += std::to_string(minutes) + "m";
    if (rest != 0) text += seconds_text(rest);
    return text;
}

}  // namespace datamig
