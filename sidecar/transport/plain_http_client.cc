#include "sidecar/transport/plain_http_client.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "common/status_macros.h"
#include "sidecar/transport/http1_response_parser.h"
#include <sys/socket.h>
#include <sys/uio.h>

namespace exosphere::sidecar {

struct PlainHttpClient::Connection {
  explicit Connection(int fd, std::string origin) : fd(fd), origin(std::move(origin)) {}
  ~Connection() { close(fd); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sets the socket's send and receive timeouts, when they differ from what is set: one
  // setsockopt pair per change, none per request when requests share their timeout.
  bool SetTimeout(absl::Duration timeout) {
    if (timeout == timeout_set) return true;
    // Zero would mean "no timeout" to the kernel.
    const timeval tv = absl::ToTimeval(std::max(timeout, absl::Milliseconds(1)));
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
      return false;
    }
    timeout_set = timeout;
    return true;
  }

  const int fd;
  const std::string origin;
  std::chrono::steady_clock::time_point idle_since;
  absl::Duration timeout_set = absl::ZeroDuration();
};

// What one round trip found out, besides its status.
struct PlainHttpClient::Exchange {
  // The connection ended before any byte of an answer: on a reused connection the server may
  // have closed it as the request went out, so the request is worth one more send.
  bool closed_before_answer = false;
  bool keep_alive = false;
};

absl::StatusOr<std::unique_ptr<PlainHttpClient>> PlainHttpClient::Create(
    HttpClientOptions options) {
  EXO_ASSIGN_OR_RETURN(std::unique_ptr<Http1EventLoop> loop, Http1EventLoop::Create(options));
  return std::unique_ptr<PlainHttpClient>(new PlainHttpClient(std::move(options), std::move(loop)));
}

PlainHttpClient::PlainHttpClient(HttpClientOptions options, std::unique_ptr<Http1EventLoop> loop)
    : options_(std::move(options)),
      max_idle_(options_.max_idle == absl::InfiniteDuration()
                    ? std::chrono::nanoseconds::max()
                    : absl::ToChronoNanoseconds(std::max(absl::ZeroDuration(), options_.max_idle))),
      async_(std::move(loop)) {}

PlainHttpClient::~PlainHttpClient() {
  stopping_ = true;
  {
    // A blocked send or recv returns at once on a socket shut down.
    absl::MutexLock lock(&mu_);
    for (int fd : busy_) shutdown(fd, SHUT_RDWR);
  }
  async_.reset();
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

void PlainHttpClient::SendAsync(HttpRequest request, Callback done) {
  if (stopping_) {
    done(Http1Error(request, absl::StatusCode::kCancelled, "the HTTP client is shutting down"));
    return;
  }
  absl::StatusOr<Http1Target> target = ParseHttp1Target(request);
  if (!target.ok()) {
    done(target.status());
    return;
  }
  absl::StatusOr<std::string> head = BuildHttp1Head(request, *target, options_.user_agent);
  if (!head.ok()) {
    done(head.status());
    return;
  }
  async_->Submit({std::move(request), *std::move(target), *std::move(head), std::move(done)});
}

absl::StatusOr<HttpResponse> PlainHttpClient::Send(const HttpRequest& request) {
  const auto cancelled = [&] {
    return Http1Error(request, absl::StatusCode::kCancelled, "the HTTP client is shutting down");
  };
  if (stopping_) return cancelled();
  EXO_ASSIGN_OR_RETURN(const Http1Target target, ParseHttp1Target(request));
  EXO_ASSIGN_OR_RETURN(const std::string head,
                       BuildHttp1Head(request, target, options_.user_agent));
  const absl::Duration timeout =
      request.timeout > absl::ZeroDuration() ? request.timeout : options_.request_timeout;
  const absl::Time deadline = absl::Now() + timeout;

  int sends = 0;
  for (bool may_reuse = true;; may_reuse = false) {
    bool reused = false;
    std::unique_ptr<Connection> connection;
    if (may_reuse) {
      EXO_ASSIGN_OR_RETURN(connection, Acquire(request, target, deadline, &reused));
    } else {
      EXO_ASSIGN_OR_RETURN(connection, Connect(request, target, deadline));
    }
    if (!connection->SetTimeout(timeout)) {
      Release(std::move(connection), /*keep=*/false);
      return Http1Error(request, absl::StatusCode::kInternal, "cannot set the socket's timeout");
    }
    ++sends;
    HttpResponse response;
    Exchange exchange;
    absl::Status status = RoundTrip(*connection, request, head, deadline, response, exchange);
    Release(std::move(connection), status.ok() && exchange.keep_alive && !stopping_);
    if (stopping_) return cancelled();
    if (status.ok()) {
      response.sends = sends;
      return response;
    }
    // As libcurl does: a reused connection the server closed as the request went out gets the
    // request once more, on a new connection. The server may have applied the first send, which
    // `sends` tells the caller.
    if (reused && exchange.closed_before_answer) continue;
    return Http1Error(request, status.code(), status.message());
  }
}

absl::StatusOr<std::unique_ptr<PlainHttpClient::Connection>> PlainHttpClient::Acquire(
    const HttpRequest& request, const Http1Target& target, absl::Time deadline, bool* reused) {
  for (;;) {
    std::unique_ptr<Connection> candidate;
    std::vector<std::unique_ptr<Connection>> expired;
    {
      absl::MutexLock lock(&mu_);
      const auto now = std::chrono::steady_clock::now();
      const auto fresh = std::find_if(idle_.begin(), idle_.end(), [&](const auto& idle) {
        return now - idle->idle_since <= max_idle_;
      });
      std::move(idle_.begin(), fresh, std::back_inserter(expired));
      idle_.erase(idle_.begin(), fresh);
      for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
        if ((*it)->origin == target.origin) {
          candidate = std::move(*it);
          idle_.erase(std::next(it).base());
          MarkBusy(candidate->fd);
          break;
        }
      }
    }
    // `expired` closes its connections here: the server may be closing them at this very
    // moment, and a request sent on one could be lost and sent again.
    if (candidate == nullptr) {
      *reused = false;
      return Connect(request, target, deadline);
    }
    // One non-blocking peek: an open, quiet connection has nothing to read. A closed one reads
    // as the end of the stream; one with bytes waiting carries something nobody asked for.
    char byte;
    const ssize_t peeked = recv(candidate->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      *reused = true;
      return candidate;
    }
    Release(std::move(candidate), /*keep=*/false);
  }
}

absl::StatusOr<std::unique_ptr<PlainHttpClient::Connection>> PlainHttpClient::Connect(
    const HttpRequest& request, const Http1Target& target, absl::Time deadline) {
  deadline = std::min(deadline, absl::Now() + options_.connect_timeout);
  EXO_ASSIGN_OR_RETURN(const std::vector<SocketAddress> addresses,
                       ResolveHttp1Target(request, target));
  std::string error = "no address";
  bool timed_out = false;
  int connected = -1;
  for (const SocketAddress& address : addresses) {
    const int fd = socket(address.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    int result = connect(fd, reinterpret_cast<const sockaddr*>(&address.address), address.length);
    if (result != 0 && errno == EINPROGRESS) {
      pollfd waiting{fd, POLLOUT, 0};
      int ready;
      do {
        const int64_t wait_ms = std::max<int64_t>(
            0,
            absl::ToInt64Milliseconds(absl::Ceil(deadline - absl::Now(), absl::Milliseconds(1))));
        ready = poll(&waiting, 1, static_cast<int>(std::min<int64_t>(wait_ms, 1 << 30)));
      } while (ready < 0 && errno == EINTR);
      int socket_error = 0;
      socklen_t length = sizeof(socket_error);
      if (ready == 0) {
        timed_out = true;
        errno = ETIMEDOUT;
      } else if (ready > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) == 0) {
        errno = socket_error;
      }
      result = ready > 0 && socket_error == 0 ? 0 : -1;
    }
    if (result != 0) {
      error = std::strerror(errno);
      close(fd);
      continue;
    }
    TuneConnectedSocket(fd);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    connected = fd;
    break;
  }
  if (connected < 0) {
    return Http1Error(
        request, timed_out ? absl::StatusCode::kDeadlineExceeded : absl::StatusCode::kUnavailable,
        absl::StrCat("cannot connect to ", target.host, ":", target.port, ": ", error));
  }
  auto connection = std::make_unique<Connection>(connected, target.origin);
  absl::MutexLock lock(&mu_);
  MarkBusy(connected);
  return connection;
}

void PlainHttpClient::MarkBusy(int fd) {
  busy_.insert(fd);
  // The destructor may have shut the busy sockets down already: this one must not block either.
  if (stopping_) shutdown(fd, SHUT_RDWR);
}

void PlainHttpClient::Release(std::unique_ptr<Connection> connection, bool keep) {
  const auto now = std::chrono::steady_clock::now();
  // Closed once out of busy_ (nobody can shut the descriptor down any more, so its number is free
  // to be reused), after the lock.
  std::unique_ptr<Connection> closing;
  absl::MutexLock lock(&mu_);
  busy_.erase(connection->fd);
  if (!keep) {
    closing = std::move(connection);
    return;
  }
  connection->idle_since = now;
  idle_.push_back(std::move(connection));
}

absl::Status PlainHttpClient::RoundTrip(Connection& connection, const HttpRequest& request,
                                        const std::string& head, absl::Time deadline,
                                        HttpResponse& response, Exchange& exchange) {
  // The head and the body leave in one system call, without copying the body.
  iovec parts[2] = {{const_cast<char*>(head.data()), head.size()},
                    {const_cast<char*>(request.body.data()), request.body.size()}};
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = request.body.empty() ? 1 : 2;
  for (;;) {
    const ssize_t wrote = sendmsg(connection.fd, &message, MSG_NOSIGNAL);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return absl::DeadlineExceededError("timed out sending the request");
      }
      exchange.closed_before_answer = true;
      return absl::UnavailableError(absl::StrCat("send failed: ", std::strerror(errno)));
    }
    auto left = static_cast<size_t>(wrote);
    while (message.msg_iovlen > 0 && left >= message.msg_iov[0].iov_len) {
      left -= message.msg_iov[0].iov_len;
      ++message.msg_iov;
      --message.msg_iovlen;
    }
    if (message.msg_iovlen == 0) break;
    message.msg_iov[0].iov_base = static_cast<char*>(message.msg_iov[0].iov_base) + left;
    message.msg_iov[0].iov_len -= left;
  }

  Http1ResponseParser parser(options_.max_response_bytes, request.method == "HEAD");
  char buffer[16 << 10];
  while (!parser.complete()) {
    const ssize_t got = recv(connection.fd, buffer, sizeof(buffer), 0);
    if (got > 0) {
      EXO_RETURN_IF_ERROR(parser.Feed(absl::string_view(buffer, static_cast<size_t>(got))));
    } else if (got == 0) {
      exchange.closed_before_answer = !parser.started();
      EXO_RETURN_IF_ERROR(parser.FinishAtEof());
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return absl::DeadlineExceededError(
          absl::StrCat("no complete answer within ", absl::FormatDuration(connection.timeout_set)));
    } else if (errno != EINTR) {
      exchange.closed_before_answer = !parser.started() && errno == ECONNRESET;
      return absl::UnavailableError(absl::StrCat("receive failed: ", std::strerror(errno)));
    }
    if (parser.complete()) break;
    // A response in several pieces: the next wait may not outlast the request's deadline. The
    // 10 ms of slack keeps a setsockopt off every piece of an ordinary reply.
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("no complete answer before the deadline");
    }
    if (left < connection.timeout_set - absl::Milliseconds(10) && !connection.SetTimeout(left)) {
      return absl::InternalError("cannot set the socket's timeout");
    }
  }
  response.status = parser.status();
  response.body = parser.TakeBody();
  exchange.keep_alive = parser.keep_alive();
  return absl::OkStatus();
}

}  // namespace exosphere::sidecar
