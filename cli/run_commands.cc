#include "cli/run_commands.h"

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "cli/error_report.h"
#include "cli/json_text.h"
#include "cli/run_snapshot.h"
#include "cli/run_watcher.h"
#include "cli/table.h"
#include "cli/watch_view.h"
#include "common/status_macros.h"

namespace exosphere::cli {
namespace {

absl::StatusOr<WatchOptions> WatchOptionsOf(const ParsedArgs& args) {
  WatchOptions options;
  absl::StatusOr<absl::Duration> timeout = args.GetDuration("timeout", options.timeout);
  if (!timeout.ok()) return UsageError(timeout.status());
  absl::StatusOr<absl::Duration> interval = args.GetDuration("interval", options.interval);
  if (!interval.ok()) return UsageError(interval.status());
  if (*interval < absl::Milliseconds(10)) {
    return UsageError(absl::InvalidArgumentError("--interval must be at least 10ms"));
  }
  options.timeout = *timeout;
  options.interval = *interval;
  return options;
}

absl::StatusOr<ExitCode> Watch(Context& context, const std::string& run_id,
                               const WatchOptions& options) {
  std::unique_ptr<WatchView> view = MakeWatchView(context.terminal, context.format);
  return WatchRun(context, run_id, options, *view);
}

}  // namespace

absl::StatusOr<ExitCode> RunTrigger(const ParsedArgs& args, Context& context) {
  absl::StatusOr<std::map<std::string, std::string>> inputs =
      ParseKeyValues(args.GetAll("input"), "input");
  if (!inputs.ok()) return UsageError(inputs.status());
  absl::StatusOr<std::map<std::string, std::string>> store =
      ParseKeyValues(args.GetAll("store"), "store");
  if (!store.ok()) return UsageError(store.status());
  absl::StatusOr<absl::Duration> start_delay =
      args.GetDuration("start-delay", absl::ZeroDuration());
  if (!start_delay.ok()) return UsageError(start_delay.status());
  EXO_ASSIGN_OR_RETURN(WatchOptions options, WatchOptionsOf(args));

  const json::Json body = {{"inputs", json::FromStringMap(*inputs)},
                           {"store", json::FromStringMap(*store)},
                           {"start_delay", absl::ToInt64Milliseconds(*start_delay)}};
  const std::string& graph = args.positionals().front();
  EXO_ASSIGN_OR_RETURN(std::string run_id, context.client.TriggerRun(context.ns, graph, body));
  if (context.format == OutputFormat::kJson) {
    if (!args.Has("wait")) {
      context.terminal.out << json::Json{{"run_id", run_id}, {"graph_name", graph}}.dump(2) << "\n";
    }
  } else {
    context.terminal.out << run_id << "\n";
  }
  context.terminal.out.flush();
  if (!args.Has("wait")) return ExitCode::kOk;
  return Watch(context, run_id, options);
}

absl::StatusOr<ExitCode> RunWatch(const ParsedArgs& args, Context& context) {
  EXO_ASSIGN_OR_RETURN(WatchOptions options, WatchOptionsOf(args));
  return Watch(context, args.positionals().front(), options);
}

absl::StatusOr<ExitCode> RunList(const ParsedArgs& args, Context& context) {
  absl::StatusOr<int> page = args.GetInt("page", 1);
  if (!page.ok()) return UsageError(page.status());
  if (*page < 1) return UsageError(absl::InvalidArgumentError("--page starts at 1"));
  absl::StatusOr<int> size = args.GetInt("size", 20);
  if (!size.ok()) return UsageError(size.status());
  EXO_ASSIGN_OR_RETURN(json::Json reply, context.client.ListRuns(context.ns, *page, *size));
  json::Json runs = json::Json::array();
  if (auto it = reply.find("runs"); it != reply.end() && it->is_array()) runs = *it;
  if (context.format == OutputFormat::kJson) {
    context.terminal.out << json::Json{{"namespace", context.ns},
                                       {"total", reply.value("total", 0)},
                                       {"page", *page},
                                       {"size", *size},
                                       {"runs", runs}}
                                .dump(2)
                         << "\n";
    return ExitCode::kOk;
  }
  Table table({"RUN ID", "GRAPH", "STATUS", "SUCCESS", "PENDING", "ERRORED", "RETRIED", "TOTAL",
               "CREATED"});
  for (const json::Json& run : runs) {
    table.AddRow({TextOf(run, "run_id"), TextOf(run, "graph_name"), TextOf(run, "status"),
                  TextOf(run, "success_count"), TextOf(run, "pending_count"),
                  TextOf(run, "errored_count"), TextOf(run, "retried_count"),
                  TextOf(run, "total_count"), TextOf(run, "created_at")});
  }
  context.terminal.out << table.Render(context.terminal.width);
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> RunStates(const ParsedArgs& args, Context& context) {
  const std::string& run_id = args.positionals().front();
  EXO_ASSIGN_OR_RETURN(json::Json document, context.client.GetRunGraph(context.ns, run_id));
  EXO_ASSIGN_OR_RETURN(RunSnapshot snapshot, ParseRunGraph(document, run_id, context.ns));
  json::Json states = json::Json::array();
  Table table({"STATE ID", "IDENTIFIER", "NODE", "STATUS", "OUTPUTS / ERROR"});
  for (const StateRow& state : snapshot.states) {
    // The run graph carries no inputs or outputs; each state's details do.
    EXO_ASSIGN_OR_RETURN(
        json::Json details,
        context.client.GetNodeRunDetails(context.ns, snapshot.graph_name, run_id, state.id));
    const json::Json outputs = details.is_object() && details.contains("outputs")
                                   ? details["outputs"]
                                   : json::Json::object();
    states.push_back(
        {{"state_id", state.id},
         {"identifier", state.identifier},
         {"node", state.node},
         {"status", state.status},
         {"inputs", details.is_object() && details.contains("inputs") ? details["inputs"]
                                                                      : json::Json::object()},
         {"outputs", outputs},
         {"error", state.error.empty() ? json::Json(nullptr) : json::Json(state.error)},
         {"parents", details.is_object() && details.contains("parents") ? details["parents"]
                                                                        : json::Json::object()},
         {"created_at", TextOf(details, "created_at")},
         {"updated_at", TextOf(details, "updated_at")}});
    table.AddRow({state.id, state.identifier, state.node, state.status,
                  state.error.empty() ? Pairs(outputs) : absl::StrCat("error: ", state.error)});
  }
  if (context.format == OutputFormat::kJson) {
    context.terminal.out << json::Json{{"run_id", run_id},
                                       {"graph_name", snapshot.graph_name},
                                       {"states", states}}
                                .dump(2)
                         << "\n";
    return ExitCode::kOk;
  }
  context.terminal.out << table.Render(args.Has("wide") ? 0 : context.terminal.width);
  return ExitCode::kOk;
}

}  // namespace exosphere::cli
