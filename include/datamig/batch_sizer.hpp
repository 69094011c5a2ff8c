#pragma once
// The adaptive batch size of SPEC §2 (batch_time): after each batch, the size of the next, so
// that a batch takes about the target time while the application keeps writing.
//
// The controller estimates what one unit of size (a key of an integer span, a row of a keyset
// batch or of batch:loop) costs, as an exponential moving average of the measured cost per
// unit (weight 1/2 on the newest batch), and sizes the next batch as target / estimate. A batch
// that took more than twice the target is answered at once from its own cost, not the average:
// a sudden slow-down holds row locks longer, and the application feels that before anything
// else. The SPEC's bounds then apply: at most x2 up and /4 down per step, never below 1 nor
// above the maximum. docs/decisions.md explains the choice against GitLab's BatchOptimizer and
// pt-online-schema-change.
#include <chrono>
#include <cstdint>
#include <optional>

namespace datamig {

class BatchSizer {
public:
    // `first`: the first batch's size (batch_size). Without a target the size stays `first`.
    BatchSizer(std::int64_t first, std::optional<std::chrono::milliseconds> target, std::int64_t maximum);

    // The size the next batch uses.
    std::int64_t size() const { return size_; }
    // A batch of `size` units took `took` (without throttling or pauses): adapts the size.
    void measured(std::int64_t size, std::chrono::microseconds took);
    // A batch of `size` units was cancelled by a statement timeout after `took`: its retry is
    // half that size (GitLab's split), whether or not the size adapts. Where it adapts, the
    // estimate learns that a unit costs at least took / size, so the batches after the retry are
    // not sized from the cheaper rows that came before.
    void cut_off(std::int64_t size, std::chrono::microseconds took);

private:
    std::int64_t size_;
    std::optional<std::chrono::microseconds> target_;
    std::int64_t maximum_;
    std::optional<double> cost_;  // estimated microseconds per unit of size
};

}  // namespace datamig
