#ifndef EXOSPHERE_SIDECAR_DEV_MODE_H_
#define EXOSPHERE_SIDECAR_DEV_MODE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "devserver/devserver.h"
#include "sidecar/config.h"

namespace exosphere::sidecar {

// --dev: a devserver (a local state manager) embedded in the sidecar process, with a random API
// key that never leaves the process. Owns the devserver; stopping it is the last step of exit.
class DevMode {
 public:
  // Starts the devserver on `config.dev_listen` (host:port, port 0 for a free one), persisting
  // to `config.dev_db` when set. Errors as Devserver::Start, or kInvalidArgument for a bad address.
  static absl::StatusOr<std::unique_ptr<DevMode>> Start(const SidecarConfig& config);

  // Points the sidecar's config at the devserver (URI and key).
  void Configure(SidecarConfig& config) const;
  std::string base_url() const { return devserver_->base_url(); }

 private:
  DevMode(std::unique_ptr<devserver::Devserver> devserver, std::string api_key);

  std::unique_ptr<devserver::Devserver> devserver_;
  const std::string api_key_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_DEV_MODE_H_
