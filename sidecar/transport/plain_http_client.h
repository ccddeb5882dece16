#ifndef EXOSPHERE_SIDECAR_TRANSPORT_PLAIN_HTTP_CLIENT_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_PLAIN_HTTP_CLIENT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "sidecar/transport/http1_event_loop.h"
#include "sidecar/transport/http1_request.h"
#include "sidecar/transport/http_client.h"

namespace exosphere::sidecar {

// HttpClient for `http://` URLs only: HTTP/1.1 on kept-alive TCP connections. It exists for the
// sidecar's hot path, where every state costs one report and a share of a claim: libcurl spends
// about 3 poll calls, a URL parse and a header list per request around its one send and one
// recv, which measured two thirds of the sidecar's CPU per state (bench/README.md, "Where the
// sidecar's CPU goes"). HTTPS, proxies and the rest stay with CurlHttpClient.
//
// Send (claims, registration, the graph API) runs on the calling thread over blocking sockets:
// per request on a kept-alive connection, one non-blocking peek (is the connection still open?),
// one send of the head and the body, and a blocking recv with the socket's own timeout until the
// response is complete. SendAsync (reports, secrets) goes to an Http1EventLoop: one thread and
// up to `max_connections` non-blocking connections of its own, one send and usually one recv per
// request, and no peek.
//
// Behaves as CurlHttpClient does where HttpClient leaves room: a request that went out on a
// reused connection which then closed before any byte of an answer is sent once more on a new
// connection and counts 2 sends; connections idle longer than `max_idle` are closed, not reused;
// responses may use Content-Length, chunked encoding or the end of the connection. Thread-safe.
class PlainHttpClient final : public HttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<PlainHttpClient>> Create(HttpClientOptions options);
  // Aborts the requests in flight (their sockets are shut down) and fails those still queued,
  // both with kCancelled, then joins.
  ~PlainHttpClient() override;
  PlainHttpClient(const PlainHttpClient&) = delete;
  PlainHttpClient& operator=(const PlainHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;
  void SendAsync(HttpRequest request, Callback done) override;

 private:
  struct Connection;
  struct Exchange;

  PlainHttpClient(HttpClientOptions options, std::unique_ptr<Http1EventLoop> loop);
  // An open connection to the target's origin: an idle one that is still open, else a new one.
  // `reused` tells which.
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(const HttpRequest& request,
                                                      const Http1Target& target,
                                                      absl::Time deadline, bool* reused)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::unique_ptr<Connection>> Connect(const HttpRequest& request,
                                                      const Http1Target& target,
                                                      absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // Records a socket a request is about to use.
  void MarkBusy(int fd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(std::unique_ptr<Connection> connection, bool keep) ABSL_LOCKS_EXCLUDED(mu_);
  // One request on `connection`, response into `response`.
  absl::Status RoundTrip(Connection& connection, const HttpRequest& request,
                         const std::string& wire, absl::Time deadline, HttpResponse& response,
                         Exchange& exchange);

  const HttpClientOptions options_;
  const std::chrono::nanoseconds max_idle_;
  std::atomic<bool> stopping_{false};

  absl::Mutex mu_;
  // Idle connections in the order they were released (the most recent at the back), so the ones
  // idle longer than max_idle are a prefix.
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  // Sockets of the requests in flight, shut down by the destructor to end a blocking recv.
  absl::flat_hash_set<int> busy_ ABSL_GUARDED_BY(mu_);

  // Carries SendAsync's exchanges on connections of its own; reset first thing in the
  // destructor.
  std::unique_ptr<Http1EventLoop> async_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_PLAIN_HTTP_CLIENT_H_
