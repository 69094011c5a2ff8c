#pragma once
// Reading PostgreSQL text: libpq's and the server's messages, and what a statement does.
#include <string>
#include <string_view>

namespace datamig {

std::string trim(std::string_view text);
// libpq reasons span several lines ("...failed: Connection refused\n\tIs the server running
// ..."); a message for the user is one line.
std::string single_line(std::string_view text);
// "ERROR:  relation \"x\" does not exist\nLINE 2: ..." -> "relation \"x\" does not exist".
std::string server_message(std::string_view text);
// The server marks where an error is with "LINE <n>:" (1-based within the statement); 0 when
// it did not say.
int error_line_within_statement(std::string_view text);

// libpq reports the rows a query returned ("SELECT 7") where a data migration wants the rows
// it changed. A WITH statement counts: its main statement is usually the UPDATE/DELETE.
bool only_reads(std::string_view statement);

}  // namespace datamig
