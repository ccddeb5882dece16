#ifndef EXOSPHERE_SIDECAR_OPERATIONS_REGISTRAR_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_REGISTRAR_H_

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "common/scheduler.h"
#include "common/thread_pool.h"
#include "sidecar/core/registration_requester.h"
#include "sidecar/operations/backoff.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

struct RegistrarOptions {
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
};

// Registers each runtime's node set with PUT /nodes/, one attempt at a time per runtime, always
// with the newest set; transient failures are retried with capped exponential backoff and
// jitter, forever; a permanent refusal (IsPermanentRegistrationFailure) is not retried.
// Every attempt's outcome goes to the callback (on a pool thread, no lock held). Thread-safe.
class Registrar final : public RegistrationRequester {
 public:
  using OutcomeCallback = std::function<void(const RegistrationOutcome&)>;

  Registrar(StatesClient& client, ThreadPool& pool, Scheduler& scheduler, RegistrarOptions options,
            OutcomeCallback on_outcome);
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  void Request(RegistrationRequest request) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, runtime name
  struct Entry {
    explicit Entry(const RegistrarOptions& options)
        : backoff(options.initial_backoff, options.max_backoff) {}
    RegistrationRequest latest;
    // An attempt is running or scheduled; a new request then waits for it.
    bool busy = false;
    Backoff backoff;
  };

  void Attempt(const Key& key) ABSL_LOCKS_EXCLUDED(mu_);

  StatesClient& client_;
  ThreadPool& pool_;
  Scheduler& scheduler_;
  const RegistrarOptions options_;
  const OutcomeCallback on_outcome_;

  absl::Mutex mu_;
  std::map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_REGISTRAR_H_
