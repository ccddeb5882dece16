#ifndef EXOSPHERE_SIDECAR_OPERATIONS_HTTP_SECRETS_FETCHER_H_
#define EXOSPHERE_SIDECAR_OPERATIONS_HTTP_SECRETS_FETCHER_H_

#include <memory>
#include <string>

#include "absl/time/time.h"

#include "common/scheduler.h"
#include "sidecar/core/secrets_fetcher.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

struct HttpSecretsFetcherOptions {
  // The secrets endpoint answers 500 for every failure, including "no such state", so transient
  // and permanent failures look alike: a few attempts, then the state is reported errored.
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
};

// SecretsFetcher on the state manager's secrets endpoint, without blocking a thread, with retries
// scheduled on the scheduler. Thread-safe.
class HttpSecretsFetcher final : public SecretsFetcher {
 public:
  HttpSecretsFetcher(StatesClient& client, Scheduler& scheduler, HttpSecretsFetcherOptions options);

  void Fetch(std::string ns, std::string state_id, Callback done) override;

 private:
  struct Pending;
  void Attempt(const std::shared_ptr<Pending>& fetch);

  StatesClient& client_;
  Scheduler& scheduler_;
  const HttpSecretsFetcherOptions options_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_OPERATIONS_HTTP_SECRETS_FETCHER_H_
