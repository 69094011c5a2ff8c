#include "datamig/config_file.hpp"

// toml++ in its header-only form: it is compiled into this one file, so the binary needs no
// libtomlplusplus3 at run time (one shared library fewer in the container image).
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "datamig/error.hpp"

namespace datamig {
namespace {

// What a setting accepts. Strings and integers are both "scalar": the text is converted once,
// in resolve_settings, the same way for every source.
enum class ValueKind { scalar, boolean, string_array };

struct KnownSetting {
    std::string_view key;
    ValueKind kind;
};

constexpr KnownSetting known_settings[] = {
    {"database_url", ValueKind::scalar},
    {"dir", ValueKind::scalar},
    {"table", ValueKind::scalar},
    {"phases", ValueKind::string_array},
    {"format", ValueKind::scalar},
    {"log_format", ValueKind::scalar},
    {"verbose", ValueKind::boolean},
    {"quiet", ValueKind::boolean},
    {"wait", ValueKind::boolean},
    {"wait_timeout", ValueKind::scalar},
    {"lock_wait", ValueKind::scalar},
    {"statement_timeout", ValueKind::scalar},
    {"operator", ValueKind::scalar},
    {"context", ValueKind::string_array},
    {"exec_timeout", ValueKind::scalar},
    {"batch_size", ValueKind::scalar},
    {"pause", ValueKind::scalar},
    {"schema_dir", ValueKind::scalar},
    {"batch_time", ValueKind::scalar},
    {"lock_timeout", ValueKind::scalar},
    {"max_replica_lag", ValueKind::scalar},
    {"throttle_query", ValueKind::scalar},
    {"time_budget", ValueKind::scalar},
    {"summary_file", ValueKind::scalar},
    {"targets", ValueKind::scalar},
    {"schemas", ValueKind::scalar},
    {"jobs", ValueKind::scalar},
    {"shard", ValueKind::scalar},
    {"canary", ValueKind::scalar},
};

const KnownSetting* find_known_setting(std::string_view key) {
    const auto found = std::find_if(std::begin(known_settings), std::end(known_settings),
                                    [&](const KnownSetting& known) { return known.key == key; });
    return found == std::end(known_settings) ? nullptr : found;
}

std::string known_setting_list() {
    std::string list;
    for (const auto& known : known_settings) {
        if (!list.empty()) list += ", ";
        list += known.key;
    }
    return list;
}

std::string location(const std::string& file_label, const toml::source_region& source) {
    return file_label + ":" + std::to_string(source.begin.line);
}

// A NUL would cut the C strings of messages and URLs short.
std::string text_of(const toml::node& node, const std::string& where) {
    std::string text = node.value_or(std::string());
    if (text.find('\0') != std::string::npos) {
        throw UsageError(where + ": a NUL character (\\u0000) cannot be part of a setting");
    }
    return text;
}

// The setting's values as text, or a UsageError saying what the setting takes.
std::vector<std::string> values_of(const toml::node& node, const KnownSetting& known, const std::string& written_key,
                                   const std::string& where) {
    const auto refuse = [&](const std::string& what) -> std::vector<std::string> {
        throw UsageError(where + ": '" + written_key + "' " + what);
    };
    if (node.is_floating_point() || node.is_date() || node.is_time() || node.is_date_time()) {
        throw UsageError(where +
                         ": fractional numbers, dates and times are not supported; write durations as "
                         "strings, e.g. \"1.5s\"");
    }
    switch (known.kind) {
        case ValueKind::boolean:
            if (!node.is_boolean()) return refuse("must be true or false");
            return {*node.value<bool>() ? "true" : "false"};
        case ValueKind::string_array: {
            const toml::array* array = node.as_array();
            const bool strings_only =
                array != nullptr &&
                std::all_of(array->begin(), array->end(), [](const toml::node& item) { return item.is_string(); });
            if (!strings_only) return refuse("must be an array of strings, e.g. [\"a\", \"b\"]");
            std::vector<std::string> items;
            for (const toml::node& item : *array) items.push_back(text_of(item, where));
            return items;
        }
        case ValueKind::scalar:
            if (node.is_integer()) return {std::to_string(*node.value<std::int64_t>())};
            if (node.is_string()) return {text_of(node, where)};
            return refuse(node.is_array() ? "takes a single value, not an array" : "takes a string or an integer");
    }
    return {};
}

}  // namespace

RawSettings parse_config_text(std::string_view text, const std::string& file_label) {
    toml::table document;
    try {
        document = toml::parse(text, file_label);
    } catch (const toml::parse_error& error) {
        throw UsageError(location(file_label, error.source()) + ": " + std::string(error.description()));
    }
    // A toml::table iterates in key order; settings are checked in file order, so that a
    // duplicate names the later line and the first error is the first in the file.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (const auto& [key, node] : document) entries.emplace_back(&key, &node);
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first->source().begin < b.first->source().begin; });

    RawSettings settings;
    for (const auto& [written, node] : entries) {
        const std::string where = location(file_label, written->source());
        const std::string written_key(written->str());
        if (node->is_table()) {
            throw UsageError(where + ": tables such as '[" + written_key +
                             "]' or dotted keys are not supported; write 'key = value' lines");
        }
        std::string key = written_key;
        std::replace(key.begin(), key.end(), '-', '_');
        const KnownSetting* known = find_known_setting(key);
        if (known == nullptr) {
            throw UsageError(where + ": unknown setting '" + written_key + "' (known: " + known_setting_list() + ")");
        }
        if (const auto earlier = settings.find(key); earlier != settings.end()) {
            throw UsageError(where + ": duplicate setting '" + written_key + "' (already set at " +
                             earlier->second.origin + ")");
        }
        settings[key] = RawSetting{values_of(*node, *known, written_key, where), where};
    }
    return settings;
}

RawSettings read_config_file(const std::filesystem::path& path) {
    const std::string prefix = "cannot read config file " + path.string() + ": ";
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) throw UsageError(prefix + "it is a directory");
    std::ifstream file(path, std::ios::binary);
    if (!file) throw UsageError(prefix + std::strerror(errno));
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad()) throw UsageError(prefix + "read error");
    return parse_config_text(text.str(), path.string());
}

}  // namespace datamig
