// exosphere-sidecar: runs workers of any language against the ExosphereHost state manager.
// Parses flags (with environment fallbacks), starts the Sidecar and waits for SIGINT/SIGTERM.

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

#include "common/flags.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "sidecar/config.h"
#include "sidecar/dev_mode.h"
#include "sidecar/sidecar.h"
#include "sidecar/transport/curl_http_client.h"

ABSL_FLAG(std::string, state_manager_uri, "",
          "Base URL of the state manager, e.g. http://state-manager:8000. "
          "Env: EXOSPHERE_STATE_MANAGER_URI.");
ABSL_FLAG(std::string, api_key_file, "",
          "File holding the API key (e.g. a mounted Kubernetes secret); re-read when it changes. "
          "Env: EXOSPHERE_API_KEY_FILE. Without it the key comes from EXOSPHERE_API_KEY.");
ABSL_FLAG(std::string, ca_file, "", "CA bundle for https state managers (default: system CAs).");
ABSL_FLAG(std::string, client_cert_file, "", "Client certificate (PEM) for mutual TLS.");
ABSL_FLAG(std::string, client_key_file, "", "Client private key (PEM) for mutual TLS.");
ABSL_FLAG(int64_t, http_timeout_ms, 10'000,
          "Timeout of one state-manager request. Env: EXOSPHERE_HTTP_TIMEOUT_MS.");
ABSL_FLAG(int64_t, http_connect_timeout_ms, 3'000,
          "Timeout of connecting to the state manager. Env: EXOSPHERE_HTTP_CONNECT_TIMEOUT_MS.");
ABSL_FLAG(int32_t, http_connections, 8,
          "Concurrent report and secrets requests to the state manager, each on its own "
          "keep-alive connection. Env: EXOSPHERE_HTTP_CONNECTIONS.");
ABSL_FLAG(std::string, http_client, "auto",
          "HTTP client for the state manager: auto (the sidecar's own keep-alive HTTP/1.1 client "
          "for http://, libcurl for https://) or curl (libcurl for both, e.g. to honour "
          "http_proxy). Env: EXOSPHERE_HTTP_CLIENT.");
ABSL_FLAG(std::string, listen, "unix:/tmp/exosphere-sidecar.sock",
          "Where workers connect: unix:/path, /path, or host:port (port 0 picks a free port). "
          "Env: EXOSPHERE_SIDECAR_LISTEN.");
ABSL_FLAG(std::string, default_namespace, "default",
          "Namespace of workers whose Hello names none, and of Graphs calls without one. "
          "Env: EXOSPHERE_NAMESPACE.");
ABSL_FLAG(uint32_t, max_message_bytes, 4 << 20, "Largest message accepted from a worker.");
ABSL_FLAG(int32_t, max_streams, 1000, "Most worker streams served at once.");
ABSL_FLAG(int64_t, hello_timeout_ms, 10'000,
          "A worker stream that sends no Hello within this time is ended with DEADLINE_EXCEEDED "
          "(it would hold one of --max-streams).");
ABSL_FLAG(std::string, worker_token_file, "",
          "File holding a token workers must send as x-exosphere-worker-token metadata. "
          "Env: EXOSPHERE_WORKER_TOKEN_FILE.");
ABSL_FLAG(int64_t, default_deadline_ms, 0,
          "Execution deadline of nodes that declare none (0: none).");
ABSL_FLAG(int64_t, poll_interval_ms, 1'000,
          "Longest wait between polls while there is nothing to claim. "
          "Env: EXOSPHERE_POLL_INTERVAL_MS.");
ABSL_FLAG(int64_t, busy_window_ms, 30'000,
          "After a state was claimed or a run triggered or reported here, poll at most every "
          "--busy-poll-interval-ms for this long before backing off to --poll-interval-ms "
          "(0: back off at once). Env: EXOSPHERE_BUSY_WINDOW_MS.");
ABSL_FLAG(int64_t, busy_poll_interval_ms, 100,
          "Longest wait between polls inside the busy window (capped at --poll-interval-ms). "
          "Env: EXOSPHERE_BUSY_POLL_INTERVAL_MS.");
ABSL_FLAG(int32_t, max_batch, 16, "Most states claimed by one poll. Env: EXOSPHERE_MAX_BATCH.");
ABSL_FLAG(uint64_t, max_unsent_reports, 64,
          "Reports first: claim nothing while this many reports are not yet accepted by the "
          "state manager; claiming resumes as soon as they drain below it. Keep it at several "
          "times --http-connections.");
ABSL_FLAG(uint64_t, max_report_bytes, 8 << 20,
          "Largest report body sent to the state manager (set it to the server's body limit); a "
          "larger result is refused with ResultRejected INVALID_RESULT and reported errored.");
ABSL_FLAG(int32_t, max_worker_losses, 3,
          "A task in flight on this many workers that were lost is reported errored.");
ABSL_FLAG(int64_t, reconnect_grace_ms, 10'000,
          "How long a task whose worker was lost waits for another worker before it is handed "
          "back to the state manager.");
ABSL_FLAG(int64_t, handback_delay_ms, 1'000,
          "The re-enqueue-after delay used when handing a state back.");
ABSL_FLAG(int64_t, drain_timeout_ms, 30'000,
          "On SIGTERM/SIGINT: how long tasks in flight may take to finish before they are "
          "handed back. Env: EXOSPHERE_DRAIN_TIMEOUT_MS.");
ABSL_FLAG(std::string, journal_dir, "",
          "Directory for the crash-recovery journal (e.g. a Kubernetes emptyDir): claimed states "
          "and undelivered reports survive a kill -9 and are finished on the next start. Empty: "
          "off. Env: EXOSPHERE_JOURNAL_DIR.");
ABSL_FLAG(std::string, health_listen, "",
          "host:port serving GET /livez, /readyz and /metrics (port 0 picks a free one; empty: "
          "off). Env: EXOSPHERE_HEALTH_LISTEN.");
ABSL_FLAG(bool, ready_requires_worker, true,
          "/readyz also requires at least one connected, registered worker.");
ABSL_FLAG(std::string, probe, "",
          "Probe mode for container health checks: GET this URL (e.g. "
          "http://127.0.0.1:9090/livez), exit 0 on HTTP 200 and 1 otherwise.");
ABSL_FLAG(bool, dev, false,
          "Run an embedded devserver (a local state manager) and use it; no URI or key needed.");
ABSL_FLAG(std::string, dev_listen, "127.0.0.1:0", "Address of the embedded devserver (--dev).");
ABSL_FLAG(std::string, dev_db, "",
          "SQLite file of the embedded devserver (--dev); in memory if empty.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error. Env: EXOSPHERE_LOG_LEVEL.");
ABSL_FLAG(std::string, log_format, "text", "text or json. Env: EXOSPHERE_LOG_FORMAT.");
ABSL_FLAG(int64_t, malloc_trim_interval_ms, 10'000,
          "How often freed heap memory is given back to the system (malloc_trim); 0: never.");

namespace exosphere::sidecar {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "exosphere-sidecar: %s\n", std::string(status.message()).c_str());
  return 2;
}

absl::Duration Millis(int64_t millis) { return absl::Milliseconds(millis); }

// --probe: one GET, for a container HEALTHCHECK without curl in the image.
int Probe(const std::string& url) {
  CurlHttpClientOptions options;
  options.connect_timeout = absl::Seconds(2);
  options.request_timeout = absl::Seconds(3);
  absl::StatusOr<std::unique_ptr<CurlHttpClient>> client = CurlHttpClient::Create(options);
  if (!client.ok()) return Fail(client.status()) == 0 ? 0 : 1;
  absl::StatusOr<HttpResponse> response = (*client)->Send({"GET", url, {}, ""});
  if (!response.ok()) {
    std::fprintf(stderr, "probe: %s\n", std::string(response.status().message()).c_str());
    return 1;
  }
  std::printf("%d %s\n", response->status, response->body.c_str());
  return response->status == 200 ? 0 : 1;
}

// glibc keeps freed memory for reuse: blocks above a threshold it raises to the largest block
// freed so far (up to 32 MiB) stay in per-thread arenas, and free memory between live blocks is
// never given back. After a few large bodies or a burst of worker streams that kept the RSS at
// 48-100 MB instead of 26 MB (RELIABILITY.md, "Limits"). Fixing the thresholds at glibc's
// initial 128 KiB maps large blocks and unmaps them when freed; unless GLIBC_TUNABLES sets them.
void ConfigureAllocator() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 128 << 10);
  mallopt(M_TRIM_THRESHOLD, 128 << 10);
}

// Gives free heap pages back to the system every `interval` (malloc_trim(0) also releases the
// free pages between live blocks, which glibc otherwise keeps), until destroyed.
class PeriodicMallocTrim {
 public:
  explicit PeriodicMallocTrim(absl::Duration interval) {
    if (interval <= absl::ZeroDuration()) return;
    thread_ = std::thread([this, interval] {
      while (!stop_.WaitForNotificationWithTimeout(interval)) malloc_trim(0);
    });
  }
  ~PeriodicMallocTrim() {
    stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  PeriodicMallocTrim(const PeriodicMallocTrim&) = delete;
  PeriodicMallocTrim& operator=(const PeriodicMallocTrim&) = delete;

 private:
  absl::Notification stop_;
  std::thread thread_;
};

int Run(int argc, char** argv) {
  // Signals are taken synchronously by WaitForStopSignal below; block them before any thread
  // starts so that every thread inherits the mask.
  BlockStopSignals();

  // abseil's lock-order graph costs a few percent of CPU on every lock; the tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ConfigureFlagsUsage(absl::StrCat("exosphere-sidecar ", EXOSPHERE_VERSION));
  absl::SetProgramUsageMessage(
      "Runs workers of any language against the ExosphereHost state manager.\n"
      "Workers connect over gRPC (NodeHost, Graphs; see proto/exosphere/sidecar/v1).\n"
      "Usage: exosphere-sidecar --state-manager-uri=URL [flags]   (API key in EXOSPHERE_API_KEY)\n"
      "       exosphere-sidecar --dev                             (embedded devserver)\n"
      "Flags may be spelled with dashes or underscores: --poll-interval-ms, --poll_interval_ms.");
  std::vector<std::string> arguments;
  std::vector<char*> normalized = NormalizeFlagNames(argc, argv, arguments);
  absl::ParseCommandLine(static_cast<int>(normalized.size()) - 1, normalized.data());
  if (const std::string url = absl::GetFlag(FLAGS_probe); !url.empty()) return Probe(url);
  const absl::Status env =
      ApplyEnvironmentFallbacks({{"state_manager_uri", "EXOSPHERE_STATE_MANAGER_URI"},
                                 {"api_key_file", "EXOSPHERE_API_KEY_FILE"},
                                 {"http_timeout_ms", "EXOSPHERE_HTTP_TIMEOUT_MS"},
                                 {"http_connect_timeout_ms", "EXOSPHERE_HTTP_CONNECT_TIMEOUT_MS"},
                                 {"http_connections", "EXOSPHERE_HTTP_CONNECTIONS"},
                                 {"http_client", "EXOSPHERE_HTTP_CLIENT"},
                                 {"listen", "EXOSPHERE_SIDECAR_LISTEN"},
                                 {"default_namespace", "EXOSPHERE_NAMESPACE"},
                                 {"worker_token_file", "EXOSPHERE_WORKER_TOKEN_FILE"},
                                 {"poll_interval_ms", "EXOSPHERE_POLL_INTERVAL_MS"},
                                 {"busy_window_ms", "EXOSPHERE_BUSY_WINDOW_MS"},
                                 {"busy_poll_interval_ms", "EXOSPHERE_BUSY_POLL_INTERVAL_MS"},
                                 {"max_batch", "EXOSPHERE_MAX_BATCH"},
                                 {"drain_timeout_ms", "EXOSPHERE_DRAIN_TIMEOUT_MS"},
                                 {"journal_dir", "EXOSPHERE_JOURNAL_DIR"},
                                 {"health_listen", "EXOSPHERE_HEALTH_LISTEN"},
                                 {"log_level", "EXOSPHERE_LOG_LEVEL"},
                                 {"log_format", "EXOSPHERE_LOG_FORMAT"}},
                                GetEnv, normalized);
  if (!env.ok()) return Fail(env);
  absl::StatusOr<log::Level> level = log::ParseLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) return Fail(level.status());
  absl::StatusOr<log::Format> format = log::ParseFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) return Fail(format.status());
  log::SetLevel(*level);
  log::SetFormat(*format);

  SidecarConfig config;
  config.state_manager_uri = absl::GetFlag(FLAGS_state_manager_uri);
  config.api_key = GetEnv("EXOSPHERE_API_KEY").value_or("");
  config.api_key_file = absl::GetFlag(FLAGS_api_key_file);
  config.ca_file = absl::GetFlag(FLAGS_ca_file);
  config.client_cert_file = absl::GetFlag(FLAGS_client_cert_file);
  config.client_key_file = absl::GetFlag(FLAGS_client_key_file);
  config.http_timeout = Millis(absl::GetFlag(FLAGS_http_timeout_ms));
  config.http_connect_timeout = Millis(absl::GetFlag(FLAGS_http_connect_timeout_ms));
  config.http_connections = absl::GetFlag(FLAGS_http_connections);
  config.http_client = absl::GetFlag(FLAGS_http_client);
  config.listen = absl::GetFlag(FLAGS_listen);
  config.default_namespace = absl::GetFlag(FLAGS_default_namespace);
  config.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  config.max_streams = absl::GetFlag(FLAGS_max_streams);
  config.hello_timeout = Millis(absl::GetFlag(FLAGS_hello_timeout_ms));
  config.default_deadline = Millis(absl::GetFlag(FLAGS_default_deadline_ms));
  config.poll_interval = Millis(absl::GetFlag(FLAGS_poll_interval_ms));
  config.busy_window = Millis(absl::GetFlag(FLAGS_busy_window_ms));
  config.busy_poll_interval = Millis(absl::GetFlag(FLAGS_busy_poll_interval_ms));
  config.max_batch = absl::GetFlag(FLAGS_max_batch);
  config.max_unsent_reports = absl::GetFlag(FLAGS_max_unsent_reports);
  config.max_report_bytes = absl::GetFlag(FLAGS_max_report_bytes);
  config.max_worker_losses = absl::GetFlag(FLAGS_max_worker_losses);
  config.reconnect_grace = Millis(absl::GetFlag(FLAGS_reconnect_grace_ms));
  config.handback_delay = Millis(absl::GetFlag(FLAGS_handback_delay_ms));
  config.drain_timeout = Millis(absl::GetFlag(FLAGS_drain_timeout_ms));
  config.journal_dir = absl::GetFlag(FLAGS_journal_dir);
  config.health_listen = absl::GetFlag(FLAGS_health_listen);
  config.ready_requires_worker = absl::GetFlag(FLAGS_ready_requires_worker);
  config.dev = absl::GetFlag(FLAGS_dev);
  config.dev_listen = absl::GetFlag(FLAGS_dev_listen);
  config.dev_db = absl::GetFlag(FLAGS_dev_db);
  if (const std::string token_file = absl::GetFlag(FLAGS_worker_token_file); !token_file.empty()) {
    absl::StatusOr<std::string> token = ReadKeyFile(token_file, KeyFileKind::kWorkerToken);
    if (!token.ok()) return Fail(token.status());
    config.worker_token = *token;
  }

  ConfigureAllocator();
  const PeriodicMallocTrim trim(Millis(absl::GetFlag(FLAGS_malloc_trim_interval_ms)));

  std::unique_ptr<DevMode> dev;
  if (config.dev) {
    absl::StatusOr<std::unique_ptr<DevMode>> started = DevMode::Start(config);
    if (!started.ok()) return Fail(started.status());
    dev = *std::move(started);
    dev->Configure(config);
  }
  absl::StatusOr<std::unique_ptr<Sidecar>> sidecar = Sidecar::Start(config);
  if (!sidecar.ok()) return Fail(sidecar.status());
  std::printf("listening on %s\n", (*sidecar)->address().c_str());
  if (!(*sidecar)->health_address().empty()) {
    std::printf("health on http://%s\n", (*sidecar)->health_address().c_str());
  }
  if (dev != nullptr) std::printf("devserver on %s\n", dev->base_url().c_str());
  std::fflush(stdout);

  const int signal_number = WaitForStopSignal();
  EXO_LOG(kInfo, "signal_received", "draining; a second signal stops at once",
          {{"signal", absl::StrCat(signal_number)}});
  std::thread second_signal([&] {
    const int again = WaitForStopSignal();
    EXO_LOG(kWarning, "signal_received", "stopping at once", {{"signal", absl::StrCat(again)}});
    (*sidecar)->HandBackNow(absl::Seconds(2));
    std::_Exit(0);
  });
  second_signal.detach();
  (*sidecar)->Shutdown();
  sidecar->reset();
  dev.reset();
  return 0;
}

}  // namespace
}  // namespace exosphere::sidecar

int main(int argc, char** argv) { return exosphere::sidecar::Run(argc, argv); }
