#ifndef EXOSPHERE_CLI_CONTEXT_H_
#define EXOSPHERE_CLI_CONTEXT_H_

#include <ostream>
#include <string>

#include "common/clock.h"
#include "sidecar/transport/graph_api_client.h"

namespace exosphere::cli {

// Where a command writes and what it knows about the terminal.
struct Terminal {
  std::ostream& out;
  std::ostream& err;
  // Whether `out` is a terminal: live views and truncated tables only then.
  bool is_terminal = false;
  // Columns to fit tables into; 0 for no limit.
  int width = 0;
};

enum class OutputFormat { kTable, kJson };

// Everything a command needs; owned by the caller, which outlives the command.
struct Context {
  sidecar::GraphApiClient& client;
  std::string ns;
  OutputFormat format = OutputFormat::kTable;
  Terminal& terminal;
  Clock& clock;
};

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_CONTEXT_H_
