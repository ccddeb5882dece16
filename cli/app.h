#ifndef EXOSPHERE_CLI_APP_H_
#define EXOSPHERE_CLI_APP_H_

#include <string>
#include <vector>

#include "cli/connection.h"
#include "cli/context.h"
#include "common/clock.h"
#include "sidecar/transport/http_client.h"

namespace exosphere::cli {

// What exospherectl runs against: the real process's streams, environment and clock in main.cc,
// fakes in tests.
struct AppEnvironment {
  Terminal& terminal;
  EnvGetter getenv;
  Clock& clock;
  // The HTTP client to send through; null for a libcurl client made from the settings.
  sidecar::HttpClient* http = nullptr;
};

// Runs one exospherectl command line (`args` without the program name) and returns the process
// exit code (cli/exit_code.h). Errors are printed to terminal.err, never with the API key.
// Blocks until the command is done.
int RunCli(const std::vector<std::string>& args, AppEnvironment& environment);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_APP_H_
