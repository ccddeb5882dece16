#ifndef EXOSPHERE_TESTS_CLIENT_CPP_E2E_STACK_H_
#define EXOSPHERE_TESTS_CLIENT_CPP_E2E_STACK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "tests/support/child_process.h"
#include "tests/support/scratch_dir.h"

namespace exosphere::client::testing {

// The real processes that C++ workers talk to in end-to-end tests: exosphere-devserver on a free
// loopback port and exosphere-sidecar pointed at it, listening on a unix socket in a fresh
// temporary directory (or the sidecar alone in --dev mode, with its embedded devserver). Both are
// killed and reaped on destruction. Not thread-safe.
class E2eStack {
 public:
  enum class Mode { kSeparateDevserver, kEmbeddedDevserver };

  static absl::StatusOr<std::unique_ptr<E2eStack>> Start(Mode mode = Mode::kSeparateDevserver);
  ~E2eStack();

  // "unix:/.../sidecar.sock".
  const std::string& sidecar_address() const { return sidecar_address_; }
  exosphere::testing::ChildProcess& sidecar() { return *sidecar_; }

  // Sends SIGTERM to the sidecar (it drains) and returns its wait status once it exited.
  absl::StatusOr<int> StopSidecar(absl::Duration timeout);
  // Starts a new sidecar with the same flags and socket (after StopSidecar).
  absl::Status StartSidecar();

 private:
  E2eStack() = default;

  // Declared first so that the processes using it are gone before it is removed.
  std::unique_ptr<exosphere::testing::ScratchDir> dir_;
  std::unique_ptr<exosphere::testing::ChildProcess> devserver_;
  std::unique_ptr<exosphere::testing::ChildProcess> sidecar_;
  std::vector<std::string> sidecar_argv_;
  std::string sidecar_address_;
};

}  // namespace exosphere::client::testing

#endif  // EXOSPHERE_TESTS_CLIENT_CPP_E2E_STACK_H_
