#ifndef EXOSPHERE_SIDECAR_SERVICES_GRPC_STATUS_H_
#define EXOSPHERE_SIDECAR_SERVICES_GRPC_STATUS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include <grpcpp/grpcpp.h>

namespace exosphere::sidecar {

// Every text the sidecar sends a worker or a client (status messages, Registration.error,
// ResultRejected.message) goes through here: sensitive values (the API key, the worker token)
// redacted, then cut to `max_bytes` at a UTF-8 boundary with a note of what was cut. The default
// keeps a status within the trailing metadata peers accept (8 KiB by default): a longer one
// arrives as RESOURCE_EXHAUSTED "metadata size exceeds limit", which the protocol reads as
// "retry later".
std::string OutgoingText(absl::string_view text, size_t max_bytes = 4096);

// The one conversion from absl::Status to grpc::Status used by every service (the canonical
// codes are the same numbers). The message goes through OutgoingText.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_GRPC_STATUS_H_
