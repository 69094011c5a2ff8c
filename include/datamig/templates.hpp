#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace datamig {

// Every file of templates/, compiled in: (file name, text).
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_templates();

// The template `name` ("sql.sql", "exec.sh", ...): <dir>/templates/<name> when the project
// has one, else the built-in. Throws InvalidInput when neither exists.
std::string load_template(const std::filesystem::path& migrations_dir, std::string_view name);

// Replaces every "{{key}}" with its value; unknown keys stay as they are.
std::string render_template(std::string_view text, const std::map<std::string, std::string>& values);

}  // namespace datamig
