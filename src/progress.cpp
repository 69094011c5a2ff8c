#include "datamig/progress.hpp"

#include <unistd.h>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

namespace datamig {
namespace {

// Often enough to look live, rarely enough not to cost the batches anything.
constexpr std::chrono::milliseconds terminal_refresh{100};
constexpr std::chrono::milliseconds log_interval{5000};

}  // namespace

ProgressDisplay::ProgressDisplay(std::ostream* terminal, std::chrono::milliseconds log_every)
    : terminal_(terminal), every_(terminal ? terminal_refresh : log_every) {}

void ProgressDisplay::show(const BatchProgress& progress) {
    if (progress.label != label_) {
        label_ = progress.label;
        next_ = every_;
    }
    const bool ended = progress.end != BatchEnd::running;
    if (!ended && progress.elapsed < next_) return;
    next_ = progress.elapsed + every_;
    if (!terminal_) {
        spdlog::info("{}", describe(progress));
        return;
    }
    // "\r" and erase-to-end-of-line redraw the one line; the last one stays, ended by a newline.
    *terminal_ << "\r\033[K" << describe(progress) << (ended ? "\n" : "") << std::flush;
}

ProgressListener progress_listener(const Settings& settings) {
    // Targets of a many-target run share stderr: one live line each would overwrite each other.
    const bool live = settings.log_format == LogFormat::text && settings.verbosity >= 0 && !settings.many_targets() &&
                      isatty(STDERR_FILENO) != 0;
    auto display = std::make_shared<ProgressDisplay>(live ? &std::cerr : nullptr, log_interval);
    return [display](const BatchProgress& progress) { display->show(progress); };
}

}  // namespace datamig
