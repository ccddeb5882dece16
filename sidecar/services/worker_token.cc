#include "sidecar/services/worker_token.h"

#include "absl/strings/str_cat.h"

#include "common/log.h"

namespace exosphere::sidecar {

grpc::Status WorkerTokenCheck::Admit(const grpc::CallbackServerContext& context) const {
  if (token_.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kWorkerTokenMetadata);
  const std::string given =
      it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
  if (ConstantTimeEquals(given, token_)) return grpc::Status::OK;
  EXO_LOG(kWarning, "caller_unauthenticated", "missing or wrong worker token",
          {{"peer", context.peer()}, {"token", it == metadata.end() ? "missing" : "wrong"}});
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      absl::StrCat("this sidecar requires the worker token in the '",
                                   kWorkerTokenMetadata, "' metadata; it is missing or wrong"));
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  // Length is not secret enough to hide; the contents are compared without an early exit.
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  const std::string& longer = a.size() >= b.size() ? a : b;
  for (size_t i = 0; i < longer.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

}  // namespace exosphere::sidecar
