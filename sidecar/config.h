#ifndef EXOSPHERE_SIDECAR_CONFIG_H_
#define EXOSPHERE_SIDECAR_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace exosphere::sidecar {

// Everything the sidecar is configured with. main.cc fills it from flags and environment
// variables; tests fill it directly.
struct SidecarConfig {
  // State manager. Empty URI with `dev` set: the embedded devserver.
  std::string state_manager_uri;
  std::string api_key;       // never logged
  std::string api_key_file;  // re-read when it changes (Kubernetes secret rotation)
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
  absl::Duration http_timeout = absl::Seconds(10);
  absl::Duration http_connect_timeout = absl::Seconds(3);
  // Most connections (and so concurrent requests) to the state manager.
  int http_connections = 8;
  // "auto": PlainHttpClient for an http:// state manager (the cheap path), libcurl for https://;
  // "curl": libcurl for both (e.g. behind an HTTP proxy set in the environment).
  std::string http_client = "auto";

  // Workers.
  // "unix:/path", "/path" (a unix socket) or "host:port" (TCP; port 0 picks a free port).
  std::string listen = "unix:/tmp/exosphere-sidecar.sock";
  std::string default_namespace = "default";
  uint32_t max_message_bytes = 4 << 20;
  int max_streams = 1000;
  // A stream that sends no Hello within this time is ended (it holds a --max-streams slot).
  absl::Duration hello_timeout = absl::Seconds(10);
  std::string worker_token;
  absl::Duration default_deadline = absl::ZeroDuration();

  // Polling and reporting.
  absl::Duration poll_interval = absl::Seconds(1);
  // While less than busy_window has passed since the namespace was last busy (a state claimed,
  // a run triggered or a report delivered here), empty polls wait at most busy_poll_interval
  // (capped at poll_interval) instead of backing off: the next hop of a chain whose previous
  // node ran on another pod is picked up within about that. Zero window: no busy polling.
  absl::Duration busy_window = absl::Seconds(30);
  absl::Duration busy_poll_interval = absl::Milliseconds(100);
  int max_batch = 16;
  // Reports first: no claim while this many reports are unsent (see PollerOptions).
  uint64_t max_unsent_reports = 64;
  // Largest report body sent to the state manager; a larger result is refused at once
  // (ResultRejected INVALID_RESULT) and reported errored. Matches the devserver's body limit.
  uint64_t max_report_bytes = 8 << 20;

  // Recovery.
  int max_worker_losses = 3;
  absl::Duration reconnect_grace = absl::Seconds(10);
  absl::Duration handback_delay = absl::Seconds(1);
  absl::Duration drain_timeout = absl::Seconds(30);
  // Crash recovery: where claimed states and undelivered reports are recorded (empty: off).
  std::string journal_dir;

  // Operations: "host:port" of /livez, /readyz and /metrics (empty: off).
  std::string health_listen;
  // /readyz also requires a connected, registered worker.
  bool ready_requires_worker = true;

  // Embedded devserver (--dev).
  bool dev = false;
  std::string dev_listen = "127.0.0.1:0";
  std::string dev_db;
};

// kInvalidArgument naming the setting and the rule when the config cannot work.
absl::Status ValidateConfig(const SidecarConfig& config);

// One line for the startup log: every setting, with the API key and worker token shown only as
// whether they are set.
std::string DescribeConfig(const SidecarConfig& config);

// Which secret a key file holds, as its errors name it.
enum class KeyFileKind { kApiKey, kWorkerToken };

// A secret from a file (a mounted Kubernetes secret): contents without surrounding whitespace.
// kNotFound / kPermissionDenied / kInvalidArgument (empty file) with the path and the flag that
// names the file in the message.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path,
                                        KeyFileKind kind = KeyFileKind::kApiKey);

// Turns a listen setting into a gRPC address: "unix:/path" for sockets, "host:port" for TCP.
std::string GrpcListenAddress(const std::string& listen);
// The socket path of a unix listen setting, or empty for TCP.
std::string UnixSocketPath(const std::string& listen);

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_CONFIG_H_
