#ifndef EXOSPHERE_CLI_STATE_COMMANDS_H_
#define EXOSPHERE_CLI_STATE_COMMANDS_H_

#include "absl/status/statusor.h"

#include "cli/command_line.h"
#include "cli/context.h"
#include "cli/exit_code.h"

namespace exosphere::cli {

// `state retry STATE_ID`: a manual retry with a fresh fan-out id; prints the new state's id.
absl::StatusOr<ExitCode> StateRetry(const ParsedArgs& args, Context& context);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_STATE_COMMANDS_H_
