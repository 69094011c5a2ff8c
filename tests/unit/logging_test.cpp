#include "datamig/logging.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace {

// Sends this process's stderr into a file while alive and puts the previous default logger
// back afterwards, so configure_logging can be observed without leaking into other tests.
class CapturedStderr {
public:
    explicit CapturedStderr(const std::filesystem::path& file)
        : saved_fd_(dup(STDERR_FILENO)), saved_logger_(spdlog::default_logger()) {
        std::fflush(stderr);
        FILE* target = std::fopen(file.c_str(), "w");
        REQUIRE(target != nullptr);
        dup2(fileno(target), STDERR_FILENO);
        std::fclose(target);
    }
    ~CapturedStderr() {
        std::fflush(stderr);
        dup2(saved_fd_, STDERR_FILENO);
        close(saved_fd_);
        spdlog::set_default_logger(saved_logger_);
    }
    CapturedStderr(const CapturedStderr&) = delete;
    CapturedStderr& operator=(const CapturedStderr&) = delete;

private:
    int saved_fd_;
    std::shared_ptr<spdlog::logger> saved_logger_;
};

constexpr const char* database_url = "postgres://app:s3cret@db/app";

std::string logged(datamig::LogFormat format, int verbosity, const std::function<void()>& log,
                   const std::string& url = database_url) {
    datamig::test::TempDir dir;
    const auto file = dir.path() / "stderr.txt";
    {
        CapturedStderr captured(file);
        datamig::configure_logging(format, verbosity, {url});
        log();
    }
    return datamig::test::read_file(file);
}

}  // namespace

TEST_CASE("configure_logging: text lines on stderr, database URL redacted", "[logging]") {
    const std::string text = logged(datamig::LogFormat::text, 0, [] {
        spdlog::info("connecting to postgres://app:s3cret@db/app");
        spdlog::debug("only with -v");
    });
    CHECK(text == "datamig: info: connecting to postgres://app:***@db/app\n");
}

TEST_CASE("configure_logging: the password's letters outside the URL stay readable", "[logging]") {
    const std::string text = logged(
        datamig::LogFormat::text, 0, [] { spdlog::info("postgres://p:p@db/app: user p, port 5432"); },
        "postgres://p:p@db/app");
    CHECK(text == "datamig: info: postgres://p:***@db/app: user p, port 5432\n");
}

TEST_CASE("configure_logging: -q keeps warnings, -v adds debug", "[logging]") {
    const auto log_all = [] {
        spdlog::debug("debug line");
        spdlog::info("info line");
        spdlog::warn("warn line");
    };
    CHECK(logged(datamig::LogFormat::text, -1, log_all) == "datamig: warning: warn line\n");
    CHECK(logged(datamig::LogFormat::text, 1, log_all) ==
          "datamig: debug: debug line\ndatamig: info: info line\ndatamig: warning: warn line\n");
}

TEST_CASE("configure_logging: JSON lines, one object each, message escaped and redacted", "[logging]") {
    const std::string text = logged(datamig::LogFormat::json, 0,
                                    [] { spdlog::error("program said \"postgres://app:s3cret@db/app\"\tand \xff"); });
    REQUIRE(text.back() == '\n');
    REQUIRE(text.find('\n') == text.size() - 1);
    const auto line = nlohmann::json::parse(text);
    CHECK(line.at("level") == "error");
    CHECK(line.at("message").get<std::string>().rfind("program said \"postgres://app:***@db/app\"\tand ", 0) == 0);
    CHECK(line.at("time").get<std::string>().back() == 'Z');
    CHECK(text.find("s3cret") == std::string::npos);
}

TEST_CASE("configure_logging: a thread working on a target tags its lines with the target's name", "[logging]") {
    const auto log_for_tenant = [] {
        {
            const datamig::LogTarget tag("tenant_7");
            spdlog::info("applied 2");
        }
        spdlog::info("all done");
    };
    CHECK(logged(datamig::LogFormat::text, 0, log_for_tenant) ==
          "datamig: info: tenant_7: applied 2\ndatamig: info: all done\n");
    const std::string json = logged(datamig::LogFormat::json, 0, log_for_tenant);
    const auto first = nlohmann::json::parse(json.substr(0, json.find('\n')));
    CHECK(first.at("target") == "tenant_7");
    CHECK(first.at("message") == "applied 2");
    CHECK_FALSE(nlohmann::json::parse(json.substr(json.find('\n') + 1)).contains("target"));
}
