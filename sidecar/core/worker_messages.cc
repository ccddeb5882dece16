#include "sidecar/core/worker_messages.h"

#include <algorithm>

#include "sidecar/services/grpc_status.h"

namespace exosphere::sidecar {
namespace {

uint64_t NonNegativeMillis(absl::Duration duration) {
  return static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Milliseconds(duration)));
}

}  // namespace

v1::SidecarMessage WelcomeMessage(absl::string_view worker_id, absl::string_view ns,
                                  uint32_t max_message_bytes) {
  v1::SidecarMessage message;
  v1::Welcome& welcome = *message.mutable_welcome();
  welcome.set_worker_id(std::string(worker_id));
  welcome.set_namespace_(std::string(ns));
  welcome.set_sidecar_version(EXOSPHERE_VERSION);
  welcome.set_max_message_bytes(max_message_bytes);
  return message;
}

v1::SidecarMessage RegistrationMessage(const absl::Status& status, absl::Duration retry_in) {
  v1::SidecarMessage message;
  v1::Registration& registration = *message.mutable_registration();
  registration.set_registered(status.ok());
  if (!status.ok()) {
    registration.set_error(OutgoingText(status.message()));
    registration.set_retry_in_ms(NonNegativeMillis(retry_in));
  }
  return message;
}

v1::SidecarMessage DrainMessage(absl::Duration timeout) {
  v1::SidecarMessage message;
  message.mutable_drain()->set_deadline_ms(NonNegativeMillis(timeout));
  return message;
}

v1::SidecarMessage CancelMessage(absl::string_view state_id, v1::CancelTask::Reason reason,
                                 absl::string_view text) {
  v1::SidecarMessage message;
  v1::CancelTask& cancel = *message.mutable_cancel();
  cancel.set_state_id(std::string(state_id));
  cancel.set_reason(reason);
  cancel.set_message(std::string(text));
  return message;
}

v1::SidecarMessage ResultRejectedMessage(absl::string_view state_id,
                                         v1::ResultRejected::Reason reason,
                                         absl::string_view text) {
  v1::SidecarMessage message;
  v1::ResultRejected& rejected = *message.mutable_result_rejected();
  rejected.set_state_id(std::string(state_id));
  rejected.set_reason(reason);
  rejected.set_message(OutgoingText(text));
  return message;
}

v1::SidecarMessage TaskMessage(absl::string_view state_id, absl::string_view node_name,
                               absl::string_view identifier, const json::StringMap& inputs,
                               const json::StringMap& secrets, absl::Duration deadline,
                               absl::Time claimed_at) {
  v1::SidecarMessage message;
  v1::Task& task = *message.mutable_task();
  task.set_state_id(std::string(state_id));
  task.set_node_name(std::string(node_name));
  task.set_identifier(std::string(identifier));
  task.mutable_inputs()->insert(inputs.begin(), inputs.end());
  task.mutable_secrets()->insert(secrets.begin(), secrets.end());
  task.set_deadline_ms(NonNegativeMillis(deadline));
  task.set_claimed_at_unix_micros(absl::ToUnixMicros(claimed_at));
  return message;
}

}  // namespace exosphere::sidecar
