#ifndef EXOSPHERE_CLI_RUN_COMMANDS_H_
#define EXOSPHERE_CLI_RUN_COMMANDS_H_

#include "absl/status/statusor.h"

#include "cli/command_line.h"
#include "cli/context.h"
#include "cli/exit_code.h"

namespace exosphere::cli {

// `run trigger GRAPH`: prints the run id; with --wait, then watches like RunWatch. Blocks.
absl::StatusOr<ExitCode> RunTrigger(const ParsedArgs& args, Context& context);
// `run watch RUN_ID`: see run_watcher.h for the exit codes.
absl::StatusOr<ExitCode> RunWatch(const ParsedArgs& args, Context& context);
// `run list`.
absl::StatusOr<ExitCode> RunList(const ParsedArgs& args, Context& context);
// `run states RUN_ID`: one row per state with its outputs or error (one request per state).
absl::StatusOr<ExitCode> RunStates(const ParsedArgs& args, Context& context);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_RUN_COMMANDS_H_
