#include "datamig/summary.hpp"

#include <fstream>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace datamig {
namespace {

using nlohmann::ordered_json;

// What a pod's termination message keeps (Kubernetes: 4096 bytes).
constexpr std::size_t termination_log_limit = 4096;
constexpr std::size_t error_cut = 1500;

struct Summary {
    std::optional<std::filesystem::path> path;
    ordered_json document = ordered_json::object();
};

Summary& summary() {
    static Summary instance;
    return instance;
}

thread_local ordered_json* captured = nullptr;

std::string dump(const ordered_json& document) {
    return document.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

// The document without its lists (each becomes "<key>_count"), and the error cut short.
ordered_json cut_down(const ordered_json& full, std::size_t error_limit) {
    ordered_json small = ordered_json::object();
    for (const auto& [key, value] : full.items()) {
        if (value.is_array()) {
            small[key + "_count"] = value.size();
        } else if (key == "error" && value.is_string() && value.get<std::string>().size() > error_limit) {
            small[key] = value.get<std::string>().substr(0, error_limit) + "...";
        } else if (!value.is_object()) {
            small[key] = value;
        }
    }
    small["truncated"] = true;
    return small;
}

}  // namespace

void set_summary_path(std::optional<std::filesystem::path> path) { summary().path = std::move(path); }

void remember_document(const ordered_json& document) {
    if (captured != nullptr) {
        *captured = document;
    } else {
        summary().document = document;
    }
}

DocumentCapture::DocumentCapture(ordered_json& into) { captured = &into; }

DocumentCapture::~DocumentCapture() { captured = nullptr; }

std::string summary_text(const ordered_json& document, int exit_code, const std::string& error,
                         const std::filesystem::path& path) {
    ordered_json full = document.is_object() ? document : ordered_json::object();
    full["exit_code"] = exit_code;
    if (!error.empty()) full["error"] = error;
    std::string text = dump(full);
    if (path != "/dev/termination-log" || text.size() <= termination_log_limit) return text;
    text = dump(cut_down(full, error_cut));
    if (text.size() > termination_log_limit) text = dump(cut_down(full, error_cut / 8));
    return text;
}

void write_summary(int exit_code, const std::string& error) noexcept {
    const Summary& current = summary();
    if (!current.path) return;
    try {
        std::ofstream out(*current.path, std::ios::trunc);
        out << summary_text(current.document, exit_code, error, *current.path) << '\n';
        out.flush();
        if (!out) spdlog::warn("--summary-file: cannot write {}", current.path->string());
    } catch (const std::exception& failure) {
        spdlog::warn("--summary-file: cannot write {}: {}", current.path->string(), failure.what());
    }
}

}  // namespace datamig
