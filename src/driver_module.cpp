#include "datamig/driver_module.hpp"

#include <dlfcn.h>

#include <system_error>

#include "datamig/error.hpp"

namespace datamig {
namespace {

namespace fs = std::filesystem;

std::string listed(const std::vector<fs::path>& paths) {
    std::string text;
    for (const auto& path : paths) text += (text.empty() ? "" : " or ") + path.string();
    return text;
}

}  // namespace

std::vector<fs::path> driver_module_paths(const std::string& file) {
    std::error_code error;
    const fs::path executable = fs::read_symlink("/proc/self/exe", error);
    if (error) throw UsageError("cannot find the datamig executable (/proc/self/exe): " + error.message());
    const fs::path folder = executable.parent_path();
    return {folder / file, (folder / ".." / "lib" / "datamig" / file).lexically_normal()};
}

const DriverKind& load_driver_module(const std::vector<fs::path>& paths, const std::string& database) {
    for (const auto& path : paths) {
        std::error_code ignored;
        if (!fs::exists(path, ignored)) continue;
        // Never closed: the module's code and type information must outlive every error it threw.
        void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        // The loader's reason names the module or the library it lacks ("libpq.so.5: cannot open").
        if (module == nullptr) throw UsageError(database + " support cannot be loaded: " + dlerror());
        const void* kind = dlsym(module, "datamig_driver_kind");
        if (kind == nullptr) throw UsageError(path.string() + " is not a datamig driver module: " + dlerror());
        return **static_cast<const DriverKind* const*>(kind);
    }
    throw UsageError(database + " support is not installed: no " + listed(paths));
}

}  // namespace datamig
