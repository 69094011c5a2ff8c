#include "datamig/sql_text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>

namespace datamig {
namespace {

constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

constexpr bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

constexpr bool is_non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// PostgreSQL identifiers may contain '$' and any non-ASCII letter.
constexpr bool is_identifier_char(char c) {
    return is_ascii_letter(c) || is_ascii_digit(c) || c == '_' || c == '$' || is_non_ascii(c);
}

bool starts_with_at(std::string_view text, std::size_t pos, std::string_view prefix) {
    return text.substr(pos, prefix.size()) == prefix;
}

// End of a quoted run whose opening quote is at `pos`; a doubled quote stands for itself.
// npos when it is never closed.
[[gnu::noinline]] std::size_t end_of_quoted(std::string_view sql, std::size_t pos, char quote, bool backslash_escapes) {
    std::size_t i = pos + 1;
    while (i < sql.size()) {
        if (backslash_escapes && sql[i] == '\\') {
            i += 2;
        } else if (sql[i] != quote) {
            ++i;
        } else if (i + 1 < sql.size() && sql[i + 1] == quote) {
            i += 2;
        } else {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

// Whether `first` and `second` are the characters at `pos`: a substring comparison costs more,
// and a block comment is scanned one character at a time.
bool pair_at(std::string_view text, std::size_t pos, char first, char second) {
    return pos + 1 < text.size() && text[pos] == first && text[pos + 1] == second;
}

// PostgreSQL block comments nest, unlike C's. npos when it is never closed.
std::size_t end_of_block_comment(std::string_view sql, std::size_t pos) {
    int depth = 0;
    std::size_t i = pos;
    while (i < sql.size()) {
        if (pair_at(sql, i, '/', '*')) {
            ++depth;
            i += 2;
        } else if (pair_at(sql, i, '*', '/')) {
            i += 2;
            if (--depth == 0) return i;
        } else {
            ++i;
        }
    }
    return std::string_view::npos;
}

// Where the comment starting at `pos` ends, or `pos` when no comment starts there.
[[gnu::noinline]] std::size_t end_of_comment(std::string_view sql, std::size_t pos) {
    if (pair_at(sql, pos, '-', '-')) return std::min(sql.find('\n', pos), sql.size());
    if (pair_at(sql, pos, '/', '*')) return end_of_block_comment(sql, pos);
    return pos;
}

// Length of a "$tag$" delimiter at `pos` (tag empty or an identifier without '$'), 0 if none.
// "$1" is a positional parameter, not a delimiter, because a tag cannot start with a digit.
std::size_t dollar_delimiter_length(std::string_view sql, std::size_t pos) {
    std::size_t i = pos + 1;
    if (i < sql.size() && !is_ascii_digit(sql[i])) {
        while (i < sql.size() && sql[i] != '$' && is_identifier_char(sql[i])) ++i;
    }
    return i < sql.size() && sql[i] == '$' ? i + 1 - pos : 0;
}

bool follows_identifier(std::string_view sql, std::size_t pos) { return pos > 0 && is_identifier_char(sql[pos - 1]); }

// Where the E'...' string starting at `pos` ends, or `pos` when none starts there.
[[gnu::noinline]] std::size_t end_of_escape_string(std::string_view sql, std::size_t pos) {
    if (follows_identifier(sql, pos) || !starts_with_at(sql, pos + 1, "'")) return pos;
    return end_of_quoted(sql, pos + 1, '\'', true);
}

// The length of the "$tag$" delimiter of a dollar-quoted body starting at `pos`, 0 if none.
std::size_t dollar_quote_opener_length(std::string_view sql, std::size_t pos) {
    return follows_identifier(sql, pos) ? 0 : dollar_delimiter_length(sql, pos);
}

// Where the dollar-quoted body starting at `pos` ends, or `pos` when none starts there.
[[gnu::noinline]] std::size_t end_of_dollar_quoted(std::string_view sql, std::size_t pos) {
    const std::size_t length = dollar_quote_opener_length(sql, pos);
    if (length == 0) return pos;
    const std::size_t close = sql.find(sql.substr(pos, length), pos + length);
    return close == std::string_view::npos ? close : close + length;
}

// Where the string, quoted identifier, dollar-quoted body or comment starting at `pos` ends,
// `pos` when none starts there, or npos when the text never closes it. Everything inside one of
// them is opaque to the callers; those that read on take an unclosed one to run to the end, as
// the server reads it (find_unterminated is what reports it).
// Lexing asks this of every character, so the functions that follow what a character opens
// are [[gnu::noinline]]: inlined here, they made each call save and restore six registers.
std::size_t end_of_literal_or_comment(std::string_view sql, std::size_t pos) {
    switch (sql[pos]) {
        case '-':
        case '/': return end_of_comment(sql, pos);
        case '\'':
        case '"': return end_of_quoted(sql, pos, sql[pos], false);
        case 'E':
        case 'e': return end_of_escape_string(sql, pos);
        case '$': return end_of_dollar_quoted(sql, pos);
        default: return pos;
    }
}

// Whether `c` may open a comment, string, quoted identifier or dollar quote. The E of an E''
// string is found from its quote instead: 'e' is too common a letter to stop at.
bool can_open_lexeme(char c) {
    static constexpr std::array<bool, 256> opens = [] {
        std::array<bool, 256> table{};
        for (const char opener : {'-', '/', '\'', '"', '$'}) table[static_cast<unsigned char>(opener)] = true;
        return table;
    }();
    return opens[static_cast<unsigned char>(c)];
}

// The tokenizer's character classes, as tables: it asks them of every character.
constexpr std::array<bool, 256> character_table(bool (*member)(char)) {
    std::array<bool, 256> table{};
    for (std::size_t i = 0; i < table.size(); ++i) table[i] = member(static_cast<char>(i));
    return table;
}

bool is_identifier_start(char c) {
    static constexpr auto table =
        character_table([](char x) { return is_ascii_letter(x) || x == '_' || is_non_ascii(x); });
    return table[static_cast<unsigned char>(c)];
}

bool is_identifier_byte(char c) {
    static constexpr auto table = character_table(is_identifier_char);
    return table[static_cast<unsigned char>(c)];
}

// Where the lexeme whose opening character is at `pos` starts: at the E of E'...' (as
// end_of_escape_string reads one), else `pos`.
std::size_t escape_string_start(std::string_view sql, std::size_t pos) {
    const bool after_e = sql[pos] == '\'' && pos > 0 && (sql[pos - 1] == 'E' || sql[pos - 1] == 'e');
    return after_e && !follows_identifier(sql, pos - 1) ? pos - 1 : pos;
}

// The lexeme opening at `pos`, described for a message.
Unterminated unterminated_at(std::string_view sql, std::size_t pos) {
    switch (sql[pos]) {
        case '/': return {pos, "block comment", "/*"};
        case '"': return {pos, "quoted identifier", "\""};
        case '$': return {pos, "dollar-quoted string", sql.substr(pos, dollar_quote_opener_length(sql, pos))};
        case '\'': return {pos, "string", "'"};
        default: return {pos, "escape string", sql.substr(pos, 2)};  // E' or e'
    }
}

// First position in [pos, end) that is neither whitespace nor inside a comment, or `end`.
std::size_t skip_space_and_comments(std::string_view sql, std::size_t pos, std::size_t end) {
    while (pos < end) {
        if (is_space(sql[pos])) {
            ++pos;
            continue;
        }
        const std::size_t comment_end = end_of_comment(sql, pos);
        if (comment_end == pos) break;
        pos = comment_end;
    }
    return std::min(pos, end);
}

std::string_view trim_right(std::string_view text) {
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

// Reads the keyword at `pos` (after skipping comments) upper-cased, and moves `pos` past it.
std::string read_keyword(std::string_view sql, std::size_t& pos) {
    pos = skip_space_and_comments(sql, pos, sql.size());
    std::string keyword;
    while (pos < sql.size() && (is_ascii_letter(sql[pos]) || sql[pos] == '_')) {
        const char c = sql[pos++];
        keyword += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return keyword;
}

// Statements start at increasing positions, so lines are counted once, front to back.
class LineCounter {
public:
    explicit LineCounter(std::string_view text) : text_(text) {}

    int line_at(std::size_t pos) {
        line_ += static_cast<int>(std::count(text_.data() + counted_, text_.data() + pos, '\n'));
        counted_ = pos;
        return line_;
    }

private:
    std::string_view text_;
    std::size_t counted_ = 0;
    int line_ = 1;
};

}  // namespace

int line_at(std::string_view text, std::size_t offset) {
    const std::string_view before = text.substr(0, offset);
    return 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
}

std::vector<Statement> split_statements(std::string_view sql) {
    std::vector<Statement> statements;
    LineCounter lines(sql);
    std::size_t start = 0;
    const auto finish_statement = [&](std::size_t end) {
        const std::size_t begin = skip_space_and_comments(sql, start, end);
        if (begin < end) {
            statements.push_back({std::string(trim_right(sql.substr(begin, end - begin))), lines.line_at(begin)});
        }
    };
    std::size_t pos = 0;
    while (pos < sql.size()) {
        const std::size_t skipped = end_of_literal_or_comment(sql, pos);
        if (skipped != pos) {
            pos = skipped;  // npos for one never closed: the rest is part of the last statement
            continue;
        }
        if (sql[pos] == ';') {
            finish_statement(pos);
            start = pos + 1;
        }
        ++pos;
    }
    finish_statement(sql.size());
    return statements;
}

std::size_t first_statement_offset(std::string_view sql) {
    // Up to the first statement there is only space, comments and the ';' of empty statements.
    for (std::size_t pos = skip_space_and_comments(sql, 0, sql.size()); pos < sql.size();
         pos = skip_space_and_comments(sql, pos + 1, sql.size())) {
        if (sql[pos] != ';') return pos;
    }
    return std::string_view::npos;
}

std::optional<Unterminated> find_unterminated(std::string_view sql) {
    std::size_t pos = 0;
    while (pos < sql.size()) {
        if (!can_open_lexeme(sql[pos])) {
            ++pos;
            continue;
        }
        const std::size_t start = escape_string_start(sql, pos);
        const std::size_t end = end_of_literal_or_comment(sql, start);
        if (end == std::string_view::npos) return unterminated_at(sql, start);
        pos = end == start ? pos + 1 : end;
    }
    return std::nullopt;
}

std::optional<SqlToken> SqlTokenizer::next() {
    const std::size_t size = sql_.size();
    while (pos_ < size && (is_space(sql_[pos_]) || sql_[pos_] == '-' || sql_[pos_] == '/')) {
        const std::size_t comment_end = is_space(sql_[pos_]) ? pos_ + 1 : end_of_comment(sql_, pos_);
        if (comment_end == pos_) break;      // a minus or a slash
        pos_ = std::min(comment_end, size);  // one never closed ends the text
    }
    if (pos_ >= size) return std::nullopt;
    const std::size_t start = pos_;
    const char c = sql_[start];
    SqlToken token{SqlToken::Kind::literal, {}, start, depth_};
    const bool escape_string = (c == 'E' || c == 'e') && end_of_escape_string(sql_, start) != start;
    if (is_identifier_start(c) && !escape_string) {
        token.kind = SqlToken::Kind::word;
        while (++pos_ < size && is_identifier_byte(sql_[pos_])) {
        }
    } else if (is_ascii_digit(c)) {
        // Neither '$' nor a non-ASCII letter: the "$$" of "1.$$" opens a dollar quote.
        while (++pos_ < size &&
               (is_ascii_letter(sql_[pos_]) || is_ascii_digit(sql_[pos_]) || sql_[pos_] == '_' || sql_[pos_] == '.')) {
        }
    } else if (const std::size_t end = end_of_literal_or_comment(sql_, start); end != start) {
        if (c == '"') token.kind = SqlToken::Kind::quoted_identifier;
        pos_ = std::min(end, size);  // one never closed runs to the end, as the server reads it
    } else {
        token.kind = SqlToken::Kind::symbol;
        ++pos_;
        if (c == '(') ++depth_;
        if (c == ')' && depth_ > 0) token.depth = --depth_;
        if (c == ';') depth_ = token.depth = 0;  // split_statements ends a statement there, at any depth
    }
    token.text = sql_.substr(start, pos_ - start);
    return token;
}

bool is_keyword(const SqlToken& token, std::string_view keyword) {
    return token.kind == SqlToken::Kind::word && token.text.size() == keyword.size() &&
           std::equal(keyword.begin(), keyword.end(), token.text.begin(), [](char upper, char c) {
               return upper == (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
           });
}

std::string identifier_value(const SqlToken& token) {
    std::string value;
    if (token.kind != SqlToken::Kind::quoted_identifier) {
        value.reserve(token.text.size());
        for (const char c : token.text) value += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        return value;
    }
    // One never closed runs to the end of the text without its closing quote.
    std::string_view inside = token.text.substr(1);
    if (inside.size() >= 1 && inside.back() == '"') inside.remove_suffix(1);
    for (std::size_t i = 0; i < inside.size(); ++i) {
        value += inside[i];
        if (inside[i] == '"' && i + 1 < inside.size() && inside[i + 1] == '"') ++i;
    }
    return value;
}

std::string leading_keyword(std::string_view statement) {
    std::size_t pos = 0;
    return read_keyword(statement, pos);
}

bool is_ddl(std::string_view statement) {
    static constexpr std::array<std::string_view, 7> ddl_keywords = {"CREATE", "ALTER", "DROP",  "TRUNCATE",
                                                                     "RENAME", "GRANT", "REVOKE"};
    std::size_t pos = 0;
    const std::string keyword = read_keyword(statement, pos);
    if (keyword == "COMMENT") return read_keyword(statement, pos) == "ON";
    return std::find(ddl_keywords.begin(), ddl_keywords.end(), keyword) != ddl_keywords.end();
}

std::string substitute_placeholder(std::string_view sql, std::string_view name, std::string_view value) {
    // Callers may name the placeholder as written in SQL (":batch_size") or bare ("batch_size").
    if (!name.empty() && name.front() == ':') name.remove_prefix(1);
    const auto is_placeholder_at = [&](std::size_t pos) {
        const std::size_t after = pos + 1 + name.size();
        return !name.empty() && sql[pos] == ':' && (pos == 0 || sql[pos - 1] != ':') &&
               starts_with_at(sql, pos + 1, name) && (after >= sql.size() || !is_identifier_char(sql[after]));
    };
    std::string result;
    result.reserve(sql.size());
    std::size_t pos = 0;
    while (pos < sql.size()) {
        // One never closed runs to the end: it is kept as written.
        const std::size_t skipped = std::min(end_of_literal_or_comment(sql, pos), sql.size());
        if (skipped != pos) {
            result.append(sql.substr(pos, skipped - pos));
            pos = skipped;
        } else if (is_placeholder_at(pos)) {
            result.append(value);
            pos += 1 + name.size();
        } else {
            result += sql[pos++];
        }
    }
    return result;
}

bool is_valid_table_name(std::string_view table) {
    // ASCII only, whatever the locale: the name is spliced into SQL (quoted) on every database.
    auto is_word_start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    auto valid_identifier = [&](std::string_view part) {
        if (part.empty() || part.size() > 63 || !is_word_start(part.front())) return false;
        return std::all_of(part.begin(), part.end(),
                           [&](char c) { return is_word_start(c) || (c >= '0' && c <= '9'); });
    };
    const std::size_t dot = table.find('.');
    if (dot == std::string_view::npos) return valid_identifier(table);
    return valid_identifier(table.substr(0, dot)) && valid_identifier(table.substr(dot + 1));
}

}  // namespace datamig
