#ifndef EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_CONTROL_H_
#define EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_CONTROL_H_

#include <memory>
#include <thread>

#include "absl/status/statusor.h"

#include "tests/reliability/fault_proxy.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace exosphere::reliability {

// The HTTP control API of a FaultProxy, on 127.0.0.1 (for the exosphere-fault-proxy binary and
// manual runs; tests call the FaultProxy directly):
//   GET    /faults                 the rules, {"rules": [...]} (see fault_proxy_json.h)
//   PUT    /faults                 replaces the rules with a rule set; 400 with the reason
//   POST   /faults                 adds one rule
//   DELETE /faults                 removes every rule
//   POST   /faults/{name}/enable   switches a rule on (404 for an unknown name)
//   POST   /faults/{name}/disable  switches a rule off
//   DELETE /faults/{name}          removes a rule
//   POST   /down, POST /up         takes the proxy down (refusing connections) or back up
//   GET    /stats[?states=1]       the counters (with ?states=1 also per state id)
//   GET    /health                 {"status": "ok", "proxy_port": N, "down": bool}
// Every answer is JSON. Thread-safe; owns its HTTP server and the thread serving it. The proxy
// must outlive it.
class FaultProxyControl {
 public:
  // Listens on 127.0.0.1:`port` (0: a free port) and returns once requests are served.
  // kUnavailable when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<FaultProxyControl>> Start(FaultProxy& proxy, int port);
  ~FaultProxyControl();
  FaultProxyControl(const FaultProxyControl&) = delete;
  FaultProxyControl& operator=(const FaultProxyControl&) = delete;

  int port() const { return port_; }

  // Stops serving and joins the server thread. Blocks; idempotent.
  void Stop();

 private:
  FaultProxyControl(FaultProxy& proxy, std::unique_ptr<httplib::Server> server);
  void RegisterRoutes();

  FaultProxy& proxy_;
  const std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_CONTROL_H_
