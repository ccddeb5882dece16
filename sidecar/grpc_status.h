#ifndef EXOSPHERE_SIDECAR_GRPC_STATUS_H_
#define EXOSPHERE_SIDECAR_GRPC_STATUS_H_

#include "absl/status/status.h"
#include <grpcpp/grpcpp.h>

namespace exosphere::sidecar {

// The one conversion from absl::Status to grpc::Status used by every service (the canonical
// codes are the same numbers).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_GRPC_STATUS_H_
