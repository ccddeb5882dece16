#include "cli/command_spec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace exosphere::cli {
namespace {

const FlagSpec kTimeout{"timeout", 0, "DURATION",
                        "give up waiting after this long (0: wait forever)"};
const FlagSpec kInterval{"interval", 0, "DURATION",
                         "how often to ask the state manager (default 500ms)"};

std::vector<CommandSpec> BuildCommands() {
  return {
      {{"graph", "apply"},
       "-f FILE",
       0,
       "create or update a graph from a YAML or JSON file and wait for its validation",
       "Upserts the graph (PUT /graph/NAME), then waits until the state manager has validated it.\n"
       "Exits 0 when VALID, 1 with the validation errors when INVALID, 3 when still PENDING at\n"
       "--timeout. The file holds `name`, `nodes`, and optionally `secrets`, `retry_policy`,\n"
       "`store_config` and `triggers` (the REST contract's fields); a node without `namespace`\n"
       "gets the connection's namespace. Node inputs, secrets and store defaults are strings.",
       {{"file", 'f', "FILE", "the graph definition (.yaml, .yml or .json)"},
        {"name", 0, "NAME", "graph name, instead of the file's `name`"},
        {"timeout", 0, "DURATION", "how long to wait for the validation (default 60s)"},
        {"no-wait", 0, "", "return after the upsert, while the graph is still PENDING"}},
       {"exospherectl graph apply -f examples/graphs/words.yaml",
        "exospherectl graph apply -f graph.json --name words-v2 -o json"}},
      {{"graph", "get"},
       "NAME",
       1,
       "show a graph: validation status and errors, nodes",
       "GET /graph/NAME. Note that the state manager does not return the stored retry policy,\n"
       "store config or triggers here; `graph list -o json` has them.",
       {},
       {"exospherectl graph get words", "exospherectl graph get words -o json | jq .nodes"}},
      {{"graph", "list"},
       "",
       0,
       "list the graphs of the namespace",
       "GET /graphs/. Secret values never appear: -o json shows each secret's name only.",
       {},
       {"exospherectl graph list", "exospherectl -n prod graph list -o json"}},
      {{"nodes", "list"},
       "",
       0,
       "list the nodes registered in the namespace",
       "GET /nodes/: the nodes that running workers registered, with their runtime and fields.",
       {},
       {"exospherectl nodes list"}},
      {{"run", "trigger"},
       "GRAPH",
       1,
       "start a run of a graph and print its run id",
       "POST /graph/GRAPH/trigger. --input replaces a root node input; --store sets a store\n"
       "value. With --wait it then watches the run like `run watch` and exits like it.",
       {{"input", 0, "KEY=VALUE", "an input of the root node (repeatable)", true},
        {"store", 0, "KEY=VALUE", "a store value of the run (repeatable)", true},
        {"start-delay", 0, "DURATION", "start the run this much later (e.g. 30s)"},
        {"wait", 0, "", "watch the run until it finishes"},
        kTimeout,
        kInterval},
       {"exospherectl run trigger words --input text='hello world'",
        "RUN=$(exospherectl run trigger words --store suffix='?')",
        "exospherectl run trigger words --start-delay 1m --wait --timeout 5m"}},
      {{"run", "watch"},
       "RUN_ID",
       1,
       "follow a run until it finishes",
       "On a terminal: a progress bar and a count per status, refreshed in place, and each\n"
       "failed state's error as it happens. Otherwise (piped): one line per state change.\n"
       "Exit codes: 0 the run succeeded, 1 it failed, 3 still running at --timeout, 4 the\n"
       "state manager could not be reached.",
       {kTimeout, kInterval},
       {"exospherectl run watch 0b6f5f2e-3c1d-4f0e-9a57-2f5c8d1e7a42",
        "exospherectl run watch \"$RUN\" --timeout 10m | tee run.log"}},
      {{"run", "list"},
       "",
       0,
       "list the runs of the namespace, newest first",
       "GET /runs/PAGE/SIZE: each run's graph, status and counts of states by outcome.",
       {{"page", 0, "N", "page number, from 1 (default 1)"},
        {"size", 0, "N", "runs per page (default 20; 0: all)"}},
       {"exospherectl run list", "exospherectl run list --size 0 -o json"}},
      {{"run", "states"},
       "RUN_ID",
       1,
       "list the states of a run: identifier, node, status, outputs or error",
       "One row per state. Columns are cut to the terminal's width; --wide shows everything.",
       {{"wide", 0, "", "do not truncate the table"}},
       {"exospherectl run states \"$RUN\"", "exospherectl run states \"$RUN\" --wide",
        "exospherectl run states \"$RUN\" -o json | jq '.states[] | "
        "select(.status==\"ERRORED\")'"}},
      {{"state", "retry"},
       "STATE_ID",
       1,
       "retry a state by hand (a new CREATED copy; the old one becomes RETRY_CREATED)",
       "POST /state/STATE_ID/manual-retry with a fresh fan-out id. Prints the new state's id.",
       {},
       {"exospherectl state retry 65f1c2a9e4b0d3a1c2b3d4e5"}},
      {{"completion"},
       "bash|zsh",
       1,
       "print a shell completion script",
       "bash: source <(exospherectl completion bash), or save it as\n"
       "/etc/bash_completion.d/exospherectl. zsh: exospherectl completion zsh > "
       "\"${fpath[1]}/_exospherectl\".",
       {},
       {"source <(exospherectl completion bash)"},
       /*needs_connection=*/false},
  };
}

std::string Usage(const CommandSpec& command) {
  return absl::StrCat("exospherectl ", CommandName(command), command.arguments.empty() ? "" : " ",
                      command.arguments, " [flags]");
}

std::string FlagLines(const std::vector<FlagSpec>& flags) {
  std::string out;
  for (const FlagSpec& flag : flags) {
    std::string left = flag.short_name != 0
                           ? absl::StrCat("  -", std::string(1, flag.short_name), ", --", flag.name)
                           : absl::StrCat("      --", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&left, " ", flag.value_name);
    if (left.size() < 34) left.resize(34, ' ');
    absl::StrAppend(&out, left, " ", flag.help, "\n");
  }
  return out;
}

}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec>* commands = new std::vector<CommandSpec>(BuildCommands());
  return *commands;
}

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec>* flags = new std::vector<FlagSpec>{
      {"state-manager-uri", 0, "URI", "state manager base URL (EXOSPHERE_STATE_MANAGER_URI)"},
      {"api-key-file", 0, "FILE",
       "file holding the API key (EXOSPHERE_API_KEY_FILE; else EXOSPHERE_API_KEY)"},
      {"namespace", 'n', "NAMESPACE", "namespace (EXOSPHERE_NAMESPACE)"},
      {"output", 'o', "FORMAT", "table (default) or json"},
      {"help", 'h', "", "show help for the command"},
  };
  return *flags;
}

std::string CommandName(const CommandSpec& command) { return absl::StrJoin(command.path, " "); }

const CommandSpec* FindCommand(const std::vector<std::string>& words) {
  const CommandSpec* best = nullptr;
  for (const CommandSpec& command : Commands()) {
    if (command.path.size() > words.size()) continue;
    if (!std::equal(command.path.begin(), command.path.end(), words.begin())) continue;
    if (best == nullptr || command.path.size() > best->path.size()) best = &command;
  }
  return best;
}

std::string TopHelp() {
  std::string out =
      "exospherectl: graphs, runs and states of an ExosphereHost state manager.\n\n"
      "Usage: exospherectl COMMAND [ARGS] [flags]\n\nCommands:\n";
  for (const CommandSpec& command : Commands()) {
    std::string left = absl::StrCat("  ", CommandName(command), " ", command.arguments);
    if (left.size() < 30) left.resize(30, ' ');
    absl::StrAppend(&out, left, " ", command.summary, "\n");
  }
  absl::StrAppend(
      &out, "\nGlobal flags (every setting also comes from the environment):\n",
      FlagLines(GlobalFlags()),
      "\nExit codes: 0 ok, 1 failed (run failed, graph invalid, request refused),\n"
      "2 bad usage or input, 3 still running at --timeout, 4 state manager unreachable.\n"
      "\nRun `exospherectl COMMAND --help` for a command's flags and examples.\n");
  return out;
}

std::string GroupHelp(const std::string& group) {
  std::string out = absl::StrCat("Usage: exospherectl ", group, " COMMAND [flags]\n\nCommands:\n");
  for (const CommandSpec& command : Commands()) {
    if (command.path.front() != group) continue;
    std::string left = absl::StrCat("  ", CommandName(command), " ", command.arguments);
    if (left.size() < 30) left.resize(30, ' ');
    absl::StrAppend(&out, left, " ", command.summary, "\n");
  }
  return out;
}

std::string CommandHelp(const CommandSpec& command) {
  std::string out = absl::StrCat(command.summary, "\n\nUsage: ", Usage(command), "\n\n",
                                 command.description, "\n");
  if (!command.flags.empty()) absl::StrAppend(&out, "\nFlags:\n", FlagLines(command.flags));
  absl::StrAppend(&out, "\nGlobal flags:\n", FlagLines(GlobalFlags()));
  if (!command.examples.empty()) {
    absl::StrAppend(&out, "\nExamples:\n");
    for (const std::string& example : command.examples) absl::StrAppend(&out, "  ", example, "\n");
  }
  return out;
}

}  // namespace exosphere::cli
