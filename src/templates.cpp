#include "datamig/templates.hpp"

#include <fstream>
#include <sstream>

#include "datamig/error.hpp"

namespace datamig {

std::string load_template(const std::filesystem::path& migrations_dir, std::string_view name) {
    const auto project_template = migrations_dir / "templates" / std::string(name);
    if (std::ifstream in{project_template, std::ios::binary}) {
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    for (const auto& [builtin_name, text] : builtin_templates()) {
        if (builtin_name == name) return std::string(text);
    }
    throw InvalidInput("no template named " + std::string(name));
}

std::string render_template(std::string_view text, const std::map<std::string, std::string>& values) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto open = text.find("{{", pos);
        const auto close = open == std::string_view::npos ? open : text.find("}}", open + 2);
        if (close == std::string_view::npos) break;
        out.append(text.substr(pos, open - pos));
        const auto key = std::string(text.substr(open + 2, close - open - 2));
        const auto value = values.find(key);
        out.append(value != values.end() ? value->second : std::string(text.substr(open, close + 2 - open)));
        pos = close + 2;
    }
    out.append(text.substr(pos));
    return out;
}

}  // namespace datamig
