#ifndef EXOSPHERE_DEVSERVER_RECORD_CODEC_H_
#define EXOSPHERE_DEVSERVER_RECORD_CODEC_H_

#include "absl/status/statusor.h"

#include "devserver/json.h"
#include "devserver/models.h"

// The JSON documents the SQLite persistence stores for each model. Times are Unix microseconds.
// Decoders never throw; a document that does not have the expected shape is kDataLoss. Pure;
// thread-safe.
namespace exosphere::devserver {

Json EncodeRegisteredNode(const RegisteredNode& node);
absl::StatusOr<RegisteredNode> DecodeRegisteredNode(const Json& document);

Json EncodeGraphTemplate(const GraphTemplate& graph);
absl::StatusOr<GraphTemplate> DecodeGraphTemplate(const Json& document);

Json EncodeState(const State& state);
absl::StatusOr<State> DecodeState(const Json& document);

Json EncodeRun(const Run& run);
absl::StatusOr<Run> DecodeRun(const Json& document);

Json EncodeCronRecord(const CronRecord& record);
absl::StatusOr<CronRecord> DecodeCronRecord(const Json& document);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_RECORD_CODEC_H_
