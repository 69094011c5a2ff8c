#pragma once
// Lexical helpers for SQL text: where statements start and end, and what kind they are.
// The lexer knows quotes, "identifiers", dollar-quoting ($tag$...$tag$), E'' strings,
// -- line comments and nested /* */ comments, which is enough for PostgreSQL and SQLite.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace datamig {

struct Statement {
    std::string text;    // without the terminating ';', trimmed
    int first_line = 1;  // 1-based line in the input where the statement's text begins
};

// Splits on top-level ';'. Empty statements (only whitespace/comments) are dropped. A lexeme
// never closed runs to the end of `sql`, as the server reads it (see find_unterminated).
std::vector<Statement> split_statements(std::string_view sql);

// A comment, string, quoted identifier or dollar quote that its text never closes.
struct Unterminated {
    std::size_t offset = 0;   // where it opens
    std::string_view what;    // "block comment", "string", "escape string", "quoted identifier", "dollar-quoted string"
    std::string_view opener;  // as written: "/*", "'", "E'", "\"", "$tag$" (a view into the text, or static)
};

// The first lexeme of `sql` that is opened and never closed, if any. split_statements and the
// server read such a one to the end of the text, so the statements after it would silently not
// run: a file holding one is invalid (SPEC §2). Faster than split_statements: it stops only at
// the characters that can open something.
std::optional<Unterminated> find_unterminated(std::string_view sql);

// Where the first statement split_statements would return begins, or npos when it would return
// none. Stops there, so it costs next to nothing where only emptiness matters.
std::size_t first_statement_offset(std::string_view sql);

// 1-based line of the byte at `offset` of `text`, for messages that name a line.
int line_at(std::string_view text, std::size_t offset);

// One token of SQL text, for the scans that read statements (statement_scan.hpp). Space and
// comments are skipped; a string, quoted identifier or dollar-quoted body is one token whose
// inside is never read, so a keyword in it is no keyword.
struct SqlToken {
    enum class Kind {
        word,               // a keyword or unquoted identifier: update, users, "$" inside one
        quoted_identifier,  // "Users"
        literal,            // 'text', E'text', $tag$body$tag$, 42, 1.5
        symbol,             // any other character, one at a time: ( ) ; , . = ...
    };
    Kind kind = Kind::symbol;
    std::string_view text;   // as written (a view into the text); one never closed runs to its end
    std::size_t offset = 0;  // where it starts in the text
    // Parentheses open around it since the last ';' (the server reads nothing deeper as part of
    // another statement); a '(' and its ')' have the depth outside them.
    int depth = 0;
};

// Reads SQL text token by token, front to back, with the lexer split_statements uses.
class SqlTokenizer {
public:
    explicit SqlTokenizer(std::string_view sql) : sql_(sql) {}

    // The next token, or nullopt at the end of the text.
    std::optional<SqlToken> next();

private:
    std::string_view sql_;
    std::size_t pos_ = 0;
    int depth_ = 0;
};

// Whether `token` is the unquoted word `keyword` (given in upper case), in any case.
bool is_keyword(const SqlToken& token, std::string_view keyword);

// Whether `token` is the one-character symbol `symbol`.
inline bool is_symbol(const SqlToken& token, char symbol) {
    return token.kind == SqlToken::Kind::symbol && token.text.size() == 1 && token.text.front() == symbol;
}

// The name a word or quoted identifier token stands for, as PostgreSQL reads it: a quoted one
// without its quotes ("" read as "), an unquoted one with its ASCII letters in lower case (SQLite
// compares names without case, so the same text serves it).
std::string identifier_value(const SqlToken& token);

// The first keyword of a statement, upper-cased ("UPDATE", "CREATE", ...), comments skipped.
std::string leading_keyword(std::string_view statement);

// True for schema-changing statements (CREATE, ALTER, DROP, TRUNCATE, RENAME, COMMENT ON,
// GRANT, REVOKE), which belong in schema migrations (`check` warns).
bool is_ddl(std::string_view statement);

// True for "name" or "schema.name" where each part is [A-Za-z_][A-Za-z0-9_]* (max 63 chars):
// the only table names datamig splices into SQL.
bool is_valid_table_name(std::string_view table);

// Replaces a named placeholder such as ":batch_size" with `value` outside quotes/comments,
// leaving PostgreSQL casts ("::int") and longer names (":batch_sizes") untouched.
std::string substitute_placeholder(std::string_view sql, std::string_view name, std::string_view value);

}  // namespace datamig
