#ifndef EXOSPHERE_TESTS_RELIABILITY_PROXY_TEST_PEERS_H_
#define EXOSPHERE_TESTS_RELIABILITY_PROXY_TEST_PEERS_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include "tests/reliability/scoped_fd.h"

namespace httplib {
class Server;
}  // namespace httplib

// The two ends the fault proxy's tests put around it: a small HTTP server as its upstream and a
// raw TCP client that sees exactly how a connection ends (FIN, RST, or nothing).
namespace exosphere::reliability {

// An httplib server on 127.0.0.1 that records every request and answers:
//   POST .../state/rejected/executed   400 {"detail": "State is not queued"}
//   POST .../state/{id}/executed       200 {"status": "EXECUTED"}
//   POST .../states/enqueue            200 claiming the states "claim-1" and "claim-2"
//   GET  /big                          200 with a 1000-byte JSON string
//   anything else                      200 {"method", "path", "body"} (an echo)
// Thread-safe. Owns the server and its thread.
class TestUpstream {
 public:
  struct Seen {
    std::string method;
    std::string path;
    std::string body;
    int remote_port = 0;
  };

  static absl::StatusOr<std::unique_ptr<TestUpstream>> Start();
  ~TestUpstream();
  TestUpstream(const TestUpstream&) = delete;
  TestUpstream& operator=(const TestUpstream&) = delete;

  int port() const { return port_; }
  std::vector<Seen> seen() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t seen_count() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  TestUpstream();
  void Record(Seen seen) ABSL_LOCKS_EXCLUDED(mu_);

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

// How a connection the raw client read from ended.
enum class ConnectionEnd { kFin, kReset, kTimedOut };

// A blocking TCP client on loopback. Not thread-safe.
class RawClient {
 public:
  // kUnavailable with the errno text when the connection is refused.
  static absl::StatusOr<std::unique_ptr<RawClient>> Connect(int port);

  bool Send(const std::string& data);
  // Reads until the peer closes the connection or `timeout` passes; `data` gets what arrived.
  ConnectionEnd ReadUntilClosed(absl::Duration timeout, std::string& data);
  // Reads one complete response with a Content-Length body (or until `timeout`).
  std::string ReadResponse(absl::Duration timeout);

 private:
  explicit RawClient(ScopedFd fd) : fd_(std::move(fd)) {}

  ScopedFd fd_;
  std::string pending_;
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_PROXY_TEST_PEERS_H_
