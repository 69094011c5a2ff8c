#pragma once
// Many databases (SPEC §4): a command run once per target of --targets or --schemas, each run
// exactly as a single-database run (its own connection, runner lock and history), up to --jobs at
// once, after --canary targets have run alone. Kubernetes spreads the work across pods (--shard);
// datamig adds no coordinator of its own. Front end: it prints, per target and for the run.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datamig/error.hpp"
#include "datamig/invocation.hpp"
#include "datamig/targets.hpp"

namespace datamig {

struct TargetResult {
    std::string name;
    std::optional<Exit> exit;  // nullopt: not run (a canary failed, or the run was stopped first)
    std::string error;         // why it failed or was not run, passwords redacted; "" on success
    std::string output;        // what the command printed for it
    nlohmann::ordered_json document = nlohmann::ordered_json::object();  // its SPEC §8 document
};

// Runs the invocation's command once per target, in the order given: the first
// settings.canary alone, one by one, and none of the rest if one of those fails; then the
// others settings.jobs at a time, each on a worker that owns its connection. A failing target
// does not stop the others; after a stop signal no target starts. `finished` is called as each
// target ends, one call at a time. The results are in target order.
std::vector<TargetResult> run_targets(const Invocation& invocation, const std::vector<Target>& targets,
                                      const std::function<void(const TargetResult&)>& finished);

// The command as the invocation asks: once, or once per target (--targets, --schemas), printing
// each target's lines prefixed with its name and a summary, or one JSON document for the run.
Exit run_command(const Invocation& invocation);

}  // namespace datamig
