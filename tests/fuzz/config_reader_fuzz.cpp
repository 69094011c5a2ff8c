// Feeds arbitrary bytes to the datamig.toml reader and the settings resolution behind it. A
// bad file may only ever be refused with a UsageError naming "file:line"; anything else
// (another exception, a crash, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "datamig/config_file.hpp"
#include "datamig/error.hpp"
#include "datamig/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const datamig::RawSettings config = datamig::parse_config_text(text, "fuzz.toml");
        datamig::resolve_settings({}, {}, config);
    } catch (const datamig::UsageError& error) {
        if (std::string(error.what()).find("fuzz.toml") == std::string::npos) __builtin_trap();
    }
    return 0;
}
