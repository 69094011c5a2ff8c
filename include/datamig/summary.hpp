#pragma once
// --summary-file (SPEC §4, §8): the command's JSON document plus its exit code and, on failure,
// the error, written when datamig ends whatever the outcome, so a Kubernetes pod's
// terminationMessagePath (/dev/termination-log) tells what happened after its logs are gone.
// The command line names the file as soon as it is read; each command hands over its document
// as it prints it (report.cpp); main() writes the file once, on its way out.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace datamig {

// Where to write it; nullopt: nowhere.
void set_summary_path(std::optional<std::filesystem::path> path);
// The command's document (SPEC §8), whether or not it was printed as JSON.
void remember_document(const nlohmann::ordered_json& document);

// While one exists on a thread, the documents that thread remembers go to `into` instead: each
// target of a many-target run keeps its own, and the run's document holds them all (SPEC §8).
class DocumentCapture {
public:
    explicit DocumentCapture(nlohmann::ordered_json& into);
    ~DocumentCapture();
    DocumentCapture(const DocumentCapture&) = delete;
    DocumentCapture& operator=(const DocumentCapture&) = delete;
};
// Writes the document with "exit_code" and, when `error` is not empty, "error" (already
// redacted by the caller). Kubernetes keeps only 4 KiB of a termination message, so for
// /dev/termination-log a longer one is cut down (lists become counts) and marked "truncated".
// Never throws: a summary that cannot be written is logged, the exit code stays the run's.
void write_summary(int exit_code, const std::string& error) noexcept;

// The document as written to `path`: pure, for tests.
std::string summary_text(const nlohmann::ordered_json& document, int exit_code, const std::string& error,
                         const std::filesystem::path& path);

}  // namespace datamig
