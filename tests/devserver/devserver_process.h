#ifndef EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_PROCESS_H_
#define EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "harness/child_process.h"

namespace exosphere::devserver::testing {

// The exosphere-devserver binary started for an end-to-end test on a free port: waits for its
// first stdout line (`listening on http://HOST:PORT`) and parses the port. The process is
// reaped by ChildProcess whatever happens. Not thread-safe.
class DevserverProcess {
 public:
  static constexpr char kApiKey[] = "e2e-api-key";

  // Starts the binary with `--listen 127.0.0.1:0 --api-key kApiKey` plus `extra_args`.
  static absl::StatusOr<std::unique_ptr<DevserverProcess>> Start(
      const std::vector<std::string>& extra_args = {});

  int port() const { return port_; }
  exosphere::harness::ChildProcess& process() { return *process_; }

  // SIGTERM, then the exit status (as from waitpid).
  absl::StatusOr<int> Stop();

 private:
  DevserverProcess(std::unique_ptr<exosphere::harness::ChildProcess> process, int port)
      : process_(std::move(process)), port_(port) {}

  std::unique_ptr<exosphere::harness::ChildProcess> process_;
  int port_;
};

}  // namespace exosphere::devserver::testing

#endif  // EXOSPHERE_TESTS_DEVSERVER_DEVSERVER_PROCESS_H_
