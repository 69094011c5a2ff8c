#pragma once
// Reading PostgreSQL text: libpq's and the server's messages, and what a statement does.
#include <string>
#include <string_view>

#include "datamig/error.hpp"

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
// The line of the caller's SQL an error is on, for a statement starting at its `first_line`
// (0 when the statement is not the caller's: then 0).
int error_line(std::string_view text, int first_line);

// libpq reports the rows a query returned ("SELECT 7") where a data migration wants the rows
// it changed. A WITH statement counts: its main statement is usually the UPDATE/DELETE.
bool only_reads(std::string_view statement);

// SQLSTATEs the driver acts on: "canceling statement due to user request" (or a statement
// timeout), and what the server sends for any statement in a transaction after one failed.
constexpr std::string_view query_canceled = "57014";
constexpr std::string_view transaction_aborted = "25P02";

// Whether an error with this SQLSTATE passes if the same work is tried again (SPEC §2,
// retries). A cancel (57014) is a statement timeout unless datamig cancelled it itself to stop
// (`stopping`): a stop must not be retried.
Transient transient_of(std::string_view sqlstate, bool stopping);

}  // namespace datamig
