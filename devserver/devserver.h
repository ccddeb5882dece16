#ifndef EXOSPHERE_DEVSERVER_DEVSERVER_H_
#define EXOSPHERE_DEVSERVER_DEVSERVER_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "common/clock.h"

namespace exosphere::devserver {

class Api;
class CronScheduler;
class GraphService;
class HttpServer;
class InspectionService;
class NextStateCreator;
class RequestDispatcher;
class Router;
class RunService;
class SecretCipher;
class StateService;
class Store;
class TaskRunner;

// The state manager's default CORS origins (used when CORS_ORIGINS is unset): the dashboard's
// development ports 3000 and 3001 on localhost and 127.0.0.1.
std::vector<std::string> DefaultCorsOrigins();
// CORS_ORIGINS syntax: comma-separated, blanks trimmed, empty items dropped.
std::vector<std::string> ParseCorsOrigins(const std::string& comma_separated);
// Where a devserver with the database `db_path` and no configured key keeps its generated
// secrets key: `db_path` + ".secrets-key" (mode 0600). Keep it with the database.
std::string SecretsKeyPath(const std::string& db_path);

struct DevserverOptions {
  // Address to listen on; port 0 picks a free port (see Devserver::port()).
  std::string host = "127.0.0.1";
  int port = 8000;
  // The shared API key every /v0 request must send as `x-api-key`. Required (non-empty).
  std::string api_key;
  // SQLite file for persistence across restarts; empty keeps everything in memory.
  std::string db_path;
  // Key of the graph secrets' AES-256-GCM encryption, in the state manager's
  // SECRETS_ENCRYPTION_KEY format (32 bytes, URL-safe base64, 44 characters). Empty: with
  // `db_path`, the key in SecretsKeyPath(db_path), created on first use; in memory, a new random
  // key for this process.
  std::string secrets_encryption_key;
  // Origins a browser may call from (CORS, the server's CORS_ORIGINS); "*" allows any.
  std::vector<std::string> cors_origins = DefaultCorsOrigins();
  // Delay before a graph upsert's asynchronous verification runs (graphs stay PENDING meanwhile).
  absl::Duration verify_delay = absl::ZeroDuration();
  // Source of time for timestamps, enqueue_after, delays and cron; nullptr means
  // RealClock::Get(). Not owned; must outlive the Devserver.
  Clock* clock = nullptr;
  // HTTP worker threads. Each keep-alive connection holds one while it is open.
  int http_threads = 64;
  // Largest accepted request body; larger ones get 413.
  size_t max_body_bytes = 8 * 1024 * 1024;
  // How often due cron triggers are fired (aligned to multiples of the interval).
  absl::Duration cron_check_interval = absl::Minutes(1);
  // Idle keep-alive connections are closed after this long (uvicorn's default is 5 s).
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // Threads for background work (verification, next-state creation).
  int background_threads = 2;
};

// A self-contained implementation of the ExosphereHost state manager's v0 REST API
// (docs/state-manager-v0.md), serving HTTP on its own threads. Embeddable: the sidecar's --dev
// mode starts one in-process. Thread-safe; owns every thread it starts and stops them in
// Shutdown().
class Devserver {
 public:
  // Opens the database (if any), resumes background work left by a previous run, binds the
  // listener and starts serving. kInvalidArgument for bad options (a malformed secrets key
  // included), kUnavailable when the address cannot be bound or the database or the secrets key
  // file cannot be opened, kDataLoss for a corrupt database. Stored secrets that do not decrypt
  // under the key (another key, or a devserver that obfuscated instead of encrypting) are logged
  // as `undecryptable_secrets`; the secrets endpoint answers 500 for their graphs until they are
  // upserted again.
  static absl::StatusOr<std::unique_ptr<Devserver>> Start(const DevserverOptions& options);
  // Calls Shutdown().
  ~Devserver();
  Devserver(const Devserver&) = delete;
  Devserver& operator=(const Devserver&) = delete;

  // The bound port (the real one when options.port was 0).
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  // "http://HOST:PORT" (IPv6 hosts in brackets).
  std::string base_url() const;

  // Stops serving: closes the listener, waits for requests in progress, closes idle keep-alive
  // connections, stops the cron thread, finishes background work that is already due and drops
  // delayed work. Every change is already persisted. Idempotent; blocks the caller.
  void Shutdown();

 private:
  Devserver() = default;

  std::string host_;
  int port_ = 0;
  std::atomic<bool> stopped_{false};

  // Declared in dependency order; destroyed in reverse.
  std::unique_ptr<SecretCipher> cipher_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<TaskRunner> tasks_;
  std::unique_ptr<GraphService> graphs_;
  std::unique_ptr<RunService> runs_;
  std::unique_ptr<NextStateCreator> next_states_;
  std::unique_ptr<StateService> states_;
  std::unique_ptr<InspectionService> inspection_;
  std::unique_ptr<CronScheduler> cron_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<RequestDispatcher> dispatcher_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_DEVSERVER_H_
