// Fuzzes the sidecar's reading of a POST /states/enqueue reply (contract 2.5) and of error bodies
// (FastAPI `detail`, section 1.4) through RestStatesClient::ClaimStates. The first byte
// picks the HTTP status (or a transport failure); the rest is the body.
//
// Invariants: no crash or exception; errors carry a message without the API key and quote at
// most a bounded part of the body; a 2xx reply never yields an OK result for a non-2xx status;
// every claimed state has the id the reply gave it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "sidecar/transport/json_util.h"
#include "sidecar/transport/rest_states_client.h"
#include "tests/fakes/fake_http_client.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr int kStatuses[] = {200, 200, 200, 200, 200, 200, 201, 204, 400, 401,
                             403, 404, 408, 409, 422, 429, 500, 503, 302, 0};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using exosphere::fuzz::CheckError;
  exosphere::fuzz::SilenceLogs();
  if (size == 0) return 0;
  const int status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);

  exosphere::testing::FakeHttpClient http;
  if (status == 0) {
    http.Fail(absl::UnavailableError("connection refused"));
  } else {
    http.Respond(status, body);
  }
  exosphere::sidecar::RestClientOptions options;
  options.base_url = "http://state-manager:8000";
  options.api_key = [] { return std::string(exosphere::fuzz::kApiKey); };
  exosphere::sidecar::RestStatesClient client(http, options);
  auto claimed = client.ClaimStates("fuzz-ns", {"NodeA", "NodeB"}, 4);
  if (!claimed.ok()) {
    CheckError(claimed.status(), body);
    // The detail is capped at 300 characters; the rest is the method, path and status.
    FUZZ_CHECK(claimed.status().message().size() < 600, claimed.status().ToString());
    return 0;
  }
  FUZZ_CHECK(status >= 200 && status < 300, absl::StrCat("OK for HTTP ", status));
  // An entry without a string id is dropped (it could never be reported); the others are kept
  // in order and, when incomplete, marked malformed so that the router reports them errored.
  const auto reply = exosphere::json::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(reply.is_object() && reply.contains("states") && reply["states"].is_array(), body);
  std::vector<std::string> ids;
  for (const auto& entry : reply["states"]) {
    if (entry.is_object() && entry.contains("state_id") && entry["state_id"].is_string()) {
      ids.push_back(entry["state_id"].get<std::string>());
    }
  }
  FUZZ_CHECK(ids.size() == claimed->size(), absl::StrCat(ids.size(), " vs ", claimed->size()));
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& state = (*claimed)[i];
    FUZZ_CHECK(state.state_id == ids[i], state.state_id);
    // A state handed to a worker has all its fields; anything missing is said in `malformed`.
    FUZZ_CHECK(!state.malformed.empty() || state.inputs.is_object(), state.inputs.dump());
  }
  return 0;
}
