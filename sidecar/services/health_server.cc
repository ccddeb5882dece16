#include "sidecar/services/health_server.h"

#include <httplib.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include <sys/socket.h>

namespace exosphere::sidecar {
namespace {

constexpr int kThreads = 4;

void Answer(const ProbeResult& result, httplib::Response& response) {
  response.status = result.ok ? 200 : 503;
  response.set_content(result.body, "application/json");
}

}  // namespace

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen,
                                                                  const HealthHandlers& handlers) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--health-listen must be host:port, got \"", listen, "\""));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server->set_keep_alive_timeout(5);
  // cpp-httplib also sets SO_REUSEPORT by default, which would let a second sidecar bind the same
  // port and receive half of this one's probes; only SO_REUSEADDR (for quick restarts) is kept.
  server->set_socket_options([](socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server->Get("/livez",
              [live = handlers.live](const httplib::Request&, httplib::Response& response) {
                Answer(live(), response);
              });
  server->Get("/readyz",
              [ready = handlers.ready](const httplib::Request&, httplib::Response& response) {
                Answer(ready(), response);
              });
  server->Get("/metrics",
              [metrics = handlers.metrics](const httplib::Request&, httplib::Response& response) {
                response.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
              });
  const int bound =
      port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, " for the health endpoints (in use?)"));
  }
  auto health = std::unique_ptr<HealthServer>(
      new HealthServer(std::move(server), absl::StrCat(listen.substr(0, colon), ":", bound)));
  return health;
}

HealthServer::HealthServer(std::unique_ptr<httplib::Server> server, std::string address)
    : server_(std::move(server)), address_(std::move(address)) {
  // The socket listens from bind on; requests queue until the accept loop runs.
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    loop_ended_ = true;
  });
}

HealthServer::~HealthServer() {
  // stop() before the accept loop started would be a no-op and the loop would then run forever;
  // wait for it to run first.
  while (!server_->is_running() && !loop_ended_) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

}  // namespace exosphere::sidecar
