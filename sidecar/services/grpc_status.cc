#include "sidecar/services/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "common/log.h"
#include "sidecar/transport/quoting.h"

namespace exosphere::sidecar {
std::string OutgoingText(absl::string_view text, size_t max_bytes) {
  std::string redacted = log::Redact(text);
  if (redacted.size() <= max_bytes) return redacted;
  return absl::StrCat(Utf8Prefix(redacted, max_bytes), "... (", redacted.size() - max_bytes,
                      " more bytes)");
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), OutgoingText(status.message()));
}

}  // namespace exosphere::sidecar
