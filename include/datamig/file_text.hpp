#pragma once
// A migration file's bytes before they are parsed: the text its checksum is taken of, the checksum,
// and whether it is UTF-8.
#include <string>
#include <string_view>

namespace datamig {

// Drops a UTF-8 BOM and turns CRLF into LF, so checksums do not depend on the checkout's OS.
std::string normalize_text(std::string_view raw);

// Lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates). On false, `line` is
// the 1-based line of the first bad byte.
bool is_valid_utf8(std::string_view text, int& line);

}  // namespace datamig
