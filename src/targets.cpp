#include "datamig/targets.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "datamig/database.hpp"
#include "datamig/error.hpp"

namespace datamig {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

// A name prefixes every output and log line of its target, so it stays one plain word.
bool is_target_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

// ${VAR} replaced by the variable's value, so passwords stay out of the file. A '$' not followed
// by '{' is kept as it is ('$' is legal in a password).
std::string expand_variables(std::string_view url, const std::string& where, GetEnv getenv) {
    std::string expanded;
    for (std::size_t at = 0; at < url.size();) {
        if (url.substr(at, 2) != "${") {
            expanded += url[at++];
            continue;
        }
        const std::size_t close = url.find('}', at);
        if (close == std::string_view::npos) throw UsageError(where + ": '${' without a closing '}'");
        const std::string variable(url.substr(at + 2, close - at - 2));
        const char* value = variable.empty() ? nullptr : getenv(variable.c_str());
        if (value == nullptr) throw UsageError(where + ": environment variable " + variable + " is not set");
        expanded += value;
        at = close + 1;
    }
    return expanded;
}

// `NAME URL` (the URL is the rest of the line: libpq's key=value form has spaces) or a bare URL.
Target parse_line(std::string_view line, const std::string& where, GetEnv getenv) {
    const std::size_t space = line.find_first_of(" \t");
    const bool named = space != std::string_view::npos;
    const std::string_view url_text = named ? trim(line.substr(space)) : line;
    Target target{std::string(named ? line.substr(0, space) : ""), expand_variables(url_text, where, getenv),
                  std::nullopt};
    const auto database = database_name(target.url);
    if (!database) {
        throw UsageError(where + ": '" + redact_url(target.url) +
                         "' is not a database URL (use sqlite:PATH or postgres://...)");
    }
    if (!named) {
        if (database->empty()) throw UsageError(where + ": the URL names no database; write `NAME URL`");
        target.name = *database;
    }
    if (!is_target_name(target.name)) {
        throw UsageError(where + ": target name '" + target.name +
                         "' may hold only letters, digits, '_', '-' and '.'; write `NAME URL`");
    }
    return target;
}

}  // namespace

std::vector<Target> parse_targets(std::string_view text, const std::string& file_label, GetEnv getenv) {
    std::vector<Target> targets;
    std::map<std::string, std::size_t> line_of_name;
    std::size_t number = 0;
    for (std::size_t start = 0; start <= text.size(); ++number) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        if (line.empty() || line.front() == '#') continue;
        const std::string where = file_label + ":" + std::to_string(number + 1);
        Target target = parse_line(line, where, getenv);
        const auto [earlier, added] = line_of_name.emplace(target.name, number + 1);
        if (!added) {
            throw UsageError(where + ": target name '" + target.name + "' is already used on line " +
                             std::to_string(earlier->second));
        }
        targets.push_back(std::move(target));
    }
    return targets;
}

std::vector<Target> read_targets(const std::filesystem::path& file, GetEnv getenv) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw UsageError("--targets: cannot read " + file.string() + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_targets(text.str(), file.string(), getenv);
}

std::vector<Target> schema_targets(const std::string& url, const std::vector<std::string>& schemas) {
    std::vector<Target> targets;
    for (const auto& schema : schemas) targets.push_back({schema, url, schema});
    return targets;
}

std::vector<Target> take_shard(const std::vector<Target>& targets, Shard shard) {
    std::vector<Target> mine;
    for (std::size_t position = static_cast<std::size_t>(shard.index); position < targets.size();
         position += static_cast<std::size_t>(shard.count)) {
        mine.push_back(targets[position]);
    }
    return mine;
}

Settings settings_for(const Settings& run, const Target& target) {
    Settings settings = run;
    settings.database_url = target.url;
    if (target.schema) {
        settings.search_path = target.schema;
        settings.table = *target.schema + "." + run.table;
    }
    return settings;
}

}  // namespace datamig
