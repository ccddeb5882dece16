#ifndef EXOSPHERE_HARNESS_CHILD_PROCESS_H_
#define EXOSPHERE_HARNESS_CHILD_PROCESS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include <sys/types.h>

namespace exosphere::harness {

// A child process for end-to-end tests: started with a clean pipe for stdout and stderr each,
// killed with SIGKILL if the test process dies (PR_SET_PDEATHSIG), and always reaped: the
// destructor sends SIGKILL to a child still running and waits for it. Lines the child prints are
// collected by a reader thread and can be awaited. Thread-safe.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;
    // Variables set (or, with an empty optional, removed) on top of the test's environment.
    std::map<std::string, std::optional<std::string>> env;
    // Also copy the child's stderr to the test's stderr, prefixed with `label` (for debugging).
    bool echo_stderr = true;
    std::string label;
  };

  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(Options options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits until a stdout line satisfies `predicate` and returns it; kDeadlineExceeded on timeout,
  // kFailedPrecondition when the child closed stdout first.
  absl::StatusOr<std::string> WaitForStdoutLine(
      const std::function<bool(const std::string&)>& predicate, absl::Duration timeout);
  // Waits for a stdout line starting with `prefix` (e.g. "listening on ") and returns the rest of
  // it; errors as above, their messages naming the child and the prefix.
  absl::StatusOr<std::string> WaitForStdoutPrefix(absl::string_view prefix, absl::Duration timeout);
  // The same for stderr lines.
  absl::StatusOr<std::string> WaitForStderrLine(
      const std::function<bool(const std::string&)>& predicate, absl::Duration timeout);

  std::vector<std::string> StdoutLines() const;
  std::vector<std::string> StderrLines() const;

  void Signal(int signal_number);
  // Waits for the child to exit and returns its wait status (as from waitpid); kDeadlineExceeded
  // when it is still running after `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  bool Running();

 private:
  ChildProcess(pid_t pid, int stdout_fd, int stderr_fd, bool echo_stderr, std::string label);
  void ReadLines(int fd, bool is_stdout);
  absl::StatusOr<std::string> WaitForLine(const std::function<bool(const std::string&)>& predicate,
                                          absl::Duration timeout, bool is_stdout);
  void ReapLocked(bool block) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const pid_t pid_;
  const bool echo_stderr_;
  const std::string label_;

  mutable absl::Mutex mu_;
  std::vector<std::string> stdout_lines_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> stderr_lines_ ABSL_GUARDED_BY(mu_);
  bool stdout_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stderr_closed_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<int> exit_status_ ABSL_GUARDED_BY(mu_);

  std::thread stdout_reader_;
  std::thread stderr_reader_;
};

// Path of a binary built by this project (EXOSPHERE_BIN_DIR, else the build's bin directory).
std::string BinaryPath(const std::string& name);
// Path inside the source tree (EXOSPHERE_SOURCE_DIR, else the tree this build came from).
std::string SourcePath(const std::string& relative);

}  // namespace exosphere::harness

#endif  // EXOSPHERE_HARNESS_CHILD_PROCESS_H_
