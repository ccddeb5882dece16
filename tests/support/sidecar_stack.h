#ifndef EXOSPHERE_TESTS_SUPPORT_SIDECAR_STACK_H_
#define EXOSPHERE_TESTS_SUPPORT_SIDECAR_STACK_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "harness/child_process.h"
#include "harness/scratch_dir.h"

namespace exosphere::testing {

// The real processes that workers talk to in end-to-end tests: exosphere-devserver on a free
// loopback port and exosphere-sidecar pointed at it, listening on a unix socket in a fresh
// scratch directory (or the sidecar alone in --dev mode, with its embedded devserver). The
// sidecar polls every 50 ms so that tests do not wait for work. Both processes are stopped and
// reaped, and the directory removed, on destruction. Not thread-safe.
class SidecarStack {
 public:
  enum class Mode { kSeparateDevserver, kEmbeddedDevserver };

  struct Options {
    Mode mode = Mode::kSeparateDevserver;
    // The devserver's --api-key, and the sidecar's EXOSPHERE_API_KEY unless sidecar_api_key is
    // set (a test of a refused key gives the sidecar another one).
    std::string api_key = "e2e-api-key";
    std::optional<std::string> sidecar_api_key;
    // Appended to each command line (the devserver's only in kSeparateDevserver mode).
    std::vector<std::string> devserver_flags;
    std::vector<std::string> sidecar_flags;
  };

  static absl::StatusOr<std::unique_ptr<SidecarStack>> Start(Options options);
  ~SidecarStack();
  SidecarStack(const SidecarStack&) = delete;
  SidecarStack& operator=(const SidecarStack&) = delete;

  // "unix:/.../sidecar.sock", as the sidecar reported it.
  const std::string& sidecar_address() const { return sidecar_address_; }
  harness::ChildProcess& sidecar() { return *sidecar_; }
  // Null in kEmbeddedDevserver mode.
  harness::ChildProcess* devserver() { return devserver_.get(); }
  // Holds the sidecar's socket; tests may put their own files next to it.
  const harness::ScratchDir& dir() const { return *dir_; }

  // Starts a new sidecar with the same flags and socket. A sidecar still running is killed first
  // (SIGKILL), since two cannot listen on one socket.
  absl::Status StartSidecar();
  // The same, with `api_key` as the sidecar's EXOSPHERE_API_KEY from now on.
  absl::Status StartSidecar(const std::string& api_key);

 private:
  SidecarStack() = default;

  // Declared first so that the processes using it are gone before it is removed.
  std::unique_ptr<harness::ScratchDir> dir_;
  std::unique_ptr<harness::ChildProcess> devserver_;
  std::unique_ptr<harness::ChildProcess> sidecar_;
  std::vector<std::string> sidecar_argv_;
  std::string sidecar_api_key_;
  std::string sidecar_address_;
};

}  // namespace exosphere::testing

#endif  // EXOSPHERE_TESTS_SUPPORT_SIDECAR_STACK_H_
