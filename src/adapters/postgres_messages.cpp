#include "datamig/adapters/postgres_messages.hpp"

#include <set>
#include <sstream>

#include "datamig/sql_text.hpp"

namespace datamig {

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return "";
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

std::string single_line(std::string_view text) {
    std::string joined;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        const auto trimmed = trim(line);
        if (trimmed.empty()) continue;
        if (!joined.empty()) joined += ' ';
        joined += trimmed;
    }
    return joined;
}

std::string server_message(std::string_view text) {
    auto message = trim(text.substr(0, text.find('\n')));
    for (std::string_view severity : {"ERROR:", "FATAL:", "PANIC:"}) {
        if (message.rfind(severity, 0) == 0) return trim(std::string_view(message).substr(severity.size()));
    }
    return message;
}

int error_line_within_statement(std::string_view text) {
    constexpr std::string_view marker = "\nLINE ";
    const auto at = text.find(marker);
    if (at == std::string_view::npos) return 0;
    int line = 0;
    for (auto i = at + marker.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        line = line * 10 + (text[i] - '0');
    }
    return line;
}

int error_line(std::string_view text, int first_line) {
    const int offset = error_line_within_statement(text);
    return first_line == 0 ? 0 : first_line + (offset > 0 ? offset - 1 : 0);
}

bool only_reads(std::string_view statement) {
    static const std::set<std::string> reading_keywords{"SELECT",  "VALUES", "TABLE", "SHOW",
                                                        "EXPLAIN", "FETCH",  "MOVE"};
    return reading_keywords.count(leading_keyword(statement)) > 0;
}

Transient transient_of(std::string_view sqlstate, bool stopping) {
    if (sqlstate == "55P03") return Transient::lock_timeout;  // lock_not_available
    if (sqlstate == "40P01") return Transient::deadlock;      // deadlock_detected
    if (sqlstate == "40001") return Transient::serialization_failure;
    if (sqlstate == query_canceled && !stopping) return Transient::statement_timeout;
    return Transient::no;
}

}  // namespace datamig
