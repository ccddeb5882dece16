#include "cli/node_commands.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"

#include "cli/json_text.h"
#include "cli/table.h"
#include "common/status_macros.h"

namespace exosphere::cli {
namespace {

// The property names of a JSON schema, comma-separated.
std::string Properties(const json::Json& node, const char* schema_key) {
  std::vector<std::string> names;
  auto schema = node.find(schema_key);
  if (schema == node.end() || !schema->is_object()) return "";
  auto properties = schema->find("properties");
  if (properties == schema->end() || !properties->is_object()) return "";
  for (auto it = properties->begin(); it != properties->end(); ++it) names.push_back(it.key());
  return absl::StrJoin(names, ",");
}

std::string SecretList(const json::Json& node) {
  std::vector<std::string> names;
  auto secrets = node.find("secrets");
  if (secrets == node.end() || !secrets->is_array()) return "";
  for (const json::Json& name : *secrets) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return absl::StrJoin(names, ",");
}

}  // namespace

absl::StatusOr<ExitCode> NodesList(const ParsedArgs& args, Context& context) {
  EXO_ASSIGN_OR_RETURN(json::Json reply, context.client.ListNodes(context.ns));
  json::Json nodes = json::Json::array();
  if (auto it = reply.find("nodes"); it != reply.end() && it->is_array()) {
    for (const json::Json& node : *it) {
      if (!node.is_object()) continue;
      json::Json entry = node;
      entry.erase("_id");
      nodes.push_back(std::move(entry));
    }
  }
  if (context.format == OutputFormat::kJson) {
    context.terminal.out << json::Json{{"namespace", context.ns}, {"nodes", nodes}}.dump(2) << "\n";
    return ExitCode::kOk;
  }
  Table table({"NAME", "RUNTIME", "INPUTS", "OUTPUTS", "SECRETS", "UPDATED"});
  for (const json::Json& node : nodes) {
    table.AddRow({TextOf(node, "name"), TextOf(node, "runtime_name"),
                  Properties(node, "inputs_schema"), Properties(node, "outputs_schema"),
                  SecretList(node), TextOf(node, "updated_at")});
  }
  context.terminal.out << table.Render(context.terminal.width);
  return ExitCode::kOk;
}

}  // namespace exosphere::cli
