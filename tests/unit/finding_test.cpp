#include "datamig/finding.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "datamig/error.hpp"

using datamig::describe;
using datamig::Finding;
using datamig::Severity;

TEST_CASE("has_errors is true only when some finding is an error", "[finding]") {
    const Finding warning{Severity::warning, "a.sql", 3, "ddl-statement", "DDL"};
    const Finding error{Severity::error, "a.sql", 0, "invalid-name", "bad"};
    CHECK_FALSE(datamig::has_errors({}));
    CHECK_FALSE(datamig::has_errors({warning}));
    CHECK(datamig::has_errors({warning, error}));
}

TEST_CASE("describe shows file and line when they are known", "[finding]") {
    CHECK(describe({Severity::error, "db/x.sql", 7, "code", "went wrong"}) == "db/x.sql:7: went wrong");
    CHECK(describe({Severity::error, "db/x.sql", 0, "code", "went wrong"}) == "db/x.sql: went wrong");
    CHECK(describe({Severity::warning, "", 0, "code", "went wrong"}) == "went wrong");
    CHECK(describe({Severity::warning, "", 4, "code", "went wrong"}) == "line 4: went wrong");
}

TEST_CASE("require_no_errors lists the errors and ignores warnings", "[finding]") {
    const datamig::Findings warnings_only = {{Severity::warning, "a.sql", 2, "ddl-statement", "DDL"}};
    CHECK_NOTHROW(datamig::require_no_errors(warnings_only, "invalid migrations tree"));
    CHECK_NOTHROW(datamig::require_no_errors({}, "invalid migrations tree"));

    const datamig::Findings mixed = {{Severity::error, "a.sql", 3, "unknown-option", "bad option"},
                                     {Severity::warning, "a.sql", 2, "ddl-statement", "DDL"},
                                     {Severity::error, "b.sh", 0, "not-executable", "chmod it"}};
    try {
        datamig::require_no_errors(mixed, "invalid migrations tree");
        FAIL("expected InvalidInput");
    } catch (const datamig::InvalidInput& error) {
        CHECK(std::string(error.what()) == "invalid migrations tree:\n  a.sql:3: bad option\n  b.sh: chmod it");
        CHECK(error.code() == datamig::Exit::usage);
    }
}

TEST_CASE("require_no_errors lists the first errors and counts the rest", "[finding]") {
    datamig::Findings findings;
    for (int i = 1; i <= 400; ++i) {
        findings.push_back({Severity::warning, "w.sql", i, "ddl-statement", "DDL"});
        findings.push_back({Severity::error, "file" + std::to_string(i) + ".sql", 0, "invalid-name", "bad"});
    }
    try {
        datamig::require_no_errors(findings, "invalid migrations tree");
        FAIL("expected InvalidInput");
    } catch (const datamig::InvalidInput& error) {
        const std::string message = error.what();
        CHECK(std::count(message.begin(), message.end(), '\n') == static_cast<long>(datamig::max_listed_errors) + 1);
        CHECK_THAT(message, Catch::Contains("\n  file20.sql: bad\n  … and 380 more (run datamig check)"));
        CHECK_THAT(message, !Catch::Contains("file21.sql") && !Catch::Contains("w.sql"));
    }
}

TEST_CASE("log_warning_count logs one line counting the warnings, none without any", "[finding]") {
    std::ostringstream log;
    const auto saved = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
    logger->set_pattern("%l: %v");
    spdlog::set_default_logger(logger);
    const Finding warning{Severity::warning, "a.sql", 3, "ddl-statement", "DDL"};
    const Finding error{Severity::error, "a.sql", 0, "invalid-name", "bad"};
    datamig::log_warning_count({error}, "in the migrations to run");
    const std::string without_warnings = log.str();
    datamig::log_warning_count({warning, error, warning, warning}, "in the migrations to run");
    const std::string three = log.str().substr(without_warnings.size());
    log.str("");
    datamig::log_warning_count({warning}, "about the migrations tree");
    const std::string one = log.str();
    spdlog::set_default_logger(saved);

    CHECK(without_warnings.empty());
    CHECK(three == "warning: 3 warnings in the migrations to run; run datamig check to see them\n");
    CHECK(one == "warning: 1 warning about the migrations tree; run datamig check to see it\n");
}
