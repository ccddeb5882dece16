#ifndef EXOSPHERE_DEVSERVER_DEVSERVER_H_
#define EXOSPHERE_DEVSERVER_DEVSERVER_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

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
class StateService;
class Store;
class TaskRunner;

struct DevserverOptions {
  // Address to listen on; port 0 picks a free port (see Devserver::port()).
  std::string host = "127.0.0.1";
  int port = 8000;
  // The shared API key every /v0 request must send as `x-api-key`. Required (non-empty).
  std::string api_key;
  // SQLite file for persistence across restarts; empty keeps everything in memory.
  std::string db_path;
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
  // listener and starts serving. kInvalidArgument for bad options, kUnavailable when the address
  // cannot be bound or the database cannot be opened, kDataLoss for a corrupt database.
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
