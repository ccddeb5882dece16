#ifndef EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_EVENT_LOOP_H_
#define EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_EVENT_LOOP_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "sidecar/transport/http1_request.h"
#include "sidecar/transport/http1_response_parser.h"
#include "sidecar/transport/http_client.h"

namespace exosphere::sidecar {

// PlainHttpClient's asynchronous side: one thread carries every SendAsync exchange over up to
// `max_connections` non-blocking keep-alive connections, waiting on all of them in one epoll set.
//
// Why one thread: a blocking thread per connection sleeps and wakes once per request, and the
// sidecar sends one report per state; on a busy core those eight threads also competed with the
// dispatch of tasks for the CPU (bench/README.md, "one thread for the report path"). Here an
// exchange costs one sendmsg and (usually) one recv; the wake-ups are shared by every response
// that is ready at once. An idle connection stays in the epoll set, so a server that closes it or
// writes to it unasked is seen when it happens: there is no liveness peek before each request.
//
// Semantics are those of PlainHttpClient::Send: a request that went out on a reused connection
// which then closed before any byte of an answer goes once more on a new connection and counts 2
// sends; connections idle longer than `max_idle` are closed, not reused; requests wait in order
// for a free connection, and the timeout counts from the moment a request gets one. Host names
// are resolved on the loop's thread when a connection opens (instant for an IP literal or a
// name in /etc/hosts; a DNS lookup otherwise, once per new connection). Callbacks run on the
// loop's thread. Thread-safe.
class Http1EventLoop {
 public:
  // A request ready for the wire (PlainHttpClient parsed and checked it).
  struct Job {
    HttpRequest request;
    Http1Target target;
    std::string head;
    HttpClient::Callback done;
  };

  // kInternal when the kernel refuses an epoll set or an eventfd.
  static absl::StatusOr<std::unique_ptr<Http1EventLoop>> Create(const HttpClientOptions& options);
  // Fails every request not yet answered with kCancelled, closes the connections, joins.
  ~Http1EventLoop();
  Http1EventLoop(const Http1EventLoop&) = delete;
  Http1EventLoop& operator=(const Http1EventLoop&) = delete;

  // Returns at once; `job.done` runs exactly once, on the loop's thread (on the calling thread
  // when the loop is shutting down).
  void Submit(Job job) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Exchange;
  struct Connection;

  Http1EventLoop(const HttpClientOptions& options, int epoll_fd, int wake_fd);
  void Run();
  // Moves submitted jobs to waiting_; false once the loop must stop.
  bool TakeSubmitted() ABSL_LOCKS_EXCLUDED(mu_);
  // Starts waiting exchanges, in order, on idle or new connections while there is room.
  void StartWaiting();
  // Publishes whether a new job could start now (Submit wakes the loop only then) and sleeps
  // until an event, the nearest deadline, or a wake-up.
  void Wait() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits up to `timeout_ms` (0: not at all, -1: without limit) for events and handles them.
  void Dispatch(int timeout_ms);
  void OnEvent(uint64_t id, uint32_t events);
  absl::Duration TimeoutOf(const HttpRequest& request) const;
  // Sets the exchange's deadline when it first gets a connection.
  void StartClock(Exchange& exchange) const;
  // Opens a connection for `exchange`; false (with the exchange finished) when none can be.
  bool Open(std::unique_ptr<Exchange> exchange);
  // Tries the connection's next address; false when none is left.
  bool ConnectNext(Connection& connection);
  void OnConnected(Connection& connection, uint32_t events);
  void StartExchange(Connection& connection, std::unique_ptr<Exchange> exchange, bool reused);
  void Write(Connection& connection);
  void Read(Connection& connection);
  // The exchange on `connection` ended: answers it (or sends it again), keeps or closes the
  // connection.
  void EndExchange(Connection& connection, absl::StatusOr<HttpResponse> result, bool keep);
  // The connection broke with `error` while its exchange was on the wire.
  void FailExchange(Connection& connection, absl::StatusCode code, const std::string& error);
  void ExpireDeadlines();
  void Close(uint64_t id);
  void Finish(std::unique_ptr<Exchange> exchange, absl::StatusOr<HttpResponse> result);
  void CancelEverything() ABSL_LOCKS_EXCLUDED(mu_);

  const HttpClientOptions options_;
  const std::chrono::nanoseconds max_idle_;
  const int epoll_fd_;
  const int wake_fd_;  // an eventfd: Submit writes it to end the loop's epoll_wait

  absl::Mutex mu_;
  std::vector<Job> submitted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The loop is in epoll_wait with room to start a job: only then does Submit wake it.
  bool sleeping_with_room_ ABSL_GUARDED_BY(mu_) = false;

  // Owned by the loop's thread.
  std::deque<std::unique_ptr<Exchange>> waiting_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;  // 0 is the wake-up eventfd's
  std::vector<char> buffer_;

  std::thread thread_;
};

}  // namespace exosphere::sidecar

#endif  // EXOSPHERE_SIDECAR_TRANSPORT_HTTP1_EVENT_LOOP_H_
