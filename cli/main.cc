// exospherectl: graphs, runs and states of an ExosphereHost state manager from the terminal.
// main only wires the process's streams, environment and clock to RunCli (cli/app.h).
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"

#include "cli/app.h"
#include "common/clock.h"
#include "common/flags.h"
#include <sys/ioctl.h>

namespace {

// The terminal's columns when stdout is one; else $COLUMNS when set; else 0 (no limit).
int TerminalWidth(bool is_terminal) {
  winsize size{};
  if (is_terminal && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  int columns = 0;
  const char* env = std::getenv("COLUMNS");
  if (env != nullptr && absl::SimpleAtoi(env, &columns) && columns > 0) return columns;
  return is_terminal ? 80 : 0;
}

// On a terminal the live view of `run watch` hides the cursor; Ctrl-C must not leave it hidden.
// Only async-signal-safe calls here.
void ShowCursorAndExit(int signal_number) {
  static constexpr char kShowCursor[] = "\x1b[?25h\n";
  ssize_t ignored = write(STDOUT_FILENO, kShowCursor, sizeof(kShowCursor) - 1);
  (void)ignored;
  _exit(128 + signal_number);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const bool is_terminal = isatty(STDOUT_FILENO) == 1;
  if (is_terminal) {
    std::signal(SIGINT, ShowCursorAndExit);
    std::signal(SIGTERM, ShowCursorAndExit);
  }
  exosphere::cli::Terminal terminal{std::cout, std::cerr, is_terminal, TerminalWidth(is_terminal)};
  exosphere::cli::AppEnvironment environment{terminal, exosphere::GetEnv,
                                             exosphere::RealClock::Get()};
  const std::vector<std::string> args(argv + 1, argv + argc);
  return exosphere::cli::RunCli(args, environment);
}
