#ifndef EXOSPHERE_CLI_EXIT_CODE_H_
#define EXOSPHERE_CLI_EXIT_CODE_H_

namespace exosphere::cli {

// exospherectl's exit codes, stable for scripts (cli/README.md lists them).
enum class ExitCode {
  kOk = 0,
  // The run failed, the graph is INVALID, or the state manager refused the request.
  kFailed = 1,
  // Bad command line, settings or input file; nothing was sent.
  kUsage = 2,
  // `run watch` / `run trigger --wait` / `graph apply`: still running or PENDING at --timeout.
  kStillRunning = 3,
  // The state manager could not be reached, timed out, or answered 5xx.
  kUnreachable = 4,
};

inline int ToInt(ExitCode code) { return static_cast<int>(code); }

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_EXIT_CODE_H_
