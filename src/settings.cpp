#include "datamig/settings.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <pwd.h>
#include <system_error>
#include <unistd.h>

#include "datamig/sql_text.hpp"
#include "datamig/duration.hpp"
#include "datamig/error.hpp"
#include "datamig/migration.hpp"

namespace datamig {

namespace {

// What a setting accepts in datamig.toml. Strings and integers are both "scalar": the text is
// converted once, in resolve_settings, the same way for every source.
enum class ValueKind { scalar, boolean, string_array };

struct KnownSetting {
    std::string_view key;
    ValueKind kind;
};

constexpr KnownSetting known_settings[] = {
    {"database_url", ValueKind::scalar},      {"dir", ValueKind::scalar},
    {"table", ValueKind::scalar},             {"phases", ValueKind::string_array},
    {"format", ValueKind::scalar},            {"log_format", ValueKind::scalar},
    {"verbose", ValueKind::boolean},          {"quiet", ValueKind::boolean},
    {"wait", ValueKind::boolean},             {"wait_timeout", ValueKind::scalar},
    {"lock_wait", ValueKind::scalar},         {"statement_timeout", ValueKind::scalar},
    {"operator", ValueKind::scalar},          {"context", ValueKind::string_array},
    {"exec_timeout", ValueKind::scalar},      {"batch_size", ValueKind::scalar},
    {"pause", ValueKind::scalar},             {"schema_dir", ValueKind::scalar},
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

bool is_bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& text, std::uint32_t code_point) {
    const auto byte = [](std::uint32_t bits) { return static_cast<char>(bits); };
    if (code_point < 0x80) {
        text += byte(code_point);
    } else if (code_point < 0x800) {
        text += byte(0xC0 | (code_point >> 6));
        text += byte(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        text += byte(0xE0 | (code_point >> 12));
        text += byte(0x80 | ((code_point >> 6) & 0x3F));
        text += byte(0x80 | (code_point & 0x3F));
    } else {
        text += byte(0xF0 | (code_point >> 18));
        text += byte(0x80 | ((code_point >> 12) & 0x3F));
        text += byte(0x80 | ((code_point >> 6) & 0x3F));
        text += byte(0x80 | (code_point & 0x3F));
    }
}

struct ConfigValue {
    ValueKind kind;
    std::vector<std::string> items;
};

// One line of datamig.toml. Every error names "file:line", the way compilers do, so editors
// can jump to it.
class ConfigLine {
public:
    ConfigLine(std::string_view text, std::string location)
        : text_(text), location_(std::move(location)) {}

    bool is_blank_or_comment() {
        skip_blanks();
        return at_end_or_comment();
    }

    std::string key() {
        if (peek() == '[') fail("tables like '[name]' are not supported; write 'key = value' lines");
        const auto start = position_;
        while (!at_end() && is_bare_key_char(peek())) ++position_;
        if (position_ == start) fail("expected 'key = value', a comment or a blank line");
        std::string written(text_.substr(start, position_ - start));
        skip_blanks();
        if (at_end() || peek() != '=') fail("missing '=' after '" + written + "'");
        ++position_;
        return written;
    }

    ConfigValue value() {
        skip_blanks();
        if (at_end_or_comment()) fail("missing value after '='");
        ConfigValue parsed = any_value();
        skip_blanks();
        if (!at_end_or_comment()) fail("unexpected text after the value");
        return parsed;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw UsageError(location_ + ": " + what);
    }

    const std::string& location() const { return location_; }

private:
    bool at_end() const { return position_ >= text_.size(); }
    bool at_end_or_comment() const { return at_end() || peek() == '#'; }
    char peek() const { return text_[position_]; }
    bool next_is(std::string_view word) const { return text_.substr(position_, word.size()) == word; }

    void skip_blanks() {
        while (!at_end() && (peek() == ' ' || peek() == '\t')) ++position_;
    }

    ConfigValue any_value() {
        const char first = peek();
        if (first == '"' || first == '\'') return {ValueKind::scalar, {string()}};
        if (first == '[') return {ValueKind::string_array, string_array()};
        for (const std::string_view word : {"true", "false"}) {
            if (next_is(word)) {
                position_ += word.size();
                return {ValueKind::boolean, {std::string(word)}};
            }
        }
        if (is_digit(first) || first == '-' || first == '+') return {ValueKind::scalar, {integer()}};
        fail("expected a value: \"text\", 'text', an integer, true, false or [\"a\", \"b\"]");
    }

    std::string string() {
        if (next_is("\"\"\"") || next_is("'''")) fail("multi-line strings are not supported");
        return peek() == '"' ? basic_string() : literal_string();
    }

    std::string literal_string() {
        const auto closing = text_.find('\'', position_ + 1);
        if (closing == std::string_view::npos) fail("unterminated string");
        std::string text(text_.substr(position_ + 1, closing - position_ - 1));
        position_ = closing + 1;
        return text;
    }

    std::string basic_string() {
        std::string text;
        ++position_;
        while (true) {
            if (at_end()) fail("unterminated string");
            const char c = text_[position_++];
            if (c == '"') return text;
            if (c == '\\') {
                escape(text);
            } else {
                text += c;
            }
        }
    }

    void escape(std::string& text) {
        if (at_end()) fail("unterminated string");
        const char code = text_[position_++];
        switch (code) {
            case 'b': text += '\b'; return;
            case 't': text += '\t'; return;
            case 'n': text += '\n'; return;
            case 'f': text += '\f'; return;
            case 'r': text += '\r'; return;
            case '"': text += '"'; return;
            case '\\': text += '\\'; return;
            case 'u': append_utf8(text, unicode_escape(4)); return;
            case 'U': append_utf8(text, unicode_escape(8)); return;
            default: fail(std::string("invalid escape '\\") + code + "' in string");
        }
    }

    std::uint32_t unicode_escape(std::size_t digit_count) {
        const std::string_view digits = text_.substr(position_, digit_count);
        std::uint32_t code_point = 0;
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), code_point, 16);
        const bool is_scalar_value =
            code_point <= 0x10FFFF && (code_point < 0xD800 || code_point > 0xDFFF);
        if (digits.size() != digit_count || error != std::errc() ||
            end != digits.data() + digits.size() || !is_scalar_value) {
            fail("invalid unicode escape in string: use \\uXXXX or \\UXXXXXXXX");
        }
        if (code_point == 0) fail("a NUL character (\\u0000) cannot be part of a setting");
        position_ += digit_count;
        return code_point;
    }

    std::vector<std::string> string_array() {
        std::vector<std::string> items;
        ++position_;
        while (true) {
            skip_blanks();
            if (at_end_or_comment()) fail("unterminated array: arrays must end with ']' on the same line");
            if (peek() == ']') break;
            if (peek() != '"' && peek() != '\'') fail("arrays may hold only strings");
            items.push_back(string());
            skip_blanks();
            if (at_end_or_comment()) continue;  // reported as unterminated above
            if (peek() == ',') {
                ++position_;
            } else if (peek() != ']') {
                fail("expected ',' or ']' after an array item");
            }
        }
        ++position_;
        return items;
    }

    // TOML integers: an optional sign, digits, '_' allowed between digits (1_000).
    std::string integer() {
        std::string digits;
        if (peek() == '-') digits += '-';
        if (peek() == '-' || peek() == '+') ++position_;
        while (!at_end() && (is_digit(peek()) || peek() == '_')) {
            if (peek() != '_') {
                digits += peek();
            } else if (digits.empty() || !is_digit(digits.back()) ||
                       position_ + 1 == text_.size() || !is_digit(text_[position_ + 1])) {
                fail("'_' in a number must stand between digits");
            }
            ++position_;
        }
        if (digits.empty() || !is_digit(digits.back())) fail("expected digits after the sign");
        if (!at_end() && (peek() == '.' || peek() == 'e' || peek() == 'E')) {
            fail("fractional numbers are not supported; write durations as strings, e.g. \"1.5s\"");
        }
        return digits;
    }

    std::string_view text_;
    std::string location_;
    std::size_t position_ = 0;
};

void check_value_kind(const ConfigLine& line, std::string_view key, ValueKind expected,
                      ValueKind actual) {
    if (expected == actual) return;
    const std::string name(key);
    switch (expected) {
        case ValueKind::boolean: line.fail("'" + name + "' must be true or false");
        case ValueKind::string_array:
            line.fail("'" + name + "' must be an array of strings, e.g. [\"a\", \"b\"]");
        case ValueKind::scalar: line.fail("'" + name + "' takes a single value, not an array");
    }
}

[[noreturn]] void reject(const RawSetting& raw, const std::string& what) {
    throw UsageError(raw.origin + ": " + what);
}

const std::string& single_value(const RawSetting& raw) {
    if (raw.values.size() != 1) reject(raw, "expects a single value");
    return raw.values.front();
}

const std::string& non_empty_value(const RawSetting& raw, const std::string& what) {
    const std::string& value = single_value(raw);
    if (value.empty()) reject(raw, what + " is empty");
    return value;
}

// "" is what the command line passes for a bare flag such as --wait.
bool to_bool(const RawSetting& raw) {
    const std::string& value = single_value(raw);
    if (value == "true" || value == "1" || value.empty()) return true;
    if (value == "false" || value == "0") return false;
    reject(raw, "expected true or false, got '" + value + "'");
}

template <typename Choice>
Choice to_choice(const RawSetting& raw, const std::string& what,
                 std::initializer_list<std::pair<std::string_view, Choice>> choices) {
    const std::string& value = single_value(raw);
    std::string names;
    for (const auto& [name, choice] : choices) {
        if (name == value) return choice;
        names += (names.empty() ? "" : ", ") + std::string(name);
    }
    reject(raw, "unknown " + what + " '" + value + "' (" + names + ")");
}

std::int64_t to_positive_integer(const RawSetting& raw, const std::string& what) {
    const std::string& value = single_value(raw);
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size() || number <= 0) {
        reject(raw, what + " must be a positive integer, got '" + value + "'");
    }
    return number;
}

bool is_phase_name(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_';
    });
}

std::vector<std::string> to_phases(const RawSetting& raw) {
    if (raw.values.empty()) reject(raw, "list at least one phase");
    std::vector<std::string> phases;
    for (const std::string& name : raw.values) {
        if (!is_phase_name(name)) {
            reject(raw, "invalid phase name '" + name + "' (use lowercase letters, digits and '_')");
        }
        // The migrations root holds the project's templates next to the phase folders.
        if (name == "templates") reject(raw, "'templates' is reserved for migration templates");
        if (std::find(phases.begin(), phases.end(), name) != phases.end()) {
            reject(raw, "phase '" + name + "' is listed twice");
        }
        phases.push_back(name);
    }
    return phases;
}

std::vector<std::pair<std::string, std::string>> to_context(const RawSetting& raw) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const std::string& item : raw.values) {
        const auto equals = item.find('=');
        if (equals == std::string::npos || equals == 0) {
            reject(raw, "context must be KEY=VALUE, got '" + item + "'");
        }
        pairs.emplace_back(item.substr(0, equals), item.substr(equals + 1));
    }
    return pairs;
}

// The three sources in precedence order (SPEC §4: flag > environment > config file).
class SettingSources {
public:
    SettingSources(const RawSettings& flags, const RawSettings& environment,
                   const RawSettings& config_file)
        : flags_(flags), environment_(environment), config_file_(config_file) {}

    const RawSetting* find(const std::string& key) const {
        for (const RawSettings* source : {&flags_, &environment_, &config_file_}) {
            const auto found = source->find(key);
            if (found != source->end() && !is_only_a_default(found->second)) return &found->second;
        }
        const auto fallback = environment_.find(key);
        return fallback == environment_.end() ? nullptr : &fallback->second;
    }

    // For duration messages: flags and variables name themselves, a config line does not.
    std::string describe(const std::string& key, const RawSetting& raw) const {
        const auto in_config = config_file_.find(key);
        const bool from_config = in_config != config_file_.end() && &in_config->second == &raw;
        return from_config ? key + " (" + raw.origin + ")" : raw.origin;
    }

    // verbose and quiet are one setting: the first source that sets either decides, so -q on
    // the command line overrides `verbose = true` in the config file.
    int verbosity() const {
        for (const RawSettings* source : {&flags_, &environment_, &config_file_}) {
            const auto verbose = source->find("verbose");
            const auto quiet = source->find("quiet");
            const bool has_verbose = verbose != source->end();
            const bool has_quiet = quiet != source->end();
            if (!has_verbose && !has_quiet) continue;
            const bool louder = has_verbose && to_bool(verbose->second);
            const bool quieter = has_quiet && to_bool(quiet->second);
            if (louder && quieter) {
                throw UsageError(verbose->second.origin + ", " + quiet->second.origin +
                                 ": verbose and quiet cannot be combined");
            }
            return louder ? 1 : quieter ? -1 : 0;
        }
        return 0;
    }

private:
    // $USER is the operator's default, not a setting (SPEC §4), so the config file beats it.
    static bool is_only_a_default(const RawSetting& raw) { return raw.origin == "USER"; }

    const RawSettings& flags_;
    const RawSettings& environment_;
    const RawSettings& config_file_;
};

}  // namespace

RawSettings parse_config_text(const std::string& text, const std::string& file_label) {
    std::string_view remaining = text;
    const std::string_view byte_order_mark = "\xEF\xBB\xBF";
    if (remaining.substr(0, byte_order_mark.size()) == byte_order_mark) {
        remaining.remove_prefix(byte_order_mark.size());
    }
    // TOML files are UTF-8 without control characters; rejecting them up front also keeps a NUL
    // out of every value (it would cut the C strings of messages and URLs short).
    if (int bad_line = 0; !is_valid_utf8(remaining, bad_line)) {
        throw UsageError(file_label + ":" + std::to_string(bad_line) + ": not valid UTF-8");
    }
    RawSettings settings;
    for (std::size_t line_number = 1; !remaining.empty(); ++line_number) {
        const auto line_end = std::min(remaining.find('\n'), remaining.size());
        std::string_view line_text = remaining.substr(0, line_end);
        remaining.remove_prefix(std::min(line_end + 1, remaining.size()));
        if (!line_text.empty() && line_text.back() == '\r') line_text.remove_suffix(1);

        ConfigLine line(line_text, file_label + ":" + std::to_string(line_number));
        const auto control = std::find_if(line_text.begin(), line_text.end(), [](char c) {
            return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == '\x7f';
        });
        if (control != line_text.end()) line.fail("control character (byte " + std::to_string(static_cast<unsigned char>(*control)) + ") in the file");
        if (line.is_blank_or_comment()) continue;
        const std::string written_key = line.key();
        const ConfigValue value = line.value();

        std::string key = written_key;
        std::replace(key.begin(), key.end(), '-', '_');
        const KnownSetting* known = find_known_setting(key);
        if (known == nullptr) {
            line.fail("unknown setting '" + written_key + "' (known: " + known_setting_list() + ")");
        }
        if (const auto earlier = settings.find(key); earlier != settings.end()) {
            line.fail("duplicate setting '" + written_key + "' (already set at " +
                      earlier->second.origin + ")");
        }
        check_value_kind(line, key, known->kind, value.kind);
        settings[key] = RawSetting{value.items, line.location()};
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

// Who runs datamig when neither DATAMIG_OPERATOR nor USER says (a container's entrypoint
// often sets neither).
std::string login_name() {
    const passwd* entry = getpwuid(geteuid());
    return entry != nullptr && entry->pw_name != nullptr ? entry->pw_name : "unknown";
}

RawSettings settings_from_environment(GetEnv get_variable) {
    RawSettings settings;
    const auto take = [&](const char* variable, const std::string& key) {
        const char* value = get_variable(variable);
        if (value == nullptr || *value == '\0') return false;
        settings[key] = RawSetting{{value}, variable};
        return true;
    };
    take("DATABASE_URL", "database_url");
    take("DATAMIG_DIR", "dir");
    take("DATAMIG_TABLE", "table");
    take("DATAMIG_LOG_FORMAT", "log_format");
    if (!take("DATAMIG_OPERATOR", "operator")) take("USER", "operator");
    return settings;
}

std::optional<std::filesystem::path> choose_config_file(const std::optional<std::string>& flag,
                                                        GetEnv get_variable) {
    if (flag) return std::filesystem::path(*flag);
    if (const char* variable = get_variable("DATAMIG_CONFIG"); variable && *variable != '\0') {
        return std::filesystem::path(variable);
    }
    const std::filesystem::path conventional = "datamig.toml";
    std::error_code ignored;
    if (std::filesystem::exists(conventional, ignored)) return conventional;
    return std::nullopt;
}

Settings resolve_settings(const RawSettings& flags, const RawSettings& environment,
                          const RawSettings& config_file) {
    const SettingSources sources(flags, environment, config_file);
    Settings settings;
    const auto duration = [&](const std::string& key) -> std::optional<std::chrono::milliseconds> {
        const RawSetting* raw = sources.find(key);
        if (raw == nullptr) return std::nullopt;
        return parse_duration(single_value(*raw), sources.describe(key, *raw));
    };

    if (const auto* raw = sources.find("database_url")) {
        settings.database_url = non_empty_value(*raw, "database URL");
    }
    if (const auto* raw = sources.find("dir")) settings.dir = non_empty_value(*raw, "path");
    if (const auto* raw = sources.find("table")) {
        const std::string& table = single_value(*raw);
        if (!is_valid_table_name(table)) {
            reject(*raw, "'" + table + "' is not a table name (use name or schema.name)");
        }
        settings.table = table;
    }
    if (const auto* raw = sources.find("phases")) settings.phases = to_phases(*raw);
    if (const auto* raw = sources.find("format")) {
        settings.format = to_choice<OutputFormat>(*raw, "format",
                                                  {{"text", OutputFormat::text},
                                                   {"json", OutputFormat::json},
                                                   {"github", OutputFormat::github}});
    }
    if (const auto* raw = sources.find("log_format")) {
        settings.log_format = to_choice<LogFormat>(
            *raw, "log format", {{"text", LogFormat::text}, {"json", LogFormat::json}});
    }
    settings.verbosity = sources.verbosity();
    if (const auto* raw = sources.find("wait")) settings.wait = to_bool(*raw);
    settings.wait_timeout = duration("wait_timeout").value_or(settings.wait_timeout);
    settings.lock_wait = duration("lock_wait").value_or(settings.lock_wait);
    settings.statement_timeout = duration("statement_timeout");
    if (const auto* raw = sources.find("operator")) settings.operator_name = single_value(*raw);
    if (settings.operator_name.empty()) settings.operator_name = login_name();
    if (const auto* raw = sources.find("context")) settings.context = to_context(*raw);
    // 0 means "no limit", as PostgreSQL's statement_timeout = 0 does.
    settings.exec_timeout = duration("exec_timeout");
    if (settings.exec_timeout && settings.exec_timeout->count() == 0) settings.exec_timeout.reset();
    if (const auto* raw = sources.find("batch_size")) {
        settings.batch_size = to_positive_integer(*raw, "batch size");
    }
    settings.pause = duration("pause");
    if (const auto* raw = sources.find("schema_dir")) {
        settings.schema_dir = non_empty_value(*raw, "path");
    }
    return settings;
}

void require_known_phase(const std::vector<std::string>& phases, const std::optional<std::string>& phase) {
    if (!phase || std::find(phases.begin(), phases.end(), *phase) != phases.end()) return;
    std::string known;
    for (const auto& name : phases) known += (known.empty() ? "" : ", ") + name;
    throw UsageError("--phase: unknown phase '" + *phase + "' (phases: " + known + ")");
}

std::string context_json(const Settings& settings) {
    // ordered_json keeps the pairs in the order given; assigning a repeated key replaces
    // the earlier value in place.
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto& [key, value] : settings.context) object[key] = value;
    // A context value comes straight from the command line: replace invalid UTF-8 rather
    // than fail the run over a monitoring label.
    return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace datamig
