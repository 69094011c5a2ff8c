#include "datamig/file_name.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

#include "datamig/error.hpp"

namespace datamig {
namespace {

constexpr std::size_t version_length = 14;

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }
// SPEC §1: [A-Za-z0-9_-]. Capitals and hyphens because existing dbmate projects use them.
bool is_name_char(char c) {
    return is_ascii_lower(c) || is_ascii_upper(c) || is_ascii_digit(c) || c == '_' || c == '-';
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_ascii_digit);
}

int decimal_value(std::string_view digits) {
    int value = 0;
    for (const char c : digits) value = value * 10 + (c - '0');
    return value;
}

bool is_leap_year(int year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int days_in_month(int year, int month) {
    static constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[static_cast<std::size_t>(month - 1)];
}

// A new CamelCase word starts at an upper-case letter after a lower-case letter or digit
// ("userRoles"), or at the last capital of an acronym followed by lower case ("HTTPServer").
bool starts_camel_case_word(std::string_view name, std::size_t pos) {
    if (pos == 0 || !is_ascii_upper(name[pos])) return false;
    const char previous = name[pos - 1];
    if (is_ascii_lower(previous) || is_ascii_digit(previous)) return true;
    return is_ascii_upper(previous) && pos + 1 < name.size() && is_ascii_lower(name[pos + 1]);
}

}  // namespace

bool is_valid_version(std::string_view version) {
    if (version.size() != version_length || !all_digits(version)) return false;
    const int year = decimal_value(version.substr(0, 4));
    const int month = decimal_value(version.substr(4, 2));
    const int day = decimal_value(version.substr(6, 2));
    const int hour = decimal_value(version.substr(8, 2));
    const int minute = decimal_value(version.substr(10, 2));
    const int second = decimal_value(version.substr(12, 2));
    return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month) && hour < 24 && minute < 60 &&
           second < 60;
}

std::optional<FileName> parse_file_name(std::string_view file_name, FileNameProblem& problem) {
    static const std::string expected =
        "expected YYYYMMDDHHMMSS_name.sql (or another extension for an executable), "
        "a UTC timestamp followed by a name of letters, digits, _ and -";
    // Built only for a bad name: listing parses every file's name.
    const auto quoted = [&] { return "\"" + std::string(file_name) + "\""; };
    // The version is checked before the rest so a bad timestamp is reported as such.
    const std::string_view version = file_name.substr(0, version_length);
    if (version.size() != version_length || !all_digits(version)) {
        problem = {"invalid-name", "file name " + quoted() + " does not start with a 14-digit version; " + expected};
        return std::nullopt;
    }
    if (!is_valid_version(version)) {
        problem = {"invalid-version", "version " + std::string(version) + " of " + quoted() +
                                          " is not a valid UTC date-time (YYYYMMDDHHMMSS)"};
        return std::nullopt;
    }
    if (file_name.size() == version_length || file_name[version_length] != '_') {
        problem = {"invalid-name", "file name " + quoted() + " has no '_' after the version; " + expected};
        return std::nullopt;
    }
    const std::string_view rest = file_name.substr(version_length + 1);
    const std::size_t dot = rest.find('.');
    const std::string_view name = rest.substr(0, dot);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char)) {
        problem = {"invalid-name",
                   "name part \"" + std::string(name) + "\" of " + quoted() + " is invalid; " + expected};
        return std::nullopt;
    }
    const std::string_view extension = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (dot != std::string_view::npos && extension.empty()) {
        problem = {"invalid-name", "file name " + quoted() + " ends with '.'; " + expected};
        return std::nullopt;
    }
    return FileName{std::string(version), std::string(name), std::string(extension)};
}

std::string to_snake_case(std::string_view name) {
    std::string snake;
    bool in_word = false;
    for (std::size_t pos = 0; pos < name.size(); ++pos) {
        const char c = name[pos];
        if (c == ' ' || c == '\t' || c == '-' || c == '_') {
            in_word = false;
            continue;
        }
        if (!is_ascii_lower(c) && !is_ascii_upper(c) && !is_ascii_digit(c)) {
            throw UsageError("migration name \"" + std::string(name) +
                             "\" may only contain letters, digits, spaces, dashes and underscores");
        }
        if (!in_word || starts_camel_case_word(name, pos)) {
            if (!snake.empty()) snake += '_';
            in_word = true;
        }
        snake += is_ascii_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (snake.empty()) throw UsageError("migration name is empty; give one such as BackfillUserRoles");
    return snake;
}

}  // namespace datamig
