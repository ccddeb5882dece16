#ifndef EXOSPHERE_CLI_NODE_COMMANDS_H_
#define EXOSPHERE_CLI_NODE_COMMANDS_H_

#include "absl/status/statusor.h"

#include "cli/command_line.h"
#include "cli/context.h"
#include "cli/exit_code.h"

namespace exosphere::cli {

// `nodes list`: the registered nodes of the namespace. Blocks.
absl::StatusOr<ExitCode> NodesList(const ParsedArgs& args, Context& context);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_NODE_COMMANDS_H_
