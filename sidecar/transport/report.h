#ifndef EXOSPHERE_SIDECAR_TRANSPORT_REPORT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sidecar/transport/json_util.h"

namespace exosphere::sidecar {

// The outcome of one claimed state, as it will be sent to the state manager. Exactly one report
// is sent per claimed state (the "never lose a state" invariant hangs on that).
struct Report {
  enum class Kind { kExecuted, kErrored, kPruned, kRequeueAfter };

  static Report Executed(std::string state_id, std::vector<json::StringMap> outputs);
  static Report Errored(std::string state_id, std::string error);
  static Report Pruned(std::string state_id, json::Json data);
  static Report RequeueAfter(std::string state_id, int64_t delay_ms);

  // The last path segment of the endpoint: "executed", "errored", "prune", "re-enqueue-after".
  absl::string_view Endpoint() const;
  // The request body, exactly as in the contract (section 2.6 to 2.9).
  json::Json Body() const;
  // The size of json::Dump(Body()), computed without building it (for the size check of every
  // result; prune data, rare and small, is dumped).
  size_t EncodedBytes() const;
  // The inverse of Endpoint() and Body(), for reports read back from the journal.
  // kInvalidArgument for an unknown endpoint or a body of the wrong shape.
  static absl::StatusOr<Report> FromBody(absl::string_view endpoint, std::string state_id,
                                         const json::Json& body);

  Kind kind = Kind::kErrored;
  std::string state_id;
  std::vector<json::StringMap> outputs;  // kExecuted
  std::string error;                     // kErrored
  json::Json prune_data;                 // kPruned: a JSON object
  int64_t delay_ms = 0;                  // kRequeueAfter: > 0
};

absl::string_view KindName(Report::Kind kind);

// The length of `text` as a JSON string, quotes included (json::Dump's escaping: two bytes for
// '"', '\\' and the short control escapes, six for other control characters).
size_t JsonStringBytes(absl::string_view text);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_REPORT_H_
