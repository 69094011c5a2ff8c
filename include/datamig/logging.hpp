#pragma once
#include <string>

#include "datamig/settings.hpp"

namespace datamig {

// Logs go to stderr (stdout is for data), as text or one JSON object per line. Every line
// has `secret` (the database password) replaced by "***", wherever it came from.
void configure_logging(LogFormat format, int verbosity, const std::string& secret);

}  // namespace datamig
