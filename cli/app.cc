#include "cli/app.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "cli/command_spec.h"
#include "cli/completion.h"
#include "cli/error_report.h"
#include "cli/exit_code.h"
#include "cli/graph_commands.h"
#include "cli/node_commands.h"
#include "cli/run_commands.h"
#include "cli/state_commands.h"
#include "sidecar/transport/curl_http_client.h"
#include "sidecar/transport/rest_graph_api_client.h"

namespace exosphere::cli {
namespace {

using Handler = std::function<absl::StatusOr<ExitCode>(const ParsedArgs&, Context&)>;

const std::map<std::string, Handler>& Handlers() {
  static const auto* handlers = new std::map<std::string, Handler>{
      {"graph apply", GraphApply}, {"graph get", GraphGet},     {"graph list", GraphList},
      {"nodes list", NodesList},   {"run trigger", RunTrigger}, {"run watch", RunWatch},
      {"run list", RunList},       {"run states", RunStates},   {"state retry", StateRetry},
  };
  return *handlers;
}

// The command words among `args` (the first two tokens that are not flags or the values of
// global flags) and their positions.
std::vector<std::pair<size_t, std::string>> CommandWords(const std::vector<std::string>& args) {
  std::set<std::string> takes_value;
  for (const FlagSpec& flag : GlobalFlags()) {
    if (flag.value_name.empty()) continue;
    takes_value.insert("--" + flag.name);
    if (flag.short_name != 0) takes_value.insert(std::string("-") + flag.short_name);
  }
  std::vector<std::pair<size_t, std::string>> words;
  for (size_t i = 0; i < args.size() && words.size() < 2; ++i) {
    if (args[i] == "--") break;
    if (takes_value.count(args[i]) > 0) {
      ++i;
      continue;
    }
    if (!args[i].empty() && args[i][0] == '-') continue;
    words.emplace_back(i, args[i]);
  }
  return words;
}

bool IsGroup(const std::string& word) {
  for (const CommandSpec& command : Commands()) {
    if (command.path.front() == word) return true;
  }
  return false;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") return true;
    if (arg == "--") break;
  }
  return false;
}

int Usage(Terminal& terminal, const std::string& message, const std::string& command) {
  terminal.err << "exospherectl: " << message << "\nRun 'exospherectl "
               << (command.empty() ? "" : command + " ") << "--help' for usage.\n";
  return ToInt(ExitCode::kUsage);
}

}  // namespace

int RunCli(const std::vector<std::string>& args, AppEnvironment& environment) {
  Terminal& terminal = environment.terminal;
  const std::vector<std::pair<size_t, std::string>> found = CommandWords(args);
  std::vector<std::string> words;
  words.reserve(found.size());
  for (const auto& [index, word] : found) words.push_back(word);
  if (words.empty()) {
    if (WantsHelp(args)) {
      terminal.out << TopHelp();
      return ToInt(ExitCode::kOk);
    }
    terminal.err << TopHelp();
    return ToInt(ExitCode::kUsage);
  }
  const CommandSpec* command = FindCommand(words);
  if (command == nullptr) {
    if (IsGroup(words.front())) {
      if (WantsHelp(args) && words.size() == 1) {
        terminal.out << GroupHelp(words.front());
        return ToInt(ExitCode::kOk);
      }
      terminal.err << "exospherectl: "
                   << (words.size() > 1
                           ? absl::StrCat("unknown command '", words.front(), " ", words[1], "'")
                           : absl::StrCat("'", words.front(), "' needs a command"))
                   << "\n\n"
                   << GroupHelp(words.front());
      return ToInt(ExitCode::kUsage);
    }
    return Usage(terminal, absl::StrCat("unknown command '", words.front(), "'"), "");
  }
  const std::string name = CommandName(*command);

  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_command_word = false;
    for (size_t w = 0; w < command->path.size(); ++w) is_command_word |= found[w].first == i;
    if (!is_command_word) rest.push_back(args[i]);
  }
  std::vector<FlagSpec> flags = command->flags;
  flags.insert(flags.end(), GlobalFlags().begin(), GlobalFlags().end());
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(rest, flags);
  if (!parsed.ok()) {
    return Usage(terminal, absl::StrCat(name, ": ", parsed.status().message()), name);
  }
  if (parsed->Has("help")) {
    terminal.out << CommandHelp(*command);
    return ToInt(ExitCode::kOk);
  }
  if (static_cast<int>(parsed->positionals().size()) != command->positional_count) {
    return Usage(
        terminal,
        command->positional_count == 0
            ? absl::StrCat(name, ": unexpected argument '", parsed->positionals().front(), "'")
            : absl::StrCat(name, ": expected ", command->arguments),
        name);
  }
  OutputFormat format = OutputFormat::kTable;
  const std::string output = parsed->Get("output", "table");
  if (output == "json") {
    format = OutputFormat::kJson;
  } else if (output != "table") {
    return Usage(terminal, absl::StrCat(name, ": -o ", output, ": expected table or json"), name);
  }

  if (!command->needs_connection) {
    absl::StatusOr<std::string> script = CompletionScript(parsed->positionals().front());
    if (!script.ok()) return Usage(terminal, std::string(script.status().message()), name);
    terminal.out << *script;
    return ToInt(ExitCode::kOk);
  }

  absl::StatusOr<Connection> connection = ResolveConnection(*parsed, environment.getenv);
  if (!connection.ok()) return Usage(terminal, std::string(connection.status().message()), name);

  std::unique_ptr<sidecar::HttpClient> owned_http;
  sidecar::HttpClient* http = environment.http;
  if (http == nullptr) {
    sidecar::CurlHttpClientOptions http_options;
    http_options.max_connections = 1;
    http_options.user_agent = "exospherectl";
    absl::StatusOr<std::unique_ptr<sidecar::CurlHttpClient>> curl =
        sidecar::CurlHttpClient::Create(http_options);
    if (!curl.ok()) {
      terminal.err << "exospherectl: " << curl.status().message() << "\n";
      return ToInt(ExitCode::kFailed);
    }
    owned_http = *std::move(curl);
    http = owned_http.get();
  }
  sidecar::RestClientOptions client_options;
  client_options.base_url = connection->uri;
  client_options.api_key = [key = connection->api_key] { return key; };
  client_options.request_timeout = absl::Seconds(30);
  sidecar::RestGraphApiClient client(*http, client_options);

  Context context{client, connection->ns, format, terminal, environment.clock};
  absl::StatusOr<ExitCode> result = Handlers().at(name)(*parsed, context);
  terminal.out.flush();
  if (result.ok()) return ToInt(*result);
  const ErrorReport report = ReportError(result.status(), connection->uri, connection->api_key);
  terminal.err << "exospherectl: " << name << ": " << report.message << "\n";
  return ToInt(report.exit_code);
}

}  // namespace exosphere::cli
