#include "datamig/duration.hpp"

#include <catch2/catch.hpp>

#include "datamig/error.hpp"

using datamig::format_duration;
using datamig::parse_duration;
using std::chrono::milliseconds;

namespace {

milliseconds parse(const std::string& text) { return parse_duration(text, "--pause"); }

}  // namespace

TEST_CASE("parse_duration reads every unit", "[duration]") {
    CHECK(parse("1500ms") == milliseconds(1500));
    CHECK(parse("2s") == milliseconds(2000));
    CHECK(parse("5m") == milliseconds(300'000));
    CHECK(parse("1h") == milliseconds(3'600'000));
    CHECK(parse("0") == milliseconds(0));
    CHECK(parse("0ms") == milliseconds(0));
}

TEST_CASE("parse_duration reads a bare number as seconds", "[duration]") {
    CHECK(parse("30") == milliseconds(30'000));
    CHECK(parse("007") == milliseconds(7'000));
}

TEST_CASE("parse_duration reads fractions exactly", "[duration]") {
    CHECK(parse("1.5s") == milliseconds(1500));
    CHECK(parse("1.1s") == milliseconds(1100));
    CHECK(parse("0.25") == milliseconds(250));
    CHECK(parse("1.5m") == milliseconds(90'000));
    CHECK(parse("0.001h") == milliseconds(3'600));
    CHECK(parse("2.50000000000000000000s") == milliseconds(2500));
}

TEST_CASE("parse_duration trims surrounding blanks", "[duration]") { CHECK(parse("  2s\t") == milliseconds(2000)); }

TEST_CASE("parse_duration names the text and the setting in its error", "[duration]") {
    try {
        parse_duration("2 days", "--lock-wait");
        FAIL("expected a UsageError");
    } catch (const datamig::UsageError& error) {
        CHECK(std::string(error.what()) == "invalid duration '2 days' for --lock-wait: use e.g. 200ms, 2s, 5m");
    }
}

TEST_CASE("parse_duration says a value is empty, naming the setting", "[duration]") {
    for (const char* text : {"", " \t"}) {
        try {
            parse_duration(text, "--lock-wait");
            FAIL("expected a UsageError");
        } catch (const datamig::UsageError& error) {
            CHECK(std::string(error.what()) == "--lock-wait: empty value; give a duration such as 200ms, 2s, 5m");
        }
    }
}

TEST_CASE("parse_duration refuses anything else", "[duration]") {
    const char* const invalid[] = {
        "",
        " ",
        "-1s",
        "+1s",
        "2 s",
        "2x",
        "s",
        "ms",
        "1.",
        ".5s",
        "1.5.2s",
        "2S",
        "1e3",
        "1,5s",
        "0.5ms",
        "1.0001s",
        "0x10",
        "99999999999999999999",   // more than 64 bits
        "9223372036854775807s",   // fits as a number, overflows as milliseconds
        "2562047788016h",         // overflows by less than an hour
        "9223372036854775807ms",  // fits in milliseconds, overflows a steady_clock deadline
        "2562048h",               // the same in hours
        "1281024h",               // just above half of steady_clock's range
    };
    for (const char* text : invalid) {
        INFO("text: '" << text << "'");
        CHECK_THROWS_AS(parse(text), datamig::UsageError);
    }
}

TEST_CASE("parse_duration accepts the longest duration a deadline can hold", "[duration]") {
    CHECK(parse("1281023h") == std::chrono::hours(1281023));
}

TEST_CASE("parse_duration says a duration is too long, not malformed", "[duration]") {
    try {
        parse_duration("2562048h", "--pause");
        FAIL("expected a UsageError");
    } catch (const datamig::UsageError& error) {
        CHECK(std::string(error.what()) == "duration '2562048h' for --pause is too long: at most 1281023h");
    }
}

TEST_CASE("format_duration gives the short human form", "[duration]") {
    CHECK(format_duration(milliseconds(0)) == "0ms");
    CHECK(format_duration(milliseconds(200)) == "200ms");
    CHECK(format_duration(milliseconds(999)) == "999ms");
    CHECK(format_duration(milliseconds(1000)) == "1s");
    CHECK(format_duration(milliseconds(1500)) == "1.5s");
    CHECK(format_duration(milliseconds(1050)) == "1.05s");
    CHECK(format_duration(milliseconds(1234)) == "1.234s");
    CHECK(format_duration(milliseconds(60'000)) == "1m");
    CHECK(format_duration(milliseconds(90'000)) == "1m30s");
    CHECK(format_duration(milliseconds(90'500)) == "1m30.5s");
    CHECK(format_duration(milliseconds(3'600'000)) == "1h");
    CHECK(format_duration(milliseconds(3'661'001)) == "1h1m1.001s");
    CHECK(format_duration(milliseconds(7'200'000 + 5'000)) == "2h5s");
}

TEST_CASE("format_duration keeps the sign of a negative duration", "[duration]") {
    CHECK(format_duration(milliseconds(-1500)) == "-1.5s");
    CHECK(format_duration(milliseconds(-20)) == "-20ms");
    CHECK(format_duration(milliseconds::min()).front() == '-');
}

TEST_CASE("format_duration output of a single unit parses back", "[duration]") {
    for (const auto value : {milliseconds(200), milliseconds(1500), milliseconds(60'000)}) {
        CHECK(parse(format_duration(value)) == value);
    }
}
