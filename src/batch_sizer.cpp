#include "datamig/batch_sizer.hpp"

#include <algorithm>
#include <cmath>

namespace datamig {
namespace {

// Weight of the newest batch in the cost estimate: one odd batch (a vacuum, a checkpoint) moves
// the size half as far as a lasting change, which is followed within two or three batches.
constexpr double newest_weight = 0.5;
// Above this multiple of the target a batch is a slow-down to answer at once.
constexpr double alarm_ratio = 2.0;
// SPEC §2: per step, at most x2 up and /4 down.
constexpr std::int64_t max_growth = 2;
constexpr std::int64_t max_shrink = 4;

}  // namespace

BatchSizer::BatchSizer(std::int64_t first, std::optional<std::chrono::milliseconds> target, std::int64_t maximum)
    : size_(std::clamp<std::int64_t>(first, 1, std::max<std::int64_t>(maximum, 1))),
      target_(target),
      maximum_(std::max<std::int64_t>(maximum, 1)) {}

void BatchSizer::measured(std::int64_t size, std::chrono::microseconds took) {
    if (!target_ || size <= 0) return;
    // A batch too fast for the clock to see still cost something.
    const double micros = std::max<double>(1.0, static_cast<double>(took.count()));
    const double latest = micros / static_cast<double>(size);
    cost_ = cost_ ? newest_weight * latest + (1 - newest_weight) * *cost_ : latest;
    const double target = static_cast<double>(target_->count());
    const double estimate = micros > alarm_ratio * target ? std::max(latest, *cost_) : *cost_;
    const double wanted = std::round(target / estimate);
    const double lowest = std::max(1.0, std::floor(static_cast<double>(size) / max_shrink));
    const double highest = std::min(static_cast<double>(maximum_), static_cast<double>(size) * max_growth);
    size_ = static_cast<std::int64_t>(std::clamp(wanted, lowest, std::max(lowest, highest)));
}

void BatchSizer::cut_off(std::int64_t size, std::chrono::microseconds took) {
    if (target_ && size > 0) {
        // A lower bound, as the batch had not finished: it can raise the estimate, never lower it.
        const double at_least = std::max<double>(1.0, static_cast<double>(took.count())) / static_cast<double>(size);
        cost_ = std::max(cost_.value_or(0.0), at_least);
    }
    size_ = std::max<std::int64_t>(1, size / 2);
}

}  // namespace datamig
