#ifndef EXOSPHERE_SIDECAR_TRANSPORT_REST_STATES_CLIENT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_REST_STATES_CLIENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "sidecar/transport/http_client.h"
#include "sidecar/transport/rest_transport.h"
#include "sidecar/transport/states_client.h"

namespace exosphere::sidecar {

// StatesClient over the v0 REST contract. Thread-safe if the HttpClient is; does not own the
// HttpClient.
class RestStatesClient final : public StatesClient {
 public:
  RestStatesClient(HttpClient& http, RestClientOptions options);

  absl::Status RegisterNodes(absl::string_view ns, absl::string_view runtime_name,
                             const std::vector<NodeRegistration>& nodes) override;
  absl::StatusOr<std::vector<ClaimedState>> ClaimStates(absl::string_view ns,
                                                        const std::vector<std::string>& node_names,
                                                        int batch_size) override;
  absl::StatusOr<json::StringMap> GetSecrets(absl::string_view ns,
                                             absl::string_view state_id) override;
  absl::Status SendReport(absl::string_view ns, const Report& report) override;
  void SendReportAsync(absl::string_view ns, const Report& report,
                       std::function<void(absl::Status)> done) override;
  void GetSecretsAsync(absl::string_view ns, absl::string_view state_id,
                       std::function<void(absl::StatusOr<json::StringMap>)> done) override;
  absl::Status CheckHealth(absl::Duration timeout) override;

 private:
  const RestTransport transport_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_REST_STATES_CLIENT_H_
