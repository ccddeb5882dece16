#include "harness/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char** environ;

namespace exosphere::harness {
namespace {

std::vector<std::string> BuildEnvironment(
    const std::map<std::string, std::optional<std::string>>& overrides) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    env[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [key, value] : overrides) {
    if (value.has_value()) {
      env[key] = *value;
    } else {
      env.erase(key);
    }
  }
  std::vector<std::string> result;
  for (const auto& [key, value] : env) result.push_back(key + "=" + value);
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(Options options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("ChildProcess: empty argv");
  std::vector<std::string> env_strings = BuildEnvironment(options.env);
  std::vector<char*> argv;
  for (std::string& arg : options.argv) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    setpgid(0, 0);
    execve(argv[0], argv.data(), envp.data());
    const char message[] = "exec failed\n";
    (void)!write(STDERR_FILENO, message, sizeof(message) - 1);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::string label = options.label.empty() ? options.argv[0] : options.label;
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, out_pipe[0], err_pipe[0], options.echo_stderr, std::move(label)));
}

ChildProcess::ChildProcess(pid_t pid, int stdout_fd, int stderr_fd, bool echo_stderr,
                           std::string label)
    : pid_(pid), echo_stderr_(echo_stderr), label_(std::move(label)) {
  stdout_reader_ = std::thread([this, stdout_fd] { ReadLines(stdout_fd, true); });
  stderr_reader_ = std::thread([this, stderr_fd] { ReadLines(stderr_fd, false); });
}

ChildProcess::~ChildProcess() {
  {
    absl::MutexLock lock(&mu_);
    if (!exit_status_.has_value()) {
      // The child leads its own process group; take down anything it started too.
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      ReapLocked(/*block=*/true);
    }
  }
  // The pipes reach EOF once the child and anything it spawned with them are gone.
  stdout_reader_.join();
  stderr_reader_.join();
}

void ChildProcess::ReadLines(int fd, bool is_stdout) {
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (!is_stdout && echo_stderr_)
        std::fprintf(stderr, "[%s] %s\n", label_.c_str(), line.c_str());
      absl::MutexLock lock(&mu_);
      (is_stdout ? stdout_lines_ : stderr_lines_).push_back(std::move(line));
    }
  }
  close(fd);
  absl::MutexLock lock(&mu_);
  if (!pending.empty()) (is_stdout ? stdout_lines_ : stderr_lines_).push_back(std::move(pending));
  (is_stdout ? stdout_closed_ : stderr_closed_) = true;
}

absl::StatusOr<std::string> ChildProcess::WaitForLine(
    const std::function<bool(const std::string&)>& predicate, absl::Duration timeout,
    bool is_stdout) {
  absl::MutexLock lock(&mu_);
  size_t checked = 0;
  std::optional<std::string> found;
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::vector<std::string>& lines = is_stdout ? stdout_lines_ : stderr_lines_;
    for (; checked < lines.size(); ++checked) {
      if (predicate(lines[checked])) {
        found = lines[checked];
        return true;
      }
    }
    return is_stdout ? stdout_closed_ : stderr_closed_;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat(label_, ": no matching ", is_stdout ? "stdout" : "stderr", " line within ",
                     absl::FormatDuration(timeout)));
  }
  if (!found.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        label_, ": closed ", is_stdout ? "stdout" : "stderr", " without a matching line"));
  }
  return *found;
}

absl::StatusOr<std::string> ChildProcess::WaitForStdoutLine(
    const std::function<bool(const std::string&)>& predicate, absl::Duration timeout) {
  return WaitForLine(predicate, timeout, true);
}

absl::StatusOr<std::string> ChildProcess::WaitForStdoutPrefix(absl::string_view prefix,
                                                              absl::Duration timeout) {
  absl::StatusOr<std::string> line = WaitForLine(
      [&](const std::string& text) { return absl::StartsWith(text, prefix); }, timeout, true);
  if (!line.ok()) {
    return absl::Status(line.status().code(),
                        absl::StrCat(line.status().message(), " (waited for '", prefix, "')"));
  }
  return line->substr(prefix.size());
}

absl::StatusOr<std::string> ChildProcess::WaitForStderrLine(
    const std::function<bool(const std::string&)>& predicate, absl::Duration timeout) {
  return WaitForLine(predicate, timeout, false);
}

std::vector<std::string> ChildProcess::StdoutLines() const {
  absl::MutexLock lock(&mu_);
  return stdout_lines_;
}

std::vector<std::string> ChildProcess::StderrLines() const {
  absl::MutexLock lock(&mu_);
  return stderr_lines_;
}

void ChildProcess::Signal(int signal_number) {
  absl::MutexLock lock(&mu_);
  if (!exit_status_.has_value()) kill(pid_, signal_number);
}

void ChildProcess::ReapLocked(bool block) {
  if (exit_status_.has_value()) return;
  int status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) exit_status_ = status;
}

bool ChildProcess::Running() {
  absl::MutexLock lock(&mu_);
  ReapLocked(/*block=*/false);
  return !exit_status_.has_value();
}

absl::StatusOr<int> ChildProcess::Wait(absl::Duration timeout) {
  // A pidfd becomes readable when the child exits, so the wait needs no polling loop.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd entry{pidfd, POLLIN, 0};
    const int millis = static_cast<int>(absl::ToInt64Milliseconds(timeout));
    int ready;
    do {
      ready = poll(&entry, 1, millis);
    } while (ready < 0 && errno == EINTR);
    close(pidfd);
  }
  absl::MutexLock lock(&mu_);
  ReapLocked(/*block=*/false);
  if (exit_status_.has_value()) return *exit_status_;
  return absl::DeadlineExceededError(
      absl::StrCat(label_, ": still running after ", absl::FormatDuration(timeout)));
}

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("EXOSPHERE_BIN_DIR");
  return absl::StrCat(dir != nullptr ? dir : EXOSPHERE_DEFAULT_BIN_DIR, "/", name);
}

std::string SourcePath(const std::string& relative) {
  const char* dir = std::getenv("EXOSPHERE_SOURCE_DIR");
  return absl::StrCat(dir != nullptr ? dir : EXOSPHERE_DEFAULT_SOURCE_DIR, "/", relative);
}

}  // namespace exosphere::harness
