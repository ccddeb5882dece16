#ifndef EXOSPHERE_DEVSERVER_STATE_REQUESTS_H_
#define EXOSPHERE_DEVSERVER_STATE_REQUESTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devserver/field_reader.h"
#include "devserver/json.h"

// Request bodies of the trigger and state endpoints (contract 2.4-2.10) and their field-level
// validation (the 422 stage). Each Parse function reads `body` (already known to be present) at
// loc ["body"], records every problem in the reader's ValidationErrors and returns nullopt if
// there was any. Unknown fields are ignored. Pure; thread-safe.
namespace exosphere::devserver {

struct TriggerRequest {
  Json inputs = Json::object();  // string -> string
  Json store = Json::object();   // string -> string
  int64_t start_delay = 0;       // ms, >= 0
};

struct EnqueueRequest {
  std::vector<std::string> nodes;
  int64_t batch_size = 0;
};

struct ExecutedRequest {
  std::vector<Json> outputs;  // each an object
};

struct ErroredRequest {
  std::string error;
};

struct PruneRequest {
  Json data = Json::object();
};

struct ReEnqueueAfterRequest {
  int64_t enqueue_after = 0;  // delay in ms, > 0
};

struct ManualRetryRequest {
  std::string fanout_id;
};

std::optional<TriggerRequest> ParseTriggerRequest(const Json& body, FieldReader& reader);
std::optional<EnqueueRequest> ParseEnqueueRequest(const Json& body, FieldReader& reader);
std::optional<ExecutedRequest> ParseExecutedRequest(const Json& body, FieldReader& reader);
std::optional<ErroredRequest> ParseErroredRequest(const Json& body, FieldReader& reader);
std::optional<PruneRequest> ParsePruneRequest(const Json& body, FieldReader& reader);
std::optional<ReEnqueueAfterRequest> ParseReEnqueueAfterRequest(const Json& body,
                                                                FieldReader& reader);
std::optional<ManualRetryRequest> ParseManualRetryRequest(const Json& body, FieldReader& reader);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_STATE_REQUESTS_H_
