#pragma once
// One function per subcommand. Each reads as a list of named steps; the order of the steps
// is where the guarantees of SPEC §6 come from, so each says why it is where it is.
#include "datamig/cli.hpp"
#include "datamig/error.hpp"

namespace datamig {

Exit run_generate(const Invocation& invocation);
Exit run_migrate(const Invocation& invocation);
Exit run_status(const Invocation& invocation);
Exit run_rollback(const Invocation& invocation);
Exit run_check(const Invocation& invocation);
Exit run_resolve(const Invocation& invocation);

}  // namespace datamig
