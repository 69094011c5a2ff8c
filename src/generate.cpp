#include "datamig/generate.hpp"

#include <fstream>
#include <system_error>

#include "datamig/error.hpp"
#include "datamig/templates.hpp"

namespace datamig {
namespace {

bool version_in_use(const Settings& settings, const std::string& version) {
    const std::string prefix = version + "_";
    for (const auto& phase : settings.phases) {
        std::error_code ignored;
        for (const auto& entry : std::filesystem::directory_iterator(settings.dir / phase, ignored)) {
            if (entry.path().filename().string().rfind(prefix, 0) == 0) return true;
        }
    }
    return false;
}

std::string template_name(const GenerateRequest& request) {
    if (request.kind == Kind::exec) {
        if (request.batch != BatchMode::none)
            throw UsageError("--batch applies to SQL migrations only, not --kind exec");
        return "exec.sh";
    }
    switch (request.batch) {
        case BatchMode::loop: return "batch_loop.sql";
        case BatchMode::range: return "batch_range.sql";
        case BatchMode::none: break;
    }
    return "sql.sql";
}

}  // namespace

std::filesystem::path generate_migration(const Settings& settings, const GenerateRequest& request, TimePoint now) {
    const std::string name = to_snake_case(request.name);
    require_known_phase(settings.phases, request.phase);
    const std::string phase = request.phase.value_or(settings.phases.front());
    if (!std::filesystem::is_directory(settings.dir)) {
        throw InvalidInput("migrations directory " + settings.dir.string() + " does not exist (--dir)");
    }

    // Versions must be unique across phases (they share one history table), so skip forward
    // past any second some phase already uses.
    std::string version = version_at(now);
    while (version_in_use(settings, version)) {
        now += std::chrono::seconds(1);
        version = version_at(now);
    }

    const std::string template_file = template_name(request);
    const std::string text = render_template(load_template(settings.dir, template_file),
                                             {{"version", version}, {"name", name}, {"phase", phase}});
    const auto extension = std::filesystem::path(template_file).extension().string();
    const auto folder = settings.dir / phase;
    const auto path = folder / (version + "_" + name + extension);

    std::filesystem::create_directories(folder);
    // Write to a temporary name and rename, so an interrupted generate leaves no half file
    // that check would later trip over.
    const auto temporary = folder / ("." + version + "_" + name + extension + ".tmp");
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) throw InvalidInput("cannot write " + temporary.string());
    }
    if (request.kind == Kind::exec) {
        using std::filesystem::perms;
        std::filesystem::permissions(temporary, perms::owner_all | perms::group_read | perms::group_exec |
                                                    perms::others_read | perms::others_exec);
    }
    std::filesystem::rename(temporary, path);
    return path;
}

}  // namespace datamig
