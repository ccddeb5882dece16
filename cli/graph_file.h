#ifndef EXOSPHERE_CLI_GRAPH_FILE_H_
#define EXOSPHERE_CLI_GRAPH_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sidecar/transport/json_util.h"

namespace exosphere::cli {

// A graph definition read from a file: its name and the body of PUT /graph/{name}.
struct GraphDefinition {
  std::string name;
  json::Json body;
};

// Parses a YAML (or JSON, which YAML reads too) graph definition. Top-level keys: `name`,
// `nodes`, and optionally `secrets`, `retry_policy`, `store_config`, `triggers`; any other key is
// refused (the server would silently ignore a misspelt one). Plain scalars become numbers,
// booleans or null where YAML's core schema says so, except under node `inputs`, `secrets` and
// `store_config.default_values`, whose values are always strings. `source` names the file in
// messages. kInvalidArgument with `source:LINE:COLUMN` for a syntax error, or naming the key.
absl::StatusOr<GraphDefinition> ParseGraphDefinition(absl::string_view text,
                                                     absl::string_view source);

// Reads the file and parses it as above; `name_override` (when not empty) replaces `name`, and
// nodes without a `namespace` get `ns`.
absl::StatusOr<GraphDefinition> LoadGraphFile(const std::string& path,
                                              const std::string& name_override,
                                              const std::string& ns);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_GRAPH_FILE_H_
