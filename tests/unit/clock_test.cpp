#include "datamig/clock.hpp"

#include <catch2/catch.hpp>

namespace {

// 2026-11-22T09:30:00Z
const datamig::TimePoint example = datamig::TimePoint(std::chrono::seconds(1795339800));

}  // namespace

TEST_CASE("iso_utc: UTC with microseconds", "[clock]") {
    CHECK(datamig::iso_utc(example) == "2026-11-22T09:30:00.000000Z");
    CHECK(datamig::iso_utc(example + std::chrono::microseconds(42)) == "2026-11-22T09:30:00.000042Z");
    CHECK(datamig::iso_utc(example + std::chrono::milliseconds(123) + std::chrono::microseconds(456) +
                           std::chrono::hours(15)) == "2026-11-23T00:30:00.123456Z");
}

TEST_CASE("version_at: 14 digits of the UTC second", "[clock]") {
    CHECK(datamig::version_at(example) == "20261122093000");
    CHECK(datamig::version_at(example + std::chrono::milliseconds(999)) == "20261122093000");
    CHECK(datamig::version_at(example + std::chrono::seconds(1)) == "20261122093001");
    CHECK(datamig::version_at(datamig::TimePoint(std::chrono::seconds(0))) == "19700101000000");
}

TEST_CASE("RowClock: strictly increasing timestamps, even within one microsecond", "[clock]") {
    datamig::RowClock clock;
    std::string previous = clock.next();
    CHECK(previous.size() == 27);
    for (int i = 0; i < 1000; ++i) {
        const std::string next = clock.next();
        CHECK(next > previous);
        previous = next;
    }
}
