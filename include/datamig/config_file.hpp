#pragma once
// datamig.toml: read with toml++, reduced to the raw strings settings.hpp merges with flags and
// the environment. Every error names "file:line" (and the key where there is one), the way
// compilers do, so editors can jump to it.
#include <filesystem>
#include <string>
#include <string_view>

#include "datamig/settings.hpp"

namespace datamig {

// Top-level `key = value` pairs of the known settings: strings, integers, booleans and arrays of
// strings. Keys may use '-' or '_'. Unknown keys, tables, values of the wrong type and TOML
// syntax errors are UsageError naming "file:line".
RawSettings read_config_file(const std::filesystem::path& path);
RawSettings parse_config_text(std::string_view text, const std::string& file_label);

}  // namespace datamig
