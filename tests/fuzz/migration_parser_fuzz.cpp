// Feeds arbitrary bytes through everything datamig does with a migration file before it runs
// it: UTF-8 check, normalisation, section parsing, statement splitting, DDL detection, the search
// for comments and quotes never closed. None of it may crash, hang or throw, what it reports must
// point inside the file, and the fast search must agree with the splitter on what is closed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "datamig/migration.hpp"
#include "datamig/sql_text.hpp"

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

void split_section(const datamig::Section& section, int line_count) {
    for (const auto& statement : datamig::split_statements(section.sql)) {
        require(statement.first_line >= 1 && section.first_line() + statement.first_line - 1 <= line_count + 1);
        datamig::is_ddl(statement.text);
    }
    const std::string_view sql = section.sql;
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
