#ifndef EXOSPHERE_SIDECAR_SERVICES_HEALTH_SERVER_H_
#define EXOSPHERE_SIDECAR_SERVICES_HEALTH_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace exosphere::sidecar {

// The result of a probe: whether it passed and a short JSON document saying why.
struct ProbeResult {
  bool ok = false;
  std::string body;
};

struct HealthHandlers {
  std::function<ProbeResult()> live;
  std::function<ProbeResult()> ready;
  std::function<std::string()> metrics;  // Prometheus text format
};

// The plain-HTTP side door for orchestrators: GET /livez and /readyz (200 or 503 with a JSON
// body) and GET /metrics. Handlers run on the server's own threads. Owns its threads; stops in
// the destructor.
class HealthServer {
 public:
  // `listen` is "host:port" (port 0: a free one). kInvalidArgument for a bad address,
  // kUnavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& listen,
                                                             const HealthHandlers& handlers);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // "host:port" with the bound port.
  const std::string& address() const { return address_; }

 private:
  HealthServer(std::unique_ptr<httplib::Server> server, std::string address);

  std::unique_ptr<httplib::Server> server_;
  const std::string address_;
  std::atomic<bool> loop_ended_{false};
  std::thread thread_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_SERVICES_HEALTH_SERVER_H_
