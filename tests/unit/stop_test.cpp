#include "datamig/stop.hpp"

#include <catch2/catch.hpp>

#include <csignal>

#include <spdlog/spdlog.h>

#include "datamig/error.hpp"

using SteadyClock = std::chrono::steady_clock;

TEST_CASE("a stop is seen by throw_if_stopped and wakes a sleep at once; the first signal decides", "[stop]") {
    const auto level = spdlog::default_logger()->level();
    spdlog::default_logger()->set_level(spdlog::level::off);  // the watcher's warning is no test output
    CHECK(datamig::stop_signal() == 0);
    CHECK_NOTHROW(datamig::throw_if_stopped());
    {
        const datamig::SimulatedStop stop;
        int actions = 0;
        const datamig::OnStop count([&] { ++actions; });
        stop.arrive(SIGTERM);
        stop.arrive(SIGINT);  // a second signal changes nothing
        CHECK(datamig::stop_signal() == SIGTERM);
        CHECK(actions == 1);
        try {
            datamig::throw_if_stopped();
            FAIL("expected Stopped");
        } catch (const datamig::Stopped& stopped) {
            CHECK(stopped.signal_number() == SIGTERM);
            CHECK(stopped.code() == datamig::Exit::terminated);
        }
        const auto start = SteadyClock::now();
        CHECK_THROWS_AS(datamig::sleep_unless_stopped(std::chrono::seconds(10)), datamig::Stopped);
        CHECK(SteadyClock::now() - start < std::chrono::seconds(1));

        // An action registered after the signal still runs, at once.
        const datamig::OnStop late([&] { ++actions; });
        CHECK(actions == 2);
    }
    spdlog::default_logger()->set_level(level);
    CHECK(datamig::stop_signal() == 0);  // forgotten with the end of the simulation
    CHECK_NOTHROW(datamig::sleep_unless_stopped(std::chrono::milliseconds(1)));
}

TEST_CASE("a stop runs every registered action: one per open database of a many-target run", "[stop]") {
    const auto level = spdlog::default_logger()->level();
    spdlog::default_logger()->set_level(spdlog::level::off);
    int first = 0;
    int second = 0;
    {
        const datamig::SimulatedStop stop;
        const datamig::OnStop cancel_first([&] { ++first; });
        {
            const datamig::OnStop cancel_second([&] { ++second; });
        }
        const datamig::OnStop cancel_third([&] { ++second; });
        stop.arrive(SIGTERM);
    }
    spdlog::default_logger()->set_level(level);
    CHECK(first == 1);
    CHECK(second == 1);  // the removed action is gone, the third ran once
}
