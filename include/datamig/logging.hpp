#pragma once
#include <string>
#include <vector>

#include "datamig/settings.hpp"

namespace datamig {

// Logs go to stderr (stdout is for data), as text or one JSON object per line. Every line has
// each of `database_urls` replaced by its redacted form (password "***"), wherever it came
// from: an exec migration printing DATABASE_URL, a driver echoing the URL.
void configure_logging(LogFormat format, int verbosity, const std::vector<std::string>& database_urls);

// While one exists on a thread, the lines that thread logs carry the target's name (SPEC §4, many
// databases): "datamig: info: tenant_7: ..." or "target":"tenant_7" in JSON.
class LogTarget {
public:
    explicit LogTarget(std::string name);
    ~LogTarget();
    LogTarget(const LogTarget&) = delete;
    LogTarget& operator=(const LogTarget&) = delete;
};

}  // namespace datamig
