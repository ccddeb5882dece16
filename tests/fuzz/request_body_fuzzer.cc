// Fuzzes the devserver's request-body models and their field validation (devserver/
// graph_requests.h, devserver/state_requests.h; contract 2.1 to 2.10): the body is decoded as
// the devserver decodes it and then read as every request model, as if posted to each endpoint.
//
// Invariants: no crash or exception; a model is returned exactly when no validation error was
// recorded; every recorded error is a FastAPI 422 item (type, loc starting with "body", msg) and
// the response body serializes; values that were accepted respect the documented bounds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"

#include "devserver/field_reader.h"
#include "devserver/graph_requests.h"
#include "devserver/json.h"
#include "devserver/python_json_decoder.h"
#include "devserver/state_requests.h"
#include "devserver/validation_errors.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using exosphere::devserver::FieldReader;
using exosphere::devserver::Json;
using exosphere::devserver::ValidationErrors;

template <typename Parse>
auto ReadAs(const char* model, const Json& body, Parse parse) {
  ValidationErrors errors;
  FieldReader reader(errors);
  auto parsed = parse(body, reader);
  FUZZ_CHECK(
      parsed.has_value() == errors.empty(),
      absl::StrCat(model, ": ", errors.size(), " errors but has_value=", parsed.has_value()));
  for (const Json& item : errors.items()) {
    FUZZ_CHECK(
        item.is_object() && item.contains("type") && item.contains("loc") && item.contains("msg"),
        absl::StrCat(model, ": ", exosphere::devserver::DumpJson(item)));
    const Json& loc = item["loc"];
    FUZZ_CHECK(loc.is_array() && !loc.empty() && loc[0] == "body",
               absl::StrCat(model, ": ", exosphere::devserver::DumpJson(item)));
    FUZZ_CHECK(item["msg"].is_string() && !item["msg"].get<std::string>().empty(), model);
  }
  if (!errors.empty()) {
    const std::string response = exosphere::devserver::DumpJson(errors.ToResponseBody());
    FUZZ_CHECK(!response.empty(), model);
  }
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ds = exosphere::devserver;
  const ds::PythonJsonResult decoded =
      ds::DecodePythonJson(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (decoded.outcome != ds::PythonJsonResult::Outcome::kOk) return 0;
  const Json& body = decoded.value;

  if (auto nodes = ReadAs("RegisterNodesRequest", body, ds::ParseRegisterNodesRequest)) {
    for (const auto& node : nodes->nodes) {
      FUZZ_CHECK(node.inputs_schema.is_object() && node.outputs_schema.is_object(), node.name);
    }
  }
  if (auto graph = ReadAs("UpsertGraphRequest", body, ds::ParseUpsertGraphRequest)) {
    for (const auto& node : graph->nodes) {
      FUZZ_CHECK(!node.identifier.empty() && node.identifier != "store", node.identifier);
    }
  }
  if (auto trigger = ReadAs("TriggerRequest", body, ds::ParseTriggerRequest)) {
    FUZZ_CHECK(trigger->start_delay >= 0, absl::StrCat(trigger->start_delay));
    FUZZ_CHECK(trigger->inputs.is_object() && trigger->store.is_object(), "inputs or store");
  }
  ReadAs("EnqueueRequest", body, ds::ParseEnqueueRequest);
  if (auto executed = ReadAs("ExecutedRequest", body, ds::ParseExecutedRequest)) {
    for (const Json& output : executed->outputs) FUZZ_CHECK(output.is_object(), "output");
  }
  ReadAs("ErroredRequest", body, ds::ParseErroredRequest);
  if (auto prune = ReadAs("PruneRequest", body, ds::ParsePruneRequest)) {
    FUZZ_CHECK(prune->data.is_object(), "prune data");
  }
  if (auto requeue = ReadAs("ReEnqueueAfterRequest", body, ds::ParseReEnqueueAfterRequest)) {
    FUZZ_CHECK(requeue->enqueue_after > 0, absl::StrCat(requeue->enqueue_after));
  }
  ReadAs("ManualRetryRequest", body, ds::ParseManualRetryRequest);
  return 0;
}
