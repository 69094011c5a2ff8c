#include "datamig/progress.hpp"

#include <catch2/catch.hpp>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

using datamig::BatchProgress;
using datamig::ProgressDisplay;
using std::chrono::milliseconds;

namespace {

BatchProgress at(milliseconds elapsed, std::int64_t batches, datamig::BatchEnd end = datamig::BatchEnd::running) {
    BatchProgress progress;
    progress.label = "pre_sync/20260101000000_backfill";
    progress.batches = batches;
    progress.rows = batches * 10;
    progress.elapsed = elapsed;
    progress.end = end;
    return progress;
}

// Routes spdlog into a string for the lifetime of the guard, then restores the default logger.
class CapturedLog {
public:
    CapturedLog() : saved_(spdlog::default_logger()) {
        auto logger =
            std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
        logger->set_pattern("%v");
        spdlog::set_default_logger(logger);
    }
    ~CapturedLog() { spdlog::set_default_logger(saved_); }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;

    std::ostringstream text;

private:
    std::shared_ptr<spdlog::logger> saved_;
};

}  // namespace

TEST_CASE("ProgressDisplay on a terminal redraws one line, at most every 100ms, and ends it", "[progress]") {
    std::ostringstream terminal;
    ProgressDisplay display(&terminal, milliseconds(5000));
    display.show(at(milliseconds(20), 1));  // too soon to be worth drawing
    display.show(at(milliseconds(120), 2));
    display.show(at(milliseconds(150), 3));  // within 100ms of the last one
    display.show(at(milliseconds(260), 4));
    display.show(at(milliseconds(270), 5, datamig::BatchEnd::completed));
    CHECK(terminal.str() ==
          "\r\033[Kpre_sync/20260101000000_backfill: 2 batches, 20 rows, 167 rows/s"
          "\r\033[Kpre_sync/20260101000000_backfill: 4 batches, 40 rows, 154 rows/s"
          "\r\033[Kpre_sync/20260101000000_backfill: 5 batches, 50 rows, 185 rows/s, done in 270ms\n");
}

TEST_CASE("ProgressDisplay without a terminal logs a line every interval and one at the end", "[progress]") {
    CapturedLog log;
    ProgressDisplay display(nullptr, milliseconds(5000));
    display.show(at(milliseconds(1000), 1));
    display.show(at(milliseconds(5200), 5));
    display.show(at(milliseconds(9000), 9));
    display.show(at(milliseconds(10300), 10));
    display.show(at(milliseconds(10400), 11, datamig::BatchEnd::stopped));
    CHECK(log.text.str() ==
          "pre_sync/20260101000000_backfill: 5 batches, 50 rows, 10 rows/s\n"
          "pre_sync/20260101000000_backfill: 10 batches, 100 rows, 10 rows/s\n"
          "pre_sync/20260101000000_backfill: 11 batches, 110 rows, 11 rows/s, stopped after 10.4s\n");

    SECTION("the next migration starts its own schedule") {
        log.text.str("");
        BatchProgress next = at(milliseconds(300), 1);
        next.label = "post_sync/20260102000000_enqueue";
        display.show(next);
        CHECK(log.text.str().empty());
    }
}
