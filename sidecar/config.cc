#include "sidecar/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace exosphere::sidecar {
namespace {

std::string Millis(absl::Duration duration) {
  return absl::StrCat(absl::ToInt64Milliseconds(duration), "ms");
}

absl::Status Require(bool condition, absl::string_view message) {
  return condition ? absl::OkStatus() : absl::InvalidArgumentError(message);
}

}  // namespace

std::string UnixSocketPath(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) return listen.substr(5);
  if (absl::StartsWith(listen, "/")) return listen;
  return "";
}

std::string GrpcListenAddress(const std::string& listen) {
  const std::string path = UnixSocketPath(listen);
  return path.empty() ? listen : absl::StrCat("unix:", path);
}

absl::Status ValidateConfig(const SidecarConfig& config) {
  if (!config.dev) {
    if (config.state_manager_uri.empty()) {
      return absl::InvalidArgumentError(
          "no state manager: set --state-manager-uri or EXOSPHERE_STATE_MANAGER_URI (or use "
          "--dev for an embedded devserver)");
    }
    if (!absl::StartsWith(config.state_manager_uri, "http://") &&
        !absl::StartsWith(config.state_manager_uri, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--state-manager-uri must start with http:// or https://, got \"",
                       config.state_manager_uri, "\""));
    }
    if (config.api_key.empty() && config.api_key_file.empty()) {
      return absl::InvalidArgumentError(
          "no API key: set EXOSPHERE_API_KEY, or --api-key-file / EXOSPHERE_API_KEY_FILE");
    }
  }
  const std::string socket = UnixSocketPath(config.listen);
  if (socket.empty()) {
    const size_t colon = config.listen.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(config.listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen must be unix:/path, /path or host:port, got \"", config.listen, "\""));
    }
  } else if (socket.size() >= 108) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen socket path is longer than 107 bytes: ", socket));
  }
  if (config.default_namespace.empty()) {
    return absl::InvalidArgumentError("--namespace must not be empty");
  }
  const struct {
    bool ok;
    const char* message;
  } checks[] = {
      {config.max_batch >= 1 && config.max_batch <= 1000, "--max-batch must be between 1 and 1000"},
      {config.poll_interval >= absl::Milliseconds(10), "--poll-interval-ms must be at least 10"},
      {config.busy_poll_interval >= absl::Milliseconds(10),
       "--busy-poll-interval-ms must be at least 10"},
      {config.busy_window >= absl::ZeroDuration(), "--busy-window-ms must not be negative"},
      {config.http_timeout >= absl::Milliseconds(100), "--http-timeout-ms must be at least 100"},
      {config.http_connect_timeout >= absl::Milliseconds(100),
       "--http-connect-timeout-ms must be at least 100"},
      {config.http_connections >= 1 && config.http_connections <= 256,
       "--http-connections must be between 1 and 256"},
      {config.http_client == "auto" || config.http_client == "curl",
       "--http-client must be auto or curl"},
      {config.max_message_bytes >= 1024, "--max-message-bytes must be at least 1024"},
      {config.max_streams >= 1, "--max-streams must be at least 1"},
      {config.hello_timeout >= absl::Milliseconds(100), "--hello-timeout-ms must be at least 100"},
      {config.max_report_bytes >= uint64_t{64} * 1024, "--max-report-bytes must be at least 65536"},
      {config.max_unsent_reports >= 1, "--max-unsent-reports must be at least 1"},
      {config.max_worker_losses >= 1, "--max-worker-losses must be at least 1"},
      {config.reconnect_grace >= absl::ZeroDuration(), "--reconnect-grace-ms must not be negative"},
      {config.handback_delay >= absl::Milliseconds(1), "--handback-delay-ms must be at least 1"},
      {config.drain_timeout >= absl::ZeroDuration(), "--drain-timeout-ms must not be negative"},
      {config.default_deadline >= absl::ZeroDuration(),
       "--default-deadline-ms must not be negative"},
  };
  for (const auto& check : checks) {
    absl::Status status = Require(check.ok, check.message);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::string DescribeConfig(const SidecarConfig& config) {
  return absl::StrCat(
      "state_manager=", config.dev ? "embedded devserver" : config.state_manager_uri, " api_key=",
      config.api_key_file.empty() ? (config.api_key.empty() ? "unset" : "set (env)")
                                  : absl::StrCat("file ", config.api_key_file),
      " listen=", config.listen, " namespace=", config.default_namespace,
      " poll_interval=", Millis(config.poll_interval),
      " busy_poll_interval=", Millis(config.busy_poll_interval),
      " busy_window=", Millis(config.busy_window), " max_batch=", config.max_batch,
      " http_timeout=", Millis(config.http_timeout),
      " http_connect_timeout=", Millis(config.http_connect_timeout),
      " http_connections=", config.http_connections, " http_client=", config.http_client,
      " max_message_bytes=", config.max_message_bytes, " max_streams=", config.max_streams,
      " hello_timeout=", Millis(config.hello_timeout),
      " max_report_bytes=", config.max_report_bytes,
      " worker_token=", config.worker_token.empty() ? "unset" : "set",
      " default_deadline=", Millis(config.default_deadline),
      " max_unsent_reports=", config.max_unsent_reports,
      " max_worker_losses=", config.max_worker_losses,
      " reconnect_grace=", Millis(config.reconnect_grace),
      " handback_delay=", Millis(config.handback_delay),
      " drain_timeout=", Millis(config.drain_timeout),
      " journal_dir=", config.journal_dir.empty() ? "off" : config.journal_dir,
      " health_listen=", config.health_listen.empty() ? "off" : config.health_listen,
      " ready_requires_worker=", config.ready_requires_worker ? "true" : "false",
      config.ca_file.empty() ? "" : absl::StrCat(" ca_file=", config.ca_file),
      config.client_cert_file.empty() ? ""
                                      : absl::StrCat(" client_cert=", config.client_cert_file));
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path, KeyFileKind kind) {
  const absl::string_view what = kind == KeyFileKind::kApiKey
                                     ? "API key file (--api-key-file)"
                                     : "worker token file (--worker-token-file)";
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot read the ", what, " ", path, ": ", std::strerror(error));
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::NotFoundError(message);
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  std::string key(absl::StripAsciiWhitespace(contents.str()));
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " ", path, " is empty"));
  }
  return key;
}

}  // namespace exosphere::sidecar
