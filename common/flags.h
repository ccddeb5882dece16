#ifndef EXOSPHERE_COMMON_FLAGS_H_
#define EXOSPHERE_COMMON_FLAGS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace exosphere {

// Flag helpers shared by the binaries.

// Lets users write `--api-key-file` as well as `--api_key_file`: returns argv with dashes inside
// flag names (before any '=') turned into underscores, which is what absl flags accept. Stops
// rewriting at a bare "--". The returned pointers point into `storage`.
std::vector<char*> NormalizeFlagNames(int argc, char** argv, std::vector<std::string>& storage);

// Makes --help list the flags defined in the binary's main.cc (absl's default only matches files
// named after the binary) and --version print `version`. Call before absl::ParseCommandLine.
void ConfigureFlagsUsage(const std::string& version);

// A command-line flag and the environment variable that supplies it when the flag is not given.
struct FlagEnv {
  std::string flag;
  std::string env;
};

using EnvGetter = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment.
std::optional<std::string> GetEnv(const std::string& name);

// For each pair whose flag is not named in `argv` (as normalized above) and whose variable is set,
// parses the variable's value into the flag; call after absl::ParseCommandLine. kInvalidArgument
// names the variable and why its value does not parse; kInternal for an unknown flag (a bug).
absl::Status ApplyEnvironmentFallbacks(const std::vector<FlagEnv>& pairs, const EnvGetter& getenv,
                                       const std::vector<char*>& argv);

}  // namespace exosphere

#endif  // EXOSPHERE_COMMON_FLAGS_H_
