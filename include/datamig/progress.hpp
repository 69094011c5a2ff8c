#pragma once
// How a batched migration shows that it is alive: on a terminal, one line rewritten in place;
// otherwise (a Kubernetes Job's log) an info line every few seconds and one at the end.
#include <chrono>
#include <ostream>
#include <string>

#include "datamig/batch.hpp"

namespace datamig {

class ProgressDisplay {
public:
    // `terminal`: where the live line goes; nullptr logs lines instead, every `log_every`.
    ProgressDisplay(std::ostream* terminal, std::chrono::milliseconds log_every);
    void show(const BatchProgress& progress);

private:
    std::ostream* terminal_;
    std::chrono::milliseconds every_;
    std::chrono::milliseconds next_{0};
    std::string label_;  // the migration being shown; a new one starts the schedule again
};

// The display for this run: live on an interactive stderr with text logs (one database), else
// log lines.
ProgressListener progress_listener(const Settings& settings);

}  // namespace datamig
