#ifndef EXOSPHERE_CLI_CONNECTION_H_
#define EXOSPHERE_CLI_CONNECTION_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

#include "cli/command_line.h"

namespace exosphere::cli {

// How exospherectl reaches the state manager, like the SDKs and the sidecar: each setting from
// its flag, else its environment variable.
struct Connection {
  std::string uri;
  std::string api_key;
  std::string ns;
};

using EnvGetter = std::function<std::optional<std::string>(const std::string& name)>;

// --state-manager-uri / EXOSPHERE_STATE_MANAGER_URI; --api-key-file / EXOSPHERE_API_KEY_FILE,
// else EXOSPHERE_API_KEY; --namespace / EXOSPHERE_NAMESPACE. There is deliberately no flag for
// the key itself: a command line is visible to every user of the machine (ps, shell history).
// kInvalidArgument names the missing setting and both ways to give it, or the unreadable key
// file; the key itself never appears in a message.
absl::StatusOr<Connection> ResolveConnection(const ParsedArgs& args, const EnvGetter& getenv);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_CONNECTION_H_
