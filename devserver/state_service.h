#ifndef EXOSPHERE_DEVSERVER_STATE_SERVICE_H_
#define EXOSPHERE_DEVSERVER_STATE_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"

#include "common/clock.h"
#include "devserver/json.h"
#include "devserver/next_state_creator.h"
#include "devserver/secret_cipher.h"
#include "devserver/state_requests.h"
#include "devserver/store.h"

namespace exosphere::devserver {

// What runtimes do with states (contract 2.5-2.11, 4.8-4.10): claim, report executed / errored,
// prune, re-enqueue, manual retry, and read secrets. Every check-and-update is one store
// transaction. Errors are absl::Status mapped to HTTP by the API layer: kNotFound 404,
// kInvalidArgument 400, kAlreadyExists 409; `state_id` must already be a lowercase ObjectId.
// Thread-safe; executed hands next-state creation to the NextStateCreator and returns at once.
class StateService {
 public:
  // All arguments must outlive the service.
  StateService(Store& store, NextStateCreator& next_states, const Clock& clock,
               const SecretCipher& cipher)
      : store_(store), next_states_(next_states), clock_(clock), cipher_(cipher) {}
  StateService(const StateService&) = delete;
  StateService& operator=(const StateService&) = delete;

  Json Enqueue(const std::string& namespace_name, const EnqueueRequest& request);
  absl::StatusOr<Json> Executed(const std::string& namespace_name, const std::string& state_id,
                                const ExecutedRequest& request);
  absl::StatusOr<Json> Errored(const std::string& namespace_name, const std::string& state_id,
                               const ErroredRequest& request);
  absl::StatusOr<Json> Prune(const std::string& namespace_name, const std::string& state_id,
                             const PruneRequest& request);
  absl::StatusOr<Json> ReEnqueueAfter(const std::string& namespace_name,
                                      const std::string& state_id,
                                      const ReEnqueueAfterRequest& request);
  absl::StatusOr<Json> ManualRetry(const std::string& namespace_name, const std::string& state_id,
                                   const ManualRetryRequest& request);
  // Every secret of the state's graph, decoded. The API answers any error with the generic 500.
  absl::StatusOr<Json> Secrets(const std::string& namespace_name, const std::string& state_id);

 private:
  Store& store_;
  NextStateCreator& next_states_;
  const Clock& clock_;
  const SecretCipher& cipher_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_STATE_SERVICE_H_
