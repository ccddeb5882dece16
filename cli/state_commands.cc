#include "cli/state_commands.h"

#include <string>

#include "common/ids.h"
#include "common/status_macros.h"

namespace exosphere::cli {

absl::StatusOr<ExitCode> StateRetry(const ParsedArgs& args, Context& context) {
  const std::string& state_id = args.positionals().front();
  EXO_ASSIGN_OR_RETURN(std::string new_state_id,
                       context.client.ManualRetry(context.ns, state_id, ids::NewUuid4()));
  if (context.format == OutputFormat::kJson) {
    context.terminal.out << json::Json{{"state_id", state_id},
                                       {"new_state_id", new_state_id},
                                       {"status", "CREATED"}}
                                .dump(2)
                         << "\n";
  } else {
    context.terminal.out << new_state_id << "\n";
  }
  return ExitCode::kOk;
}

}  // namespace exosphere::cli
