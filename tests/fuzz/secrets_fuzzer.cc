// Fuzzes the sidecar's reading of a GET /state/{id}/secrets reply (contract 2.11) through
// RestStatesClient::GetSecrets and GetSecretsAsync. The first byte picks the HTTP status;
// the rest is the body.
//
// Invariants: no crash or exception; both calls agree; errors carry a message that contains
// neither the API key nor any string value of the reply (secret values must never reach a log
// line or a gRPC status); on success every member of "secrets" is returned with its value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "sidecar/transport/json_util.h"
#include "sidecar/transport/rest_states_client.h"
#include "tests/fakes/fake_http_client.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using exosphere::json::Json;
using exosphere::json::StringMap;

constexpr int kStatuses[] = {200, 200, 200, 200, 200, 200, 201, 400, 401, 404, 422, 500, 503};
// Everything an error message may say besides a secret's name: finding a piece of this in a
// message is no leak.
constexpr char kFixedText[] =
    "GET /v0/namespace/fuzz-ns/state/0123456789abcdef01234567/secrets response: expected an "
    "object with a 'secrets' object; secret '' is not a string; HTTP 200 201 204 400 401 404 422 "
    "500 503 with a body that is not JSON (0123456789 bytes) (the state manager refused the API "
    "key)";

bool CouldLeak(const std::string& text) {
  return text.size() >= 6 && std::string(kFixedText).find(text) == std::string::npos;
}

// String values of the reply that would be a leak if a message quoted them.
void CollectValues(const Json& value, std::vector<std::string>& out) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (CouldLeak(text)) out.push_back(text);
  } else if (value.is_structured()) {
    for (const Json& child : value) CollectValues(child, out);
  }
}

// The status GetSecrets returns for a reply.
absl::Status SecretsStatus(int http_status, const std::string& body) {
  exosphere::testing::FakeHttpClient http;
  http.Respond(http_status, body);
  exosphere::sidecar::RestClientOptions options;
  options.base_url = "http://state-manager:8000";
  options.api_key = [] { return std::string(exosphere::fuzz::kApiKey); };
  exosphere::sidecar::RestStatesClient client(http, options);
  return client.GetSecrets("fuzz-ns", "0123456789abcdef01234567").status();
}

void CheckNoLeak(int http_status, const absl::Status& status, const std::string& body) {
  exosphere::fuzz::CheckError(status, body);
  const Json reply = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) {
    // Nothing of a body that is not JSON is quoted: the message is exactly the one a filler body
    // of the same length gets. (Looking for the body in the message instead was fooled by a body
    // that is itself a piece of the message, which libFuzzer found.)
    const absl::Status filler = SecretsStatus(http_status, std::string(body.size(), '~'));
    FUZZ_CHECK(status.message() == filler.message(),
               absl::StrCat(status.ToString(), " vs ", filler.ToString()));
    return;
  }
  std::vector<std::string> values;
  CollectValues(reply, values);
  for (const std::string& value : values) {
    // A secret's name may be quoted ("secret 'x' is not a string"), its value never.
    bool is_a_key = false;
    if (reply.is_object() && reply.contains("secrets") && reply["secrets"].is_object()) {
      for (auto it = reply["secrets"].begin(); it != reply["secrets"].end(); ++it) {
        is_a_key = is_a_key || it.key().find(value) != std::string::npos;
      }
    }
    FUZZ_CHECK(is_a_key || status.message().find(value) == absl::string_view::npos,
               status.ToString());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exosphere::fuzz::SilenceLogs();
  if (size == 0) return 0;
  const int status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);

  exosphere::testing::FakeHttpClient http;
  http.Respond(status, body);
  http.Respond(status, body);
  exosphere::sidecar::RestClientOptions options;
  options.base_url = "http://state-manager:8000";
  options.api_key = [] { return std::string(exosphere::fuzz::kApiKey); };
  exosphere::sidecar::RestStatesClient client(http, options);
  const absl::StatusOr<StringMap> secrets =
      client.GetSecrets("fuzz-ns", "0123456789abcdef01234567");
  absl::StatusOr<StringMap> async_secrets = absl::UnknownError("callback not called");
  client.GetSecretsAsync(
      "fuzz-ns", "0123456789abcdef01234567",
      [&](absl::StatusOr<StringMap> result) { async_secrets = std::move(result); });

  FUZZ_CHECK(secrets.status() == async_secrets.status(),
             absl::StrCat(secrets.status().ToString(), " vs ", async_secrets.status().ToString()));
  if (!secrets.ok()) {
    CheckNoLeak(status, secrets.status(), body);
    return 0;
  }
  FUZZ_CHECK(*secrets == *async_secrets, "sync and async results differ");
  FUZZ_CHECK(status >= 200 && status < 300, absl::StrCat("OK for HTTP ", status));
  const Json reply = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(reply.is_object() && reply.contains("secrets") && reply["secrets"].is_object(), body);
  const Json& members = reply["secrets"];
  FUZZ_CHECK(members.size() == secrets->size(), body);
  for (const auto& [name, value] : *secrets) {
    FUZZ_CHECK(members.contains(name) && members[name] == value, name);
  }
  return 0;
}
