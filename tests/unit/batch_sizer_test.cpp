#include "datamig/batch_sizer.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

using datamig::BatchSizer;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds target{100};

// A scripted clock: a table whose unit at `position` costs cost(position) microseconds. Walks
// `units` of it batch by batch and returns how long each batch took (held its locks). With a
// statement `limit`, a batch that would take longer is cut off there and retried.
struct ScriptedTable {
    std::function<double(std::int64_t position)> cost;

    std::vector<milliseconds> walk(BatchSizer& sizer, std::int64_t units, std::int64_t from = 0,
                                   std::optional<milliseconds> limit = std::nullopt) const {
        std::vector<milliseconds> took;
        for (std::int64_t position = from; position < from + units;) {
            const std::int64_t size = sizer.size();
            double micros = 0;
            for (std::int64_t unit = position; unit < position + size; ++unit) micros += cost(unit);
            if (limit && micros > static_cast<double>(microseconds(*limit).count())) {
                sizer.cut_off(size, *limit);
                took.push_back(*limit);
                continue;
            }
            sizer.measured(size, microseconds(static_cast<std::int64_t>(micros)));
            took.push_back(milliseconds(static_cast<std::int64_t>(micros / 1000)));
            position += size;
        }
        return took;
    }
};

bool near_target(milliseconds took) { return took >= target / 2 && took <= target * 3 / 2; }

// Share of batches after the fifth within +-50 % of the target.
double share_near_target(const std::vector<milliseconds>& took) {
    if (took.size() <= 5) return 0;
    std::int64_t near = 0;
    for (std::size_t i = 5; i < took.size(); ++i) near += near_target(took[i]) ? 1 : 0;
    return static_cast<double>(near) / static_cast<double>(took.size() - 5);
}

}  // namespace

TEST_CASE("BatchSizer: without a target the size stays the first", "[batch_sizer]") {
    BatchSizer sizer(500, std::nullopt, 50'000);
    sizer.measured(500, microseconds(5'000'000));
    CHECK(sizer.size() == 500);
    sizer.cut_off(500, microseconds(5'000'000));
    CHECK(sizer.size() == 250);  // a statement timeout's split applies to fixed sizes too
}

TEST_CASE("BatchSizer: steady state converges on the target and stays there", "[batch_sizer]") {
    BatchSizer sizer(100, target, 100'000);
    const ScriptedTable table{[](std::int64_t) { return 100.0; }};  // 100 us a row: 1000 rows in 100 ms
    const auto took = table.walk(sizer, 200'000);
    // From 100 rows (10 ms) it may grow at most x2 a step: 200, 400, 800, then 1000.
    REQUIRE(took.size() > 10);
    CHECK(took[1] == milliseconds(20));
    CHECK(took[2] == milliseconds(40));
    for (std::size_t i = 5; i < took.size(); ++i) CHECK(took[i] == target);
    CHECK(sizer.size() == 1000);
}

TEST_CASE("BatchSizer: a sudden 10x slow-down is answered at once, then recovered from", "[batch_sizer]") {
    BatchSizer sizer(1000, target, 100'000);
    const ScriptedTable steady{[](std::int64_t) { return 100.0; }};
    const ScriptedTable slow{[](std::int64_t) { return 1000.0; }};
    steady.walk(sizer, 20'000);
    REQUIRE(sizer.size() == 1000);

    // The first slow batch takes 10x the target; the size drops by the largest step (/4) at
    // once, and the next batch is on target.
    auto took = slow.walk(sizer, 1000);
    CHECK(took.front() == milliseconds(1000));
    CHECK(sizer.size() == 250);
    took = slow.walk(sizer, 250);
    CHECK(took.front() == milliseconds(250));
    CHECK(sizer.size() == 100);
    took = slow.walk(sizer, 5'000);
    for (const auto batch : took) CHECK(near_target(batch));

    // Recovery: the cost falls back; the size grows at most x2 a step and never overshoots.
    took = steady.walk(sizer, 30'000);
    for (const auto batch : took) CHECK(batch <= target * 3 / 2);
    REQUIRE(took.size() > 8);
    for (std::size_t i = 8; i < took.size(); ++i) CHECK(near_target(took[i]));
    CHECK(sizer.size() == 1000);
}

TEST_CASE("BatchSizer: rows that grow 8x heavier half-way keep batches near the target", "[batch_sizer]") {
    BatchSizer sizer(1000, target, 100'000);
    // Light rows below 500,000, heavy ones (a 2 KB payload) above, with +-20 % jitter that
    // repeats every 7 rows, as real tables are never smooth.
    const ScriptedTable uneven{[](std::int64_t row) {
        const double jitter = 0.8 + 0.4 * static_cast<double>(row % 7) / 6.0;
        return (row < 500'000 ? 50.0 : 400.0) * jitter;
    }};
    const auto took = uneven.walk(sizer, 1'000'000);
    CHECK(share_near_target(took) >= 0.95);
    for (const auto batch : took) CHECK(batch <= target * 8);  // only the first heavy batch is long
}

TEST_CASE("BatchSizer: bounds: x2 up, /4 down, at least 1, at most the maximum", "[batch_sizer]") {
    BatchSizer sizer(1000, target, 3000);
    sizer.measured(1000, microseconds(1000));  // far too fast: only x2
    CHECK(sizer.size() == 2000);
    sizer.measured(2000, microseconds(1000));
    CHECK(sizer.size() == 3000);                      // the maximum
    sizer.measured(3000, microseconds(100'000'000));  // far too slow: only /4
    CHECK(sizer.size() == 750);

    BatchSizer tiny(2, target, 100);
    tiny.measured(2, microseconds(10'000'000));
    CHECK(tiny.size() == 1);
    tiny.measured(1, microseconds(10'000'000));
    CHECK(tiny.size() == 1);
    tiny.cut_off(1, microseconds(10'000'000));
    CHECK(tiny.size() == 1);
}

TEST_CASE("BatchSizer: a batch cut off by a statement limit is retried at half its size and raises the estimate",
          "[batch_sizer]") {
    constexpr milliseconds limit{200};
    BatchSizer sizer(1000, target, 100'000);
    const ScriptedTable steady{[](std::int64_t) { return 100.0; }};
    const ScriptedTable heavy{[](std::int64_t) { return 1000.0; }};
    steady.walk(sizer, 20'000);
    REQUIRE(sizer.size() == 1000);

    // 1000 heavy units would take 1 s: cut off at 200 ms three times (1000, 500, 250), then 125
    // fits. Each cut-off taught at least 200 ms / size a unit, so the batch after the first that
    // fits is sized from that, not from the cheap units before: near the target, not near the limit.
    const auto took = heavy.walk(sizer, 5'000, 0, limit);
    REQUIRE(took.size() > 5);
    CHECK(std::vector<milliseconds>(took.begin(), took.begin() + 4) ==
          std::vector<milliseconds>{limit, limit, limit, milliseconds(125)});
    CHECK(near_target(took[4]));
    for (std::size_t i = 4; i < took.size(); ++i) CHECK(near_target(took[i]));

    // A bound below the estimate teaches nothing: it can only raise it.
    BatchSizer settled(1000, target, 100'000);
    steady.walk(settled, 20'000);
    settled.cut_off(1000, microseconds(50'000));
    CHECK(settled.size() == 500);
    settled.measured(500, microseconds(50'000));  // 100 us a unit, as before: back to 1000
    CHECK(settled.size() == 1000);
}

TEST_CASE("BatchSizer: under a statement limit, rows 8x heavier half-way are cut off at most a few times",
          "[batch_sizer]") {
    constexpr milliseconds limit{200};
    BatchSizer sizer(1000, target, 100'000);
    const ScriptedTable uneven{[](std::int64_t row) {
        const double jitter = 0.8 + 0.4 * static_cast<double>(row % 7) / 6.0;
        return (row < 500'000 ? 50.0 : 400.0) * jitter;
    }};
    const auto took = uneven.walk(sizer, 1'000'000, 0, limit);
    for (const auto batch : took) CHECK(batch <= limit);  // no batch holds its locks longer
    CHECK(std::count(took.begin(), took.end(), limit) <= 3);
    CHECK(share_near_target(took) >= 0.95);
}
