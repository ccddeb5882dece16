#include "cli/graph_commands.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "cli/error_report.h"
#include "cli/graph_file.h"
#include "cli/json_text.h"
#include "cli/table.h"
#include "common/status_macros.h"

namespace exosphere::cli {
namespace {

constexpr absl::Duration kValidationPoll = absl::Milliseconds(200);

std::vector<std::string> ValidationErrors(const json::Json& graph) {
  std::vector<std::string> errors;
  auto it = graph.find("validation_errors");
  if (it == graph.end() || !it->is_array()) return errors;
  for (const json::Json& error : *it) {
    errors.push_back(error.is_string() ? error.get<std::string>() : json::Dump(error));
  }
  return errors;
}

// The string items of a JSON array (other items are skipped).
std::vector<std::string> Strings(const json::Json& array) {
  std::vector<std::string> strings;
  if (!array.is_array()) return strings;
  for (const json::Json& item : array) {
    if (item.is_string()) strings.push_back(item.get<std::string>());
  }
  return strings;
}

// The secrets of a graph document as their names only: GET /graphs/ returns the ciphertexts,
// which have no business in a terminal or a script's output.
json::Json SecretNames(const json::Json& graph) {
  json::Json names = json::Json::array();
  auto it = graph.find("secrets");
  if (it != graph.end() && it->is_object()) {
    for (auto secret = it->begin(); secret != it->end(); ++secret) names.push_back(secret.key());
  }
  return names;
}

void PrintGraph(const std::string& name, const json::Json& graph, Context& context) {
  std::ostream& out = context.terminal.out;
  if (context.format == OutputFormat::kJson) {
    json::Json document = graph;
    document["name"] = name;
    document["namespace"] = context.ns;
    document["secrets"] = SecretNames(graph);
    out << document.dump(2) << "\n";
    return;
  }
  out << "graph:      " << name << "\n"
      << "namespace:  " << context.ns << "\n"
      << "validation: " << TextOf(graph, "validation_status") << "\n";
  for (const std::string& error : ValidationErrors(graph)) out << "  - " << OneLine(error) << "\n";
  const std::vector<std::string> secrets = Strings(SecretNames(graph));
  out << "secrets:    " << (secrets.empty() ? "(none)" : absl::StrJoin(secrets, ", ")) << "\n"
      << "updated:    " << TextOf(graph, "updated_at") << "\n\n";
  Table table({"IDENTIFIER", "NODE", "NEXT", "UNITES", "INPUTS"});
  if (auto nodes = graph.find("nodes"); nodes != graph.end() && nodes->is_array()) {
    for (const json::Json& node : *nodes) {
      std::string next;
      if (auto it = node.find("next_nodes"); it != node.end()) {
        next = absl::StrJoin(Strings(*it), ",");
      }
      std::string unites;
      if (auto it = node.find("unites"); it != node.end() && it->is_object()) {
        unites = TextOf(*it, "identifier");
      }
      table.AddRow({TextOf(node, "identifier"), TextOf(node, "node_name"), next, unites,
                    node.contains("inputs") ? Pairs(node["inputs"]) : ""});
    }
  }
  out << table.Render(context.terminal.width);
}

}  // namespace

absl::StatusOr<ExitCode> GraphApply(const ParsedArgs& args, Context& context) {
  if (!args.Has("file")) return UsageError(absl::InvalidArgumentError("graph apply needs -f FILE"));
  absl::StatusOr<GraphDefinition> definition =
      LoadGraphFile(args.Get("file"), args.Get("name"), context.ns);
  if (!definition.ok()) return UsageError(definition.status());
  absl::StatusOr<absl::Duration> timeout = args.GetDuration("timeout", absl::Seconds(60));
  if (!timeout.ok()) return UsageError(timeout.status());

  EXO_ASSIGN_OR_RETURN(json::Json graph,
                       context.client.UpsertGraph(context.ns, definition->name, definition->body));
  const absl::Time deadline =
      *timeout > absl::ZeroDuration() ? context.clock.Now() + *timeout : absl::InfiniteFuture();
  if (!args.Has("no-wait")) {
    while (TextOf(graph, "validation_status") == "PENDING" && context.clock.Now() < deadline) {
      context.clock.SleepUntil(std::min(context.clock.Now() + kValidationPoll, deadline));
      EXO_ASSIGN_OR_RETURN(graph, context.client.GetGraph(context.ns, definition->name));
    }
  }
  const std::string status = TextOf(graph, "validation_status");
  if (context.format == OutputFormat::kJson) {
    PrintGraph(definition->name, graph, context);
  } else {
    context.terminal.out << "graph " << definition->name << " applied in namespace " << context.ns
                         << ": " << status << "\n";
    for (const std::string& error : ValidationErrors(graph)) {
      context.terminal.out << "  - " << OneLine(error) << "\n";
    }
  }
  if (status == "VALID") return ExitCode::kOk;
  if (status == "PENDING") {
    if (args.Has("no-wait")) return ExitCode::kOk;
    context.terminal.err << "exospherectl: graph " << definition->name << " is still PENDING after "
                         << absl::FormatDuration(*timeout) << "\n";
    return ExitCode::kStillRunning;
  }
  return ExitCode::kFailed;
}

absl::StatusOr<ExitCode> GraphGet(const ParsedArgs& args, Context& context) {
  const std::string& name = args.positionals().front();
  EXO_ASSIGN_OR_RETURN(json::Json graph, context.client.GetGraph(context.ns, name));
  PrintGraph(name, graph, context);
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> GraphList(const ParsedArgs& args, Context& context) {
  EXO_ASSIGN_OR_RETURN(json::Json reply, context.client.ListGraphs(context.ns));
  json::Json graphs = json::Json::array();
  if (auto it = reply.find("templates"); it != reply.end() && it->is_array()) {
    for (const json::Json& graph : *it) {
      if (!graph.is_object()) continue;
      json::Json entry = graph;
      entry.erase("_id");
      entry["secrets"] = SecretNames(graph);
      graphs.push_back(std::move(entry));
    }
  }
  if (context.format == OutputFormat::kJson) {
    context.terminal.out << json::Json{{"namespace", context.ns}, {"graphs", graphs}}.dump(2)
                         << "\n";
    return ExitCode::kOk;
  }
  Table table({"NAME", "VALIDATION", "NODES", "UPDATED", "ERRORS"});
  for (const json::Json& graph : graphs) {
    const size_t nodes =
        graph.contains("nodes") && graph["nodes"].is_array() ? graph["nodes"].size() : 0;
    table.AddRow({TextOf(graph, "name"), TextOf(graph, "validation_status"), absl::StrCat(nodes),
                  TextOf(graph, "updated_at"), absl::StrJoin(ValidationErrors(graph), "; ")});
  }
  context.terminal.out << table.Render(context.terminal.width);
  return ExitCode::kOk;
}

}  // namespace exosphere::cli
