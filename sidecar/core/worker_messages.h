#ifndef EXOSPHERE_SIDECAR_CORE_WORKER_MESSAGES_H_
#define EXOSPHERE_SIDECAR_CORE_WORKER_MESSAGES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "exosphere/sidecar/v1/node_host.pb.h"
#include "sidecar/transport/json_util.h"

namespace exosphere::sidecar {

// The messages the sidecar sends on a worker's stream, built in one place so that the router's
// logic does not deal with protobuf setters. Text meant for the worker goes through
// OutgoingText (bounded, valid UTF-8).

v1::SidecarMessage WelcomeMessage(absl::string_view worker_id, absl::string_view ns,
                                  uint32_t max_message_bytes);
// Registered when `status` is OK; otherwise the error and when the registrar retries.
v1::SidecarMessage RegistrationMessage(const absl::Status& status, absl::Duration retry_in);
v1::SidecarMessage DrainMessage(absl::Duration timeout);
v1::SidecarMessage CancelMessage(absl::string_view state_id, v1::CancelTask::Reason reason,
                                 absl::string_view message);
v1::SidecarMessage ResultRejectedMessage(absl::string_view state_id,
                                         v1::ResultRejected::Reason reason,
                                         absl::string_view message);

// A task for the worker: the state's checked inputs and the secrets its node declared.
v1::SidecarMessage TaskMessage(absl::string_view state_id, absl::string_view node_name,
                               absl::string_view identifier, const json::StringMap& inputs,
                               const json::StringMap& secrets, absl::Duration deadline,
                               absl::Time claimed_at);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CORE_WORKER_MESSAGES_H_
