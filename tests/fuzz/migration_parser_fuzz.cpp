// Feeds arbitrary bytes through everything datamig does with a migration file before it runs
// it: UTF-8 check, normalisation, section parsing, statement splitting, DDL detection. None of
// it may crash, hang or throw, and what it reports must point inside the file.
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

void split_section(const datamig::Section& section, int line_count) {
    for (const auto& statement : datamig::split_statements(section.sql)) {
        require(statement.first_line >= 1 && section.first_line() + statement.first_line - 1 <= line_count + 1);
        datamig::is_ddl(statement.text);
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
