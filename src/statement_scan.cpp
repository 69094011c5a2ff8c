#include "datamig/statement_scan.hpp"

#include <algorithm>
#include <array>

#include "datamig/sql_text.hpp"

namespace datamig {
namespace {

using Tokens = std::vector<SqlToken>;

// Longer table names are cut in messages: a name is the user's text, of any length.
constexpr std::size_t max_table_name = 80;

// WITH parts nested deeper are not read: no one writes them, and a file of nothing else would
// cost time (each level reads to its end) and stack (each level is a call).
constexpr int max_with_depth = 16;

bool is_name(const SqlToken& token) {
    return token.kind == SqlToken::Kind::word || token.kind == SqlToken::Kind::quoted_identifier;
}

// Whether a statement of a WITH's main part starts with `token`.
bool starts_query(const SqlToken& token) {
    static constexpr std::array<std::string_view, 7> verbs = {"SELECT", "INSERT", "UPDATE", "DELETE",
                                                              "MERGE",  "VALUES", "TABLE"};
    return std::any_of(verbs.begin(), verbs.end(), [&](std::string_view verb) { return is_keyword(token, verb); });
}

// The ')' closing the '(' at `open`, or `last` when there is none before it.
std::size_t closing_paren(const Tokens& tokens, std::size_t open, std::size_t last) {
    for (std::size_t i = open + 1; i < last; ++i) {
        if (tokens[i].depth == tokens[open].depth && is_symbol(tokens[i], ')')) return i;
    }
    return last;
}

// The table named at `pos` ("name" or "schema.name"); an empty table when no name starts there.
// Of a longer name (db.schema.name) the last two parts are the schema and the name.
TableWrite target_at(const Tokens& tokens, std::size_t pos, std::size_t last) {
    TableWrite write;
    if (pos >= last || !is_name(tokens[pos])) return write;
    write.table = tokens[pos].text;
    write.name = identifier_value(tokens[pos]);
    while (pos + 2 < last && is_symbol(tokens[pos + 1], '.') && is_name(tokens[pos + 2])) {
        pos += 2;
        write.table.append(".").append(tokens[pos].text);
        write.schema = std::move(write.name);
        write.name = identifier_value(tokens[pos]);
    }
    return write;
}

class StatementScan {
public:
    explicit StatementScan(std::vector<TableWrite>& found) : found_(found) {}

    // One statement's tokens, all of them before its ';'.
    void scan_statement(const Tokens& tokens) { scan_query(tokens, 0, tokens.size(), 0); }

private:
    // A query in tokens [first, last) at parenthesis depth `depth`: the whole statement, or the
    // body of a WITH's sub-statement.
    void scan_query(const Tokens& tokens, std::size_t first, std::size_t last, int depth) {
        if (depth > max_with_depth) return;
        std::size_t pos = first;
        if (pos < last && is_keyword(tokens[pos], "WITH")) pos = scan_with(tokens, pos + 1, last, depth);
        if (pos < last) scan_write(tokens, pos, last, depth);
    }

    // WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (body) [SEARCH ...] [CYCLE ...], ...
    // from `pos`, after WITH. Scans each body and returns where the main statement starts.
    std::size_t scan_with(const Tokens& tokens, std::size_t pos, std::size_t last, int depth) {
        while (pos < last) {
            const SqlToken& token = tokens[pos];
            const bool body = is_symbol(token, '(') && pos > 0 &&
                              (is_keyword(tokens[pos - 1], "AS") || is_keyword(tokens[pos - 1], "MATERIALIZED"));
            if (body) {
                const std::size_t close = closing_paren(tokens, pos, last);
                scan_query(tokens, pos + 1, close, depth + 1);
                pos = close + 1;
                // SEARCH and CYCLE clauses, up to the next sub-statement or the main one.
                while (pos < last && !is_symbol(tokens[pos], ',') && !is_symbol(tokens[pos], '(') &&
                       !starts_query(tokens[pos])) {
                    ++pos;
                }
                if (pos >= last || !is_symbol(tokens[pos], ',')) return pos;
                ++pos;
            } else if (is_symbol(token, '(')) {
                pos = closing_paren(tokens, pos, last) + 1;  // the sub-statement's column names
            } else if (starts_query(token)) {
                return pos;  // no WITH as read here: the main statement, where it can be told
            } else {
                ++pos;
            }
        }
        return pos;
    }

    // The statement starting at `verb` if it is an UPDATE or a DELETE: recorded, with whether a
    // WHERE stands at its own depth before `last`.
    void scan_write(const Tokens& tokens, std::size_t verb, std::size_t last, int depth) {
        const bool update = is_keyword(tokens[verb], "UPDATE");
        std::size_t pos = verb + 1;
        if (update) {
            if (pos < last && is_keyword(tokens[pos], "OR")) pos += 2;  // SQLite: UPDATE OR REPLACE t
        } else if (is_keyword(tokens[verb], "DELETE") && pos < last && is_keyword(tokens[pos], "FROM")) {
            ++pos;
        } else {
            return;
        }
        if (pos < last && is_keyword(tokens[pos], "ONLY")) ++pos;
        TableWrite write = target_at(tokens, pos, last);
        if (write.table.empty()) return;
        bool set = false;
        for (std::size_t i = pos; i < last; ++i) {
            if (tokens[i].depth != depth) continue;
            write.where = write.where || is_keyword(tokens[i], "WHERE");
            set = set || is_keyword(tokens[i], "SET");
        }
        if (update && !set) return;  // no UPDATE statement: a column named "update", say
        write.verb = update ? "UPDATE" : "DELETE";
        write.offset = tokens[verb].offset;
        found_.push_back(std::move(write));
    }

    std::vector<TableWrite>& found_;
};

// The message of one finding: what happens, and what to do about it in this section.
std::string describe_write(const TableWrite& write, std::string_view section_name) {
    const bool update = write.verb == "UPDATE";
    std::string message = update ? "UPDATE " + shown_table(write) + " without WHERE changes"
                                 : "DELETE FROM " + shown_table(write) + " without WHERE deletes";
    message += " every row of the table in one transaction; add a WHERE";
    if (section_name != "up") return message + " (a " + std::string(section_name) + " section cannot be batched)";
    return message + (update ? " or batch it (batch:range)" : " or batch it (batch:loop)");
}

}  // namespace

std::vector<TableWrite> find_table_writes(std::string_view sql) {
    std::vector<TableWrite> found;
    StatementScan scan(found);
    // What the statement being read starts with: only UPDATE, DELETE and WITH start one that
    // changes rows as read here, so only theirs are kept; a CREATE's body is followed.
    enum class Start { nothing_yet, write, create, other } start = Start::nothing_yet;
    Tokens statement;
    // Open BEGIN and CASE of a CREATE's body (a trigger's BEGIN ... END): a ';' in it ends nothing.
    int open_blocks = 0;
    SqlTokenizer tokenizer(sql);
    while (const auto token = tokenizer.next()) {
        if (is_symbol(*token, ';') && open_blocks == 0) {
            if (start == Start::write) scan.scan_statement(statement);
            statement.clear();
            start = Start::nothing_yet;
            continue;
        }
        if (start == Start::nothing_yet) {
            start = is_keyword(*token, "UPDATE") || is_keyword(*token, "DELETE") || is_keyword(*token, "WITH")
                        ? Start::write
                    : is_keyword(*token, "CREATE") ? Start::create
                                                   : Start::other;
        }
        if (start == Start::write) statement.push_back(*token);
        if (start == Start::create && token->depth == 0) {
            if (is_keyword(*token, "BEGIN") || is_keyword(*token, "CASE")) ++open_blocks;
            if (is_keyword(*token, "END") && open_blocks > 0) --open_blocks;
        }
    }
    if (start == Start::write) scan.scan_statement(statement);
    // Lines counted from one write to the next: they come in the order of the text.
    std::size_t counted = 0;
    int line = 1;
    for (TableWrite& write : found) {
        line += static_cast<int>(std::count(sql.data() + counted, sql.data() + write.offset, '\n'));
        counted = write.offset;
        write.line = line;
    }
    return found;
}

std::string shown_table(const TableWrite& write) {
    if (write.table.size() <= max_table_name) return write.table;
    return write.table.substr(0, max_table_name) + "...";
}

std::vector<TableWrite> unbatched_writes(const Section& section) {
    if (section.options.batch != BatchMode::none) return {};
    std::vector<TableWrite> writes = find_table_writes(section.sql);
    for (TableWrite& write : writes) write.line += section.first_line() - 1;
    return writes;
}

void add_unbounded_write_warnings(const Section& section, std::string_view section_name, const std::string& file_label,
                                  Findings& findings) {
    for (const TableWrite& write : unbatched_writes(section)) {
        if (write.where) continue;
        findings.push_back({Severity::warning, file_label, write.line,
                            write.verb == "UPDATE" ? "update-without-where" : "delete-without-where",
                            describe_write(write, section_name)});
    }
}

}  // namespace datamig
