#include "datamig/logging.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "datamig/database.hpp"

namespace datamig {
namespace {

// The target the current thread works on ("" outside a many-target run).
thread_local std::string current_target;

// The "%&" pattern flag: the target's name, "tenant_7: " in text, "target":"tenant_7", in JSON;
// nothing outside a many-target run.
class TargetFlag : public spdlog::custom_flag_formatter {
public:
    explicit TargetFlag(bool as_json) : as_json_(as_json) {}

    void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
        if (current_target.empty()) return;
        const std::string text =
            as_json_ ? "\"target\":" + nlohmann::json(current_target).dump() + "," : current_target + ": ";
        dest.append(text.data(), text.data() + text.size());
    }

    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<TargetFlag>(as_json_); }

private:
    bool as_json_;
};

// The "%*" pattern flag: the message with the database URLs redacted, and for JSON logs quoted
// and escaped (exec migrations may print anything, invalid UTF-8 included).
class MessageFlag : public spdlog::custom_flag_formatter {
public:
    MessageFlag(std::vector<std::string> urls, bool as_json) : urls_(std::move(urls)), as_json_(as_json) {}

    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        std::string text = redact_urls(std::string(msg.payload.data(), msg.payload.size()), urls_);
        if (as_json_) text = nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        dest.append(text.data(), text.data() + text.size());
    }

    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<MessageFlag>(urls_, as_json_);
    }

private:
    std::vector<std::string> urls_;
    bool as_json_;
};

}  // namespace

void configure_logging(LogFormat format, int verbosity, const std::vector<std::string>& database_urls) {
    auto logger = std::make_shared<spdlog::logger>("datamig", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    const bool as_json = format == LogFormat::json;
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc, std::string("\n"));
    formatter->add_flag<MessageFlag>('*', database_urls, as_json)
        .add_flag<TargetFlag>('&', as_json)
        .set_pattern(as_json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%&"message":%*})" : "datamig: %l: %&%*");
    logger->set_formatter(std::move(formatter));
    logger->set_level(verbosity < 0 ? spdlog::level::warn : verbosity > 0 ? spdlog::level::debug : spdlog::level::info);
    // Errors reach the log at once even when a Job is killed right after.
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

LogTarget::LogTarget(std::string name) { current_target = std::move(name); }

LogTarget::~LogTarget() { current_target.clear(); }

}  // namespace datamig
