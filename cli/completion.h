#ifndef EXOSPHERE_CLI_COMPLETION_H_
#define EXOSPHERE_CLI_COMPLETION_H_

#include <string>

#include "absl/status/statusor.h"

namespace exosphere::cli {

// The completion script for `shell` ("bash" or "zsh"), generated from the command table so that
// it always matches the parser: command words, each command's flags, file names after -f and
// --api-key-file, and `table json` after -o. zsh runs the bash script through bashcompinit.
// kInvalidArgument for another shell.
absl::StatusOr<std::string> CompletionScript(const std::string& shell);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_COMPLETION_H_
