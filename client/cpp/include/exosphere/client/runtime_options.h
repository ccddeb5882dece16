#ifndef EXOSPHERE_CLIENT_RUNTIME_OPTIONS_H_
#define EXOSPHERE_CLIENT_RUNTIME_OPTIONS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"

#include "exosphere/client/log_sink.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace exosphere::client {

// How a Runtime reaches the sidecar and how much it runs at once.
struct RuntimeOptions {
  // Where the sidecar listens: "unix:/path/to.sock" (or just "/path/to.sock") or "host:port".
  // Empty: the environment variable EXOSPHERE_SIDECAR_ADDRESS, else
  // "unix:/tmp/exosphere-sidecar.sock" (the sidecar's default).
  std::string sidecar_address = {};
  // How many tasks run at once, each on its own thread (the SDKs' `workers`). At least 1.
  int workers = 4;
  // Shown in the sidecar's logs. Empty: "<hostname>:<pid>".
  std::string worker_label = {};
  // Sent as `x-exosphere-worker-token` metadata when the sidecar requires one. Empty: the
  // environment variable EXOSPHERE_WORKER_TOKEN, else none.
  std::string worker_token = {};
  // Reconnection after the stream ends: capped exponential backoff with jitter, reset once a
  // stream is accepted.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  // Makes the channel for each connection attempt, in place of one to `sidecar_address` (for
  // TLS credentials, or an in-process channel in tests). Called on the runtime's thread.
  std::function<std::shared_ptr<grpc::Channel>()> channel_factory = {};
  // Where log lines go. Empty: DefaultLogSink().
  LogSink log_sink = {};
};

}  // namespace exosphere::client

#endif  // EXOSPHERE_CLIENT_RUNTIME_OPTIONS_H_
