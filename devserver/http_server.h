#ifndef EXOSPHERE_DEVSERVER_HTTP_SERVER_H_
#define EXOSPHERE_DEVSERVER_HTTP_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "devserver/request_dispatcher.h"

namespace httplib {
class Server;
}

namespace exosphere::devserver {

// HTTP/1.1 transport for the devserver on cpp-httplib: a thread pool sized for many concurrent
// keep-alive clients, TCP_NODELAY, a body limit answered with 413, and every request handed to
// the RequestDispatcher. Owns the listening socket and its threads. Thread-safe.
class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: the kernel picks a free port
    int threads = 64;
    size_t max_body_bytes = 8 * 1024 * 1024;
    absl::Duration keep_alive_timeout = absl::Seconds(5);
    size_t keep_alive_max_requests = 1000000;
  };

  // Binds and starts serving on a background thread. kUnavailable when the address cannot be
  // bound. `dispatcher` must outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const Options& options,
                                                           const RequestDispatcher& dispatcher);
  // Calls Shutdown().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

  // Stops accepting, lets requests in progress finish (up to the keep-alive timeout), closes the
  // connections that are left idle in keep-alive, and joins the workers. Idempotent; blocks.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  HttpServer(const Options& options, const RequestDispatcher& dispatcher);
  void Install();
  // Request accounting: from the handler's start until httplib has written the response.
  void RequestStarted() ABSL_LOCKS_EXCLUDED(mu_);
  void ResponseWritten() ABSL_LOCKS_EXCLUDED(mu_);
  // shutdown(2) on every connection accepted on our port, so workers parked in a keep-alive wait
  // return at once instead of after the keep-alive timeout.
  void CloseAcceptedConnections() const;

  const Options options_;
  const RequestDispatcher& dispatcher_;
  std::unique_ptr<httplib::Server> server_;
  // The listening socket, recorded while binding (on the starting thread).
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread listener_;

  absl::Mutex mu_;
  int requests_in_progress_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_HTTP_SERVER_H_
