#pragma once
// Settings given as flags (SPEC §4). They can also come from the environment and datamig.toml,
// so the command line only collects their raw strings; resolve_settings (settings.hpp) applies
// the precedence and converts them once.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "datamig/settings.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace datamig {

struct SettingFlag {
    const char* flag;  // CLI11 spelling, e.g. "-q,--quiet"
    const char* key;   // settings key, e.g. "quiet"
    const char* help;
    bool is_switch = false;
    bool repeatable = false;
};

// Accepted by every command, before or after its name.
extern const std::vector<SettingFlag> global_setting_flags;
// Settings of one command that datamig.toml may also set.
extern const std::vector<SettingFlag> migrate_setting_flags;
extern const std::vector<SettingFlag> check_setting_flags;

// Binds setting flags to a CLI11 app and collects the ones given.
class SettingFlags {
public:
    void add(CLI::App& app, const std::vector<SettingFlag>& flags);
    // The flags given, each with its last value (every value of a repeatable one), named by the
    // flag as the origin for messages.
    RawSettings collect() const;

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::pair<const SettingFlag*, CLI::Option*>> bound_;
};

}  // namespace datamig
