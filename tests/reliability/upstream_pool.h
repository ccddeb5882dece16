#ifndef EXOSPHERE_TESTS_RELIABILITY_UPSTREAM_POOL_H_
#define EXOSPHERE_TESTS_RELIABILITY_UPSTREAM_POOL_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "tests/reliability/scoped_fd.h"
#include <netinet/in.h>

namespace exosphere::reliability {

// Keep-alive connections to the fault proxy's upstream: idle connections are kept for reuse up to
// `idle_timeout` (set below the server's own keep-alive timeout, so that the server rarely closes
// one just as it is reused). Thread-safe. Owns the idle connections; a leased connection belongs
// to the caller until it gives it back with Release.
class UpstreamPool {
 public:
  struct Lease {
    ScopedFd fd;
    // Whether the connection carried an earlier exchange.
    bool reused = false;
  };

  // `wake_fd` interrupts connecting (see socket_io.h); not owned.
  UpstreamPool(sockaddr_in address, absl::Duration connect_timeout, absl::Duration idle_timeout,
               int wake_fd);
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // An idle connection that is still alive or, with `fresh` or when none is, a new one. Errors
  // as ConnectTcp. Blocks while connecting.
  absl::StatusOr<Lease> Acquire(bool fresh) ABSL_LOCKS_EXCLUDED(mu_);
  // Keeps a connection that finished an exchange cleanly for reuse.
  void Release(ScopedFd fd) ABSL_LOCKS_EXCLUDED(mu_);
  // Closes every idle connection.
  void CloseIdle() ABSL_LOCKS_EXCLUDED(mu_);
  size_t idle_count() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  static constexpr size_t kMaxIdle = 64;

  const sockaddr_in address_;
  const absl::Duration connect_timeout_;
  const absl::Duration idle_timeout_;
  const int wake_fd_;

  mutable absl::Mutex mu_;
  // Most recently released last.
  std::vector<std::pair<ScopedFd, absl::Time>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_UPSTREAM_POOL_H_
