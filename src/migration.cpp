#include "datamig/migration.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <vector>

#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/sql_text.hpp"
#include "datamig/statement_scan.hpp"

namespace datamig {
namespace {

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_ascii_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool is_identifier(std::string_view text) {
    return !text.empty() && !is_ascii_digit(text.front()) && std::all_of(text.begin(), text.end(), [](char c) {
        return is_ascii_lower(c) || is_ascii_upper(c) || is_ascii_digit(c) || c == '_';
    });
}

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (is_blank(text[pos])) {
            ++pos;
            continue;
        }
        std::size_t end = pos;
        while (end < text.size() && !is_blank(text[end])) ++end;
        words.push_back(text.substr(pos, end - pos));
        pos = end;
    }
    return words;
}

enum class SectionName { up, down, verify };

std::optional<SectionName> section_named(std::string_view name) {
    if (name == "up") return SectionName::up;
    if (name == "down") return SectionName::down;
    if (name == "verify") return SectionName::verify;
    return std::nullopt;
}

// A line of the form "-- migrate:<section> [key:value ...]". The spacing after "--" is
// free, as in dbmate, so dbmate files run unchanged. Space before "--" is accepted too, but
// dbmate does not see such a marker (check warns).
struct MarkerLine {
    std::string_view section;
    std::vector<std::string_view> options;
    bool indented = false;
};

std::optional<MarkerLine> as_marker_line(std::string_view line) {
    constexpr std::string_view comment = "--";
    constexpr std::string_view keyword = "migrate:";
    std::size_t pos = 0;
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    const bool indented = pos > 0;
    if (line.substr(pos, comment.size()) != comment) return std::nullopt;
    pos += comment.size();
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    if (line.substr(pos, keyword.size()) != keyword) return std::nullopt;
    pos += keyword.size();
    std::size_t section_end = pos;
    while (section_end < line.size() && !is_blank(line[section_end])) ++section_end;
    return MarkerLine{line.substr(pos, section_end - pos), split_words(line.substr(section_end)), indented};
}

class SqlMigrationParser {
public:
    SqlMigrationParser(std::string_view text, const std::string& file_label) : text_(text), file_label_(file_label) {}

    ParsedSql parse() {
        std::size_t line_start = 0;
        for (int line = 1; line_start <= text_.size(); ++line) {
            const std::size_t newline = std::min(text_.find('\n', line_start), text_.size());
            if (const auto marker = as_marker_line(text_.substr(line_start, newline - line_start))) {
                if (!first_marker_offset_) first_marker_offset_ = line_start;
                if (marker->indented) {
                    warning(line, "indented-marker", "indented marker: dbmate only reads one at the start of a line");
                }
                close_section(line_start);
                open_section(*marker, line, newline + 1);
            }
            line_start = newline + 1;
        }
        close_section(text_.size());
        check_whole_file();
        ParsedSql result;
        if (up_) result.script.up = std::move(*up_);
        result.script.down = std::move(down_);
        result.script.verify = std::move(verify_);
        result.findings = std::move(findings_);
        return result;
    }

private:
    void error(int line, std::string code, std::string message) {
        findings_.push_back({Severity::error, file_label_, line, std::move(code), std::move(message)});
    }

    void warning(int line, std::string code, std::string message) {
        findings_.push_back({Severity::warning, file_label_, line, std::move(code), std::move(message)});
    }

    std::optional<Section>& slot(SectionName name) {
        switch (name) {
            case SectionName::up: return up_;
            case SectionName::down: return down_;
            case SectionName::verify: return verify_;
        }
        return up_;
    }

    void close_section(std::size_t end) {
        if (open_) open_->sql = std::string(text_.substr(open_begin_, end - open_begin_));
        open_ = nullptr;
    }

    // Text up to the next marker belongs to this section; after an unknown or repeated
    // marker it belongs to none, so it cannot leak into the previous section.
    void open_section(const MarkerLine& marker, int line, std::size_t body_begin) {
        open_begin_ = std::min(body_begin, text_.size());
        const auto name = section_named(marker.section);
        if (!name) {
            error(line, "unknown-marker",
                  "unknown marker \"-- migrate:" + std::string(marker.section) +
                      "\"; expected -- migrate:up, -- migrate:down or -- migrate:verify");
            return;
        }
        std::optional<Section>& section = slot(*name);
        if (section) {
            error(line, "duplicate-section",
                  "section \"" + std::string(marker.section) + "\" given twice (first on line " +
                      std::to_string(section->marker_line) + ")");
            return;
        }
        section.emplace();
        section->marker_line = line;
        section->options = parse_options(marker.options, *name, line);
        open_ = &*section;
    }

    SectionOptions parse_options(const std::vector<std::string_view>& tokens, SectionName section, int line) {
        SectionOptions options;
        const std::size_t findings_before = findings_.size();
        std::set<std::string_view> seen;
        bool key_given = false;
        for (const std::string_view token : tokens) {
            const std::size_t colon = token.find(':');
            if (colon == std::string_view::npos || colon == 0) {
                error(line, "invalid-option", "option \"" + std::string(token) + "\" is not of the form key:value");
                continue;
            }
            const std::string_view key = token.substr(0, colon);
            const std::string_view value = token.substr(colon + 1);
            if (!seen.insert(key).second) {
                error(line, "invalid-option", "option \"" + std::string(key) + "\" given twice");
                continue;
            }
            key_given = key_given || key == "key";
            apply_option(options, key, value, section, line);
        }
        if (findings_.size() == findings_before) check_option_combination(options, key_given, line);
        return options;
    }

    void apply_option(SectionOptions& options, std::string_view key, std::string_view value, SectionName section,
                      int line) {
        const auto invalid = [&](const std::string& expected) {
            error(line, "invalid-option",
                  "invalid value \"" + std::string(value) + "\" for option " + std::string(key) + "; " + expected);
        };
        if (key == "transaction") {
            if (value == "true" || value == "false") {
                options.transaction = value == "true";
            } else {
                invalid("expected true or false");
            }
        } else if (key == "batch") {
            if (section != SectionName::up) {
                error(line, "invalid-option", "batch:" + std::string(value) + " is only allowed on -- migrate:up");
            } else if (value == "loop" || value == "range") {
                options.batch = value == "loop" ? BatchMode::loop : BatchMode::range;
            } else {
                invalid("expected loop or range");
            }
        } else if (key == "key") {
            const std::size_t dot = value.rfind('.');
            if (dot == std::string_view::npos || !is_valid_table_name(value.substr(0, dot)) ||
                !is_identifier(value.substr(dot + 1))) {
                invalid("expected <table>.<column>, e.g. key:users.id");
            } else {
                options.key_table = std::string(value.substr(0, dot));
                options.key_column = std::string(value.substr(dot + 1));
            }
        } else if (key == "batch_size" || key == "batch_size_max" || key == "batch_retries") {
            const std::int64_t least = key == "batch_retries" ? 0 : 1;
            std::int64_t number = 0;
            const auto [end, status] = std::from_chars(value.data(), value.data() + value.size(), number);
            if (status != std::errc() || end != value.data() + value.size() || number < least) {
                invalid(least == 0 ? "expected a whole number" : "expected a positive whole number");
            } else {
                (key == "batch_size"       ? options.batch_size
                 : key == "batch_size_max" ? options.batch_size_max
                                           : options.batch_retries) = number;
            }
        } else if (key == "pause" || key == "batch_time") {
            try {
                const auto duration = parse_duration(value, std::string(key));
                (key == "pause" ? options.pause : options.batch_time) = duration;
                if (key == "batch_time" && duration.count() == 0) invalid("expected a duration above 0");
            } catch (const UsageError& bad_duration) {
                error(line, "invalid-option", bad_duration.what());
            }
        } else {
            error(line, "unknown-option",
                  "unknown option \"" + std::string(key) +
                      "\"; known options: transaction, batch, key, batch_size, pause, batch_time, batch_size_max, "
                      "batch_retries");
        }
    }

    void check_option_combination(const SectionOptions& options, bool key_given, int line) {
        if (options.batch == BatchMode::range && !key_given) {
            error(line, "invalid-option", "batch:range needs key:<table>.<column>, e.g. key:users.id");
        }
        if (options.batch != BatchMode::range && key_given) {
            error(line, "invalid-option",
                  "key:" + options.key_table + "." + options.key_column + " only applies to batch:range");
        }
        if (options.batch == BatchMode::none && (options.batch_size || options.pause || options.batch_time ||
                                                 options.batch_size_max || options.batch_retries)) {
            error(line, "invalid-option",
                  "batch_size, pause, batch_time, batch_size_max and batch_retries only apply to batch:loop or "
                  "batch:range");
        }
        if (options.batch != BatchMode::none && !options.transaction) {
            error(line, "invalid-option",
                  "batch migrations run each batch in its own transaction; remove transaction:false");
        }
    }

    void check_whole_file() {
        // Both databases read a statement only up to a NUL: "SET v = 0<NUL> WHERE id = 1" would
        // change every row.
        if (const std::size_t nul = text_.find('\0'); nul != std::string_view::npos) {
            error(line_at(text_, nul), "nul-byte",
                  "NUL byte: the database would read its statement only up to it and run the part before "
                  "(an UPDATE without its WHERE); remove it");
        }
        if (!up_) {
            error(1, "missing-up", "no -- migrate:up section; every SQL migration needs one");
        } else if (check_closed(up_->sql, up_->first_line())) {
            // Often a migration kept for its version, or a placeholder: dbmate runs it too.
            if (first_statement_offset(up_->sql) == std::string_view::npos) {
                warning(up_->marker_line, "empty-up",
                        "the -- migrate:up section has no SQL statement: it applies as a no-op and is recorded");
            }
            add_unbounded_write_warnings(*up_, "up", file_label_, findings_);
        }
        // Only `up` changes data on the way forward; a `down` that resets a whole column is how
        // a backfill is undone (SPEC §2's own example), so it is not flagged.
        if (down_) check_closed(down_->sql, down_->first_line());
        if (verify_) check_closed(verify_->sql, verify_->first_line());
        // Without any marker, missing-up already says what is wrong with the whole file.
        if (!first_marker_offset_) return;
        const std::string_view before_marker = text_.substr(0, *first_marker_offset_);
        if (!check_closed(before_marker, 1)) return;
        const std::size_t stray = first_statement_offset(before_marker);
        if (stray != std::string_view::npos) {
            error(line_at(before_marker, stray), "text-before-marker",
                  "SQL before the first marker would never run; move it below -- migrate:up");
        }
    }

    // Reports the first comment, string, quoted identifier or dollar quote `sql` opens and never
    // closes, where everything after it would silently not run; true when there is none.
    // `first_line` is the file line of the first line of `sql`.
    bool check_closed(std::string_view sql, int first_line) {
        const auto open = find_unterminated(sql);
        if (!open) return true;
        const bool nested = open->opener == "/*" && sql.find("/*", open->offset + 2) != std::string_view::npos;
        const std::string hint = nested ? " (block comments nest: every /* needs its own */)" : "";
        error(first_line + line_at(sql, open->offset) - 1, "unterminated",
              "unterminated " + std::string(open->what) + ": " + std::string(open->opener) +
                  " opened here is never closed, so everything after it would be read as part of it" + hint);
        return false;
    }

    std::string_view text_;
    const std::string& file_label_;
    Findings findings_;
    std::optional<Section> up_;
    std::optional<Section> down_;
    std::optional<Section> verify_;
    Section* open_ = nullptr;
    std::size_t open_begin_ = 0;
    std::optional<std::size_t> first_marker_offset_;
};

}  // namespace

std::string_view to_string(Kind kind) {
    switch (kind) {
        case Kind::sql: return "sql";
        case Kind::exec: return "exec";
    }
    return "unknown";
}

ParsedSql parse_sql_migration(std::string_view text, const std::string& file_label) {
    return SqlMigrationParser(text, file_label).parse();
}

}  // namespace datamig
