#ifndef EXOSPHERE_CLI_GRAPH_COMMANDS_H_
#define EXOSPHERE_CLI_GRAPH_COMMANDS_H_

#include "absl/status/statusor.h"

#include "cli/command_line.h"
#include "cli/context.h"
#include "cli/exit_code.h"

namespace exosphere::cli {

// `graph apply -f FILE`: upserts, then waits for the validation (see command_spec.cc). Blocks.
absl::StatusOr<ExitCode> GraphApply(const ParsedArgs& args, Context& context);
// `graph get NAME`.
absl::StatusOr<ExitCode> GraphGet(const ParsedArgs& args, Context& context);
// `graph list`.
absl::StatusOr<ExitCode> GraphList(const ParsedArgs& args, Context& context);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_GRAPH_COMMANDS_H_
