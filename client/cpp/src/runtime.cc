#include "exosphere/client/runtime.h"

#include <utility>

#include "client/cpp/internal/node_validation.h"
#include "client/cpp/internal/runtime_core.h"

namespace exosphere::client {

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(
    const std::string& namespace_name, const std::string& runtime_name,
    const std::vector<std::shared_ptr<BaseNode>>& nodes, RuntimeOptions options) {
  absl::Status valid = internal::ValidateRuntime(namespace_name, runtime_name, nodes, options);
  if (!valid.ok()) return valid;
  return std::unique_ptr<Runtime>(new Runtime(std::make_unique<internal::RuntimeCore>(
      namespace_name, runtime_name, nodes, std::move(options))));
}

Runtime::Runtime(std::unique_ptr<internal::RuntimeCore> core) : core_(std::move(core)) {}

Runtime::~Runtime() = default;

absl::Status Runtime::Start() { return core_->Start(); }

absl::Status Runtime::Wait() { return core_->Wait(); }

absl::Status Runtime::Run() {
  absl::Status started = core_->Start();
  if (!started.ok()) return started;
  return core_->Wait();
}

void Runtime::Stop(absl::Duration grace) { core_->Stop(grace); }

absl::Status Runtime::WaitUntilRegistered(absl::Duration timeout) {
  return core_->WaitUntilRegistered(timeout);
}

}  // namespace exosphere::client
