#include "datamig/fleet.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datamig/database.hpp"
#include "datamig/logging.hpp"
#include "datamig/report.hpp"
#include "datamig/session.hpp"
#include "datamig/stop.hpp"
#include "datamig/summary.hpp"

namespace datamig {
namespace {

using nlohmann::ordered_json;

TargetResult not_run(const Target& target, std::string why) {
    return {target.name, std::nullopt, std::move(why), {}, {}};
}

// One target, exactly as a single-database run of the command: its own settings, output buffer
// and document, and its log lines tagged with its name. Whatever it throws ends this target only.
TargetResult run_one(const Invocation& invocation, const Target& target) {
    TargetResult result{target.name, std::nullopt, "", "", ordered_json::object()};
    const LogTarget tag(target.name);
    const DocumentCapture capture(result.document);
    std::ostringstream out;
    const auto failed = [&](Exit code, const std::string& message) {
        // After a stop, whatever surfaced on the way out was the stop (as in main()).
        const int signal = stop_signal();
        result.exit = signal != 0 ? Stopped(signal).code() : code;
        result.error = redact_urls(message, {target.url});
        spdlog::error("{}", message);
    };
    try {
        Invocation one = invocation;
        one.settings = settings_for(invocation.settings, target);
        one.out = &out;
        result.exit = invocation.run(one);
    } catch (const Error& error) {
        failed(error.code(), error.what());
    } catch (const std::exception& error) {
        failed(Exit::failed, error.what());
    }
    result.output = out.str();
    return result;
}

}  // namespace

std::vector<TargetResult> run_targets(const Invocation& invocation, const std::vector<Target>& targets,
                                      const std::function<void(const TargetResult&)>& finished) {
    std::vector<TargetResult> results(targets.size());
    std::mutex finishing;
    const auto run_at = [&](std::size_t position) {
        TargetResult result = stop_signal() != 0 ? not_run(targets[position], "not run: datamig was stopped first")
                                                 : run_one(invocation, targets[position]);
        const std::lock_guard<std::mutex> lock(finishing);
        results[position] = std::move(result);
        finished(results[position]);
    };

    // 1. Canaries, one by one: a release that breaks them must not reach the other tenants.
    const auto canaries = std::min(targets.size(), static_cast<std::size_t>(invocation.settings.canary));
    for (std::size_t position = 0; position < canaries; ++position) {
        run_at(position);
        if (results[position].exit == Exit::ok) continue;
        for (std::size_t rest = position + 1; rest < targets.size(); ++rest) {
            results[rest] =
                not_run(targets[rest], stop_signal() != 0 ? "not run: datamig was stopped first"
                                                          : "not run: canary " + targets[position].name + " failed");
            finished(results[rest]);
        }
        return results;
    }

    // 2. The rest on a bounded pool; the only state the workers share is the next position and
    //    the results, each slot written by one worker.
    std::atomic<std::size_t> next{canaries};
    const auto work = [&] {
        for (std::size_t position = next++; position < targets.size(); position = next++) run_at(position);
    };
    const auto workers = std::min(targets.size() - canaries, static_cast<std::size_t>(invocation.settings.jobs));
    std::vector<std::thread> pool;
    for (std::size_t worker = 1; worker < workers; ++worker) pool.emplace_back(work);
    work();  // this thread is a worker too
    for (auto& thread : pool) thread.join();
    return results;
}

namespace {

// The targets of this process: a --targets file's or the schemas --schemas matches, then its shard.
std::vector<Target> list_targets(const Settings& settings) {
    if (settings.targets_file) {
        return take_shard(
            read_targets(*settings.targets_file, [](const char* name) -> const char* { return std::getenv(name); }),
            settings.shard);
    }
    const auto db = open_database(settings, Access::read_only);
    return take_shard(schema_targets(settings.database_url, db->schemas_like(*settings.schemas)), settings.shard);
}

// What a target's outcome is called in the summary line.
std::string outcome_word(const Invocation& invocation, const TargetResult& result) {
    if (!result.exit) return "not run";
    switch (*result.exit) {
        case Exit::ok:
            return invocation.command == "migrate"    ? "migrated"
                   : invocation.command == "rollback" ? "rolled back"
                   : invocation.command == "resolve"  ? "resolved"
                   : invocation.command == "check"    ? "passed"
                                                      : "ok";
        case Exit::failed: return invocation.command == "status" ? "unfinished" : "failed";
        case Exit::unavailable: return "could not connect";
        case Exit::interrupted:
        case Exit::terminated: return "stopped";
        default: return "failed";
    }
}

// The targets by outcome, the outcomes in the order they first occur.
struct Outcomes {
    std::vector<std::string> order;
    std::map<std::string, std::vector<const TargetResult*>> targets;
};

Outcomes outcomes_of(const Invocation& invocation, const std::vector<TargetResult>& results) {
    Outcomes outcomes;
    for (const auto& result : results) {
        const std::string word = outcome_word(invocation, result);
        if (outcomes.targets[word].empty()) outcomes.order.push_back(word);
        outcomes.targets[word].push_back(&result);
    }
    return outcomes;
}

// "312 targets: 310 migrated, 1 failed, 1 could not connect"
std::string summary_line(const Outcomes& outcomes, std::size_t count) {
    std::string line = fmt::format("{} target{}", count, count == 1 ? "" : "s");
    for (std::size_t i = 0; i < outcomes.order.size(); ++i) {
        const std::string& word = outcomes.order[i];
        line += fmt::format("{}{} {}", i == 0 ? ": " : ", ", outcomes.targets.at(word).size(), word);
    }
    return line;
}

// The summary line, then the names behind every outcome but success, with their exit codes.
void print_summary(std::ostream& out, const Outcomes& outcomes, std::size_t count) {
    out << summary_line(outcomes, count) << '\n';
    constexpr std::size_t names_shown = 20;
    for (const auto& word : outcomes.order) {
        const auto& listed = outcomes.targets.at(word);
        if (listed.front()->exit == Exit::ok) continue;
        std::string names;
        for (std::size_t i = 0; i < std::min(listed.size(), names_shown); ++i) {
            names += (i == 0 ? "" : ", ") + listed[i]->name;
            if (listed[i]->exit) names += fmt::format(" (exit {})", static_cast<int>(*listed[i]->exit));
        }
        if (listed.size() > names_shown) names += fmt::format(" and {} more", listed.size() - names_shown);
        out << word << ": " << names << '\n';
    }
}

// SPEC §8: {"targets": [{"target", "exit_code", "error", ...the command's own keys}...]}.
ordered_json run_document(const std::vector<TargetResult>& results) {
    ordered_json targets = ordered_json::array();
    for (const auto& result : results) {
        ordered_json entry = {
            {"target", result.name},
            {"exit_code", result.exit ? ordered_json(static_cast<int>(*result.exit)) : ordered_json()},
            {"error", result.error.empty() ? ordered_json() : ordered_json(result.error)}};
        for (const auto& [key, value] : result.document.items()) entry[key] = value;
        targets.push_back(std::move(entry));
    }
    return {{"targets", std::move(targets)}};
}

// Every line the target printed, prefixed with its name.
void print_prefixed(std::ostream& out, const TargetResult& result) {
    std::istringstream lines(result.output);
    for (std::string line; std::getline(lines, line);) out << result.name << ": " << line << '\n';
    out.flush();
}

}  // namespace

Exit run_command(const Invocation& invocation) {
    const Settings& settings = invocation.settings;
    const bool per_target = invocation.per_target == PerTarget::each ||
                            (invocation.per_target == PerTarget::each_with_db && invocation.options.use_db);
    if (!settings.many_targets() || !per_target) {
        if (settings.many_targets() && invocation.per_target == PerTarget::refused) {
            throw UsageError(invocation.command +
                             " addresses one migration in one database: run it with --database-url, without "
                             "--targets or --schemas");
        }
        return invocation.run(invocation);
    }

    // 1. The whole list first: a malformed line stops the run before any target has run.
    const std::vector<Target> targets = list_targets(settings);
    if (targets.empty()) spdlog::warn("no targets to run (shard {}/{})", settings.shard.index, settings.shard.count);

    // 2. Every target's password is hidden in the log, whichever thread logs it.
    std::vector<std::string> urls{settings.database_url};
    for (const auto& target : targets) urls.push_back(target.url);
    configure_logging(settings.log_format, settings.verbosity, urls);

    // 3. Run them; text shows each target's lines as it ends, JSON is one document at the end.
    const bool text = settings.format != OutputFormat::json;
    const auto results = run_targets(invocation, targets, [&](const TargetResult& result) {
        if (text) print_prefixed(*invocation.out, result);
    });
    const ordered_json document = run_document(results);
    remember_document(document);
    const Outcomes outcomes = outcomes_of(invocation, results);
    if (text) {
        print_summary(*invocation.out, outcomes, results.size());
    } else {
        print_json(*invocation.out, document);
    }

    // 4. A target that failed with an error, or never ran, fails the run with the summary as its
    //    error, so the log and --summary-file say so; targets that only answered 1 (status
    //    --exit-code, check's findings) end it with 1 quietly, as a single run would.
    const auto has = [&](auto predicate) { return std::any_of(results.begin(), results.end(), predicate); };
    if (has([](const TargetResult& result) { return !result.error.empty(); })) {
        throw MigrationFailed(summary_line(outcomes, results.size()));
    }
    return has([](const TargetResult& result) { return result.exit != Exit::ok; }) ? Exit::failed : Exit::ok;
}

}  // namespace datamig
