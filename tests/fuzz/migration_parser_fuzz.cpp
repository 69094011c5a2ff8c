// Feeds arbitrary bytes through everything datamig does with a migration file before it runs
// it: UTF-8 check, normalisation, section parsing, statement splitting, DDL detection, the search
// for comments and quotes never closed, the tokenizer and the scan for UPDATE/DELETE without
// WHERE. None of it may crash, hang or throw, what it reports must point inside the file, the fast
// search must agree with the splitter on what is closed, and the tokenizer on where statements begin.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "datamig/file_text.hpp"
#include "datamig/migration.hpp"
#include "datamig/sql_text.hpp"
#include "datamig/statement_scan.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

// Whether the splitter leaves `sql` outside any comment, string or quote: only then is a
// statement after it one of its own.
bool split_sees_closed(std::string_view sql) {
    const std::size_t before = datamig::split_statements(sql).size();
    const auto statements = datamig::split_statements(std::string(sql) + "\n; SELECT 99");
    return statements.size() == before + 1 && statements.back().text == "SELECT 99";
}

// Each statement's first line as the tokenizer sees statements (tokens between ';'), checking
// every token on the way.
std::vector<int> token_statement_lines(std::string_view sql) {
    std::vector<int> lines;
    bool in_statement = false;
    std::size_t previous_end = 0;
    datamig::SqlTokenizer tokenizer(sql);
    while (const auto token = tokenizer.next()) {
        require(token->offset >= previous_end && !token->text.empty() && token->depth >= 0);
        require(sql.substr(token->offset, token->text.size()) == token->text);
        previous_end = token->offset + token->text.size();
        if (datamig::is_symbol(*token, ';')) {
            in_statement = false;
        } else if (!in_statement) {
            in_statement = true;
            lines.push_back(datamig::line_at(sql, token->offset));
        }
    }
    return lines;
}

bool is_verb_at(std::string_view sql, std::size_t offset, std::string_view verb) {
    if (offset + verb.size() > sql.size()) return false;
    for (std::size_t i = 0; i < verb.size(); ++i) {
        const char c = sql[offset + i];
        if ((c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c) != verb[i]) return false;
    }
    return true;
}

void split_section(const datamig::Section& section, int line_count) {
    for (const auto& statement : datamig::split_statements(section.sql)) {
        require(statement.first_line >= 1 && section.first_line() + statement.first_line - 1 <= line_count + 1);
        datamig::is_ddl(statement.text);
    }
    const std::string_view sql = section.sql;
    std::vector<int> split_lines;
    for (const auto& statement : datamig::split_statements(sql)) split_lines.push_back(statement.first_line);
    require(token_statement_lines(sql) == split_lines);
    std::size_t previous_write = 0;
    for (const auto& write : datamig::find_table_writes(sql)) {
        require(is_verb_at(sql, write.offset, write.verb) && !write.table.empty() && write.offset >= previous_write &&
                write.line == datamig::line_at(sql, write.offset));
        previous_write = write.offset + 1;
    }
    const auto open = datamig::find_unterminated(sql);
    require(open.has_value() != split_sees_closed(sql));
    if (open) {
        require(open->offset < sql.size() && sql.substr(open->offset, open->opener.size()) == open->opener);
        require(split_sees_closed(sql.substr(0, open->offset)));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    int bad_line = 0;
    if (!datamig::is_valid_utf8(raw, bad_line)) require(bad_line >= 1);

    const std::string text = datamig::normalize_text(raw);
    int line_count = 1;
    for (const char c : text) line_count += c == '\n' ? 1 : 0;

    const datamig::ParsedSql parsed = datamig::parse_sql_migration(text, "fuzz.sql");
    for (const auto& finding : parsed.findings) require(finding.line >= 0 && finding.line <= line_count);
    split_section(parsed.script.up, line_count);
    if (parsed.script.down) split_section(*parsed.script.down, line_count);
    if (parsed.script.verify) split_section(*parsed.script.verify, line_count);
    return 0;
}
