#ifndef EXOSPHERE_SIDECAR_TRANSPORT_API_KEY_SOURCE_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_API_KEY_SOURCE_H_

#include <ctime>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/clock.h"
#include <sys/types.h>

namespace exosphere::sidecar {

// The API key sent to the state manager: fixed, or read from a file (a mounted Kubernetes
// secret) and read again when the file changes, checked at most once per `recheck` interval.
// Every key it holds is registered with the logger as a sensitive value. Thread-safe.
class ApiKeySource {
 public:
  // With a file: fails when it cannot be read now (see ReadKeyFile).
  static absl::StatusOr<std::unique_ptr<ApiKeySource>> Create(
      std::string fixed_key, std::string file, Clock& clock,
      absl::Duration recheck = absl::Seconds(1));

  // The current key. A file that became unreadable keeps the last good key (and logs once).
  std::string Get() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ApiKeySource(std::string key, std::string file, Clock& clock, absl::Duration recheck);
  void ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string file_;
  Clock& clock_;
  const absl::Duration recheck_;

  absl::Mutex mu_;
  std::string key_ ABSL_GUARDED_BY(mu_);
  absl::Time next_check_ ABSL_GUARDED_BY(mu_);
  // Identity of the file version the key came from (Kubernetes swaps a symlink on update).
  ino_t inode_ ABSL_GUARDED_BY(mu_) = 0;
  timespec mtime_ ABSL_GUARDED_BY(mu_) = {};
  off_t size_ ABSL_GUARDED_BY(mu_) = 0;
  bool unreadable_logged_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_API_KEY_SOURCE_H_
