#include "sidecar/dev_mode.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace exosphere::sidecar {

absl::StatusOr<std::unique_ptr<DevMode>> DevMode::Start(const SidecarConfig& config) {
  devserver::DevserverOptions options;
  const size_t colon = config.dev_listen.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(config.dev_listen.substr(colon + 1), &options.port) || options.port < 0 ||
      options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dev-listen must be host:port, got \"", config.dev_listen, "\""));
  }
  options.host = config.dev_listen.substr(0, colon);
  // EXOSPHERE_API_KEY, when set, lets other clients (the official dashboard, exospherectl) use
  // the embedded devserver too; otherwise a random key that only travels inside this process.
  options.api_key = config.api_key.empty() ? absl::StrCat("dev-", ids::NewUuid4()) : config.api_key;
  log::RegisterSensitiveValue(options.api_key);
  options.db_path = config.dev_db;
  options.http_threads = 32;
  EXO_ASSIGN_OR_RETURN(std::unique_ptr<devserver::Devserver> devserver,
                       devserver::Devserver::Start(options));
  EXO_LOG(
      kInfo, "devserver_started", "embedded devserver for --dev",
      {{"url", devserver->base_url()}, {"db", config.dev_db.empty() ? "memory" : config.dev_db}});
  return std::unique_ptr<DevMode>(new DevMode(std::move(devserver), options.api_key));
}

DevMode::DevMode(std::unique_ptr<devserver::Devserver> devserver, std::string api_key)
    : devserver_(std::move(devserver)), api_key_(std::move(api_key)) {}

void DevMode::Configure(SidecarConfig& config) const {
  config.state_manager_uri = devserver_->base_url();
  config.api_key = api_key_;
  config.api_key_file.clear();
}

}  // namespace exosphere::sidecar
