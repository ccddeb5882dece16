#ifndef EXOSPHERE_CLI_COMMAND_SPEC_H_
#define EXOSPHERE_CLI_COMMAND_SPEC_H_

#include <string>
#include <vector>

#include "cli/command_line.h"

namespace exosphere::cli {

// What one exospherectl command accepts and how it is documented: the single source of the
// parser's flags, `--help` and the shell completion scripts.
struct CommandSpec {
  std::vector<std::string> path;  // e.g. {"graph", "apply"}
  std::string arguments;          // the positional arguments in the usage line, e.g. "RUN_ID"
  int positional_count = 0;       // exactly this many positional arguments
  std::string summary;            // one line
  std::string description;        // a paragraph or two
  std::vector<FlagSpec> flags;    // the command's own flags (the global ones come on top)
  std::vector<std::string> examples;
  bool needs_connection = true;
};

// Every command, in the order `--help` lists them.
const std::vector<CommandSpec>& Commands();
// The flags every command accepts: connection settings, -o and --help.
const std::vector<FlagSpec>& GlobalFlags();

// The command whose path is the longest prefix of `words`, or nullptr.
const CommandSpec* FindCommand(const std::vector<std::string>& words);
// The command's name as typed, e.g. "graph apply".
std::string CommandName(const CommandSpec& command);

// Help texts: the whole tool, the commands of one group (e.g. "run"), one command.
std::string TopHelp();
std::string GroupHelp(const std::string& group);
std::string CommandHelp(const CommandSpec& command);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_COMMAND_SPEC_H_
