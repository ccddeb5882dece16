#include "sidecar/transport/http1_event_loop.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace exosphere::sidecar {
namespace {

constexpr uint64_t kWakeId = 0;
constexpr int kMaxEvents = 64;

std::string ShuttingDown() { return "the HTTP client is shutting down"; }

}  // namespace

// One request from its first send to its answer, across a re-send on a fresh connection.
struct Http1EventLoop::Exchange {
  explicit Exchange(Job job) : job(std::move(job)) {}

  Job job;
  // Set when the exchange first gets a connection: the timeout does not count the wait for one.
  absl::Time deadline = absl::InfiniteFuture();
  int sends = 0;
  // A reused connection closed before answering it: the next try goes on a new connection.
  bool fresh_connection_only = false;
};

struct Http1EventLoop::Connection {
  enum class State { kConnecting, kBusy, kIdle };

  Connection(uint64_t id, std::string origin) : id(id), origin(std::move(origin)) {}
  ~Connection() {
    if (fd >= 0) close(fd);  // also takes it out of the epoll set
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const uint64_t id;
  const std::string origin;
  int fd = -1;
  State state = State::kConnecting;
  std::unique_ptr<Exchange> exchange;  // while connecting or busy

  // Connecting: the addresses left to try, and what went wrong with the last one.
  std::vector<SocketAddress> addresses;
  size_t next_address = 0;
  absl::Time connect_deadline;
  std::string connect_error = "no address";

  // Busy.
  bool reused = false;         // the connection carried an exchange before this one
  size_t sent = 0;             // bytes of head and body on the wire
  bool sending = false;        // waiting for room in the socket's send buffer
  bool readable_seen = false;  // bytes came while sending (edge-triggered: no second notice)
  bool peer_closed = false;    // the server shut its side: no request after this one
  std::optional<Http1ResponseParser> parser;

  // Idle.
  std::chrono::steady_clock::time_point idle_since;
};

absl::StatusOr<std::unique_ptr<Http1EventLoop>> Http1EventLoop::Create(
    const HttpClientOptions& options) {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    return absl::InternalError(absl::StrCat("epoll_create1 failed: ", std::strerror(errno)));
  }
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = kWakeId;
  if (wake_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake) != 0) {
    const std::string error = std::strerror(errno);
    if (wake_fd >= 0) close(wake_fd);
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("cannot set up the HTTP event loop: ", error));
  }
  return std::unique_ptr<Http1EventLoop>(new Http1EventLoop(options, epoll_fd, wake_fd));
}

Http1EventLoop::Http1EventLoop(const HttpClientOptions& options, int epoll_fd, int wake_fd)
    : options_(options),
      max_idle_(options_.max_idle == absl::InfiniteDuration()
                    ? std::chrono::nanoseconds::max()
                    : absl::ToChronoNanoseconds(std::max(absl::ZeroDuration(), options_.max_idle))),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      buffer_(16 << 10) {
  thread_ = std::thread([this] { Run(); });
}

Http1EventLoop::~Http1EventLoop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(wake_fd_);
  close(epoll_fd_);
}

void Http1EventLoop::Submit(Job job) {
  bool wake = false;
  {
    absl::ReleasableMutexLock lock(&mu_);
    if (stopping_) {
      lock.Release();
      job.done(Http1Error(job.request, absl::StatusCode::kCancelled, ShuttingDown()));
      return;
    }
    submitted_.push_back(std::move(job));
    // One wake-up is enough until the loop looks again.
    wake = std::exchange(sleeping_with_room_, false);
  }
  if (wake) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
}

void Http1EventLoop::Run() {
  while (TakeSubmitted()) {
    StartWaiting();
    Wait();
    ExpireDeadlines();
  }
  CancelEverything();
}

bool Http1EventLoop::TakeSubmitted() {
  std::vector<Job> jobs;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    jobs.swap(submitted_);
  }
  if (jobs.empty()) return true;
  for (Job& job : jobs) waiting_.push_back(std::make_unique<Exchange>(std::move(job)));
  // What happened to an idle connection before these jobs came (the server closed it, say) is
  // taken in before one of them goes out on it: the job sees at least what a peek would have.
  const bool any_idle = std::any_of(
      connections_.begin(), connections_.end(),
      [](const auto& entry) { return entry.second->state == Connection::State::kIdle; });
  if (any_idle) Dispatch(/*timeout_ms=*/0);
  return true;
}

void Http1EventLoop::StartWaiting() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<uint64_t> expired;
  for (const auto& [id, connection] : connections_) {
    if (connection->state == Connection::State::kIdle && now - connection->idle_since > max_idle_) {
      expired.push_back(id);
    }
  }
  for (uint64_t id : expired) Close(id);

  while (!waiting_.empty()) {
    const Exchange& next = *waiting_.front();
    // The connection to the same origin that was idle the shortest time: the least likely to be
    // closing. Linear: there are at most max_connections.
    Connection* idle = nullptr;
    Connection* evictable = nullptr;
    for (const auto& [id, connection] : connections_) {
      if (connection->state != Connection::State::kIdle) continue;
      if (!next.fresh_connection_only && connection->origin == next.job.target.origin) {
        if (idle == nullptr || connection->idle_since > idle->idle_since) idle = connection.get();
      } else {
        evictable = connection.get();
      }
    }
    if (idle != nullptr) {
      std::unique_ptr<Exchange> exchange = std::move(waiting_.front());
      waiting_.pop_front();
      StartExchange(*idle, std::move(exchange), /*reused=*/true);
      continue;
    }
    if (static_cast<int>(connections_.size()) >= std::max(1, options_.max_connections)) {
      if (evictable == nullptr) return;  // every connection is busy: wait for one
      Close(evictable->id);
    }
    std::unique_ptr<Exchange> exchange = std::move(waiting_.front());
    waiting_.pop_front();
    Open(std::move(exchange));
  }
}

void Http1EventLoop::Wait() {
  // The nearest deadline of an exchange on the wire or of a connection being opened.
  absl::Time wake_at = absl::InfiniteFuture();
  bool room = waiting_.empty() &&
              static_cast<int>(connections_.size()) < std::max(1, options_.max_connections);
  for (const auto& [id, connection] : connections_) {
    switch (connection->state) {
      case Connection::State::kIdle:
        room = room || waiting_.empty();
        break;
      case Connection::State::kConnecting:
        wake_at = std::min(wake_at, connection->connect_deadline);
        break;
      case Connection::State::kBusy:
        wake_at = std::min(wake_at, connection->exchange->deadline);
        break;
    }
  }
  int timeout_ms = -1;
  if (wake_at != absl::InfiniteFuture()) {
    const absl::Duration left = absl::Ceil(wake_at - absl::Now(), absl::Milliseconds(1));
    timeout_ms =
        static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(left), 0, int64_t{1} << 30));
  }
  {
    // With jobs submitted meanwhile the loop does not sleep, but it still collects the events
    // that are ready: a stream of submissions cannot keep it from reading answers.
    absl::MutexLock lock(&mu_);
    if (stopping_ || !submitted_.empty()) {
      timeout_ms = 0;
    } else {
      sleeping_with_room_ = room;
    }
  }
  Dispatch(timeout_ms);
  absl::MutexLock lock(&mu_);
  sleeping_with_room_ = false;
}

void Http1EventLoop::Dispatch(int timeout_ms) {
  epoll_event events[kMaxEvents];
  const int ready = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  for (int i = 0; i < ready; ++i) {
    if (events[i].data.u64 == kWakeId) {
      uint64_t count;
      (void)!read(wake_fd_, &count, sizeof(count));
      continue;
    }
    OnEvent(events[i].data.u64, events[i].events);
  }
}

void Http1EventLoop::OnEvent(uint64_t id, uint32_t events) {
  // A connection closed earlier in this batch (its number is never reused) has nothing to do.
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  constexpr uint32_t kReadable = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
  switch (connection.state) {
    case Connection::State::kConnecting:
      OnConnected(connection, events);
      return;
    case Connection::State::kIdle:
      // The server closed it, or wrote something nobody asked for: either way it is done.
      if ((events & kReadable) != 0) Close(id);
      return;
    case Connection::State::kBusy:
      // The server ends the connection after this answer: it cannot carry the next request,
      // and no later event would say so (edge-triggered).
      if ((events & (EPOLLRDHUP | EPOLLHUP)) != 0) connection.peer_closed = true;
      if (connection.sending) {
        if ((events & kReadable) != 0) connection.readable_seen = true;
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) Write(connection);
        return;
      }
      if ((events & kReadable) != 0) Read(connection);
      return;
  }
}

absl::Duration Http1EventLoop::TimeoutOf(const HttpRequest& request) const {
  return request.timeout > absl::ZeroDuration() ? request.timeout : options_.request_timeout;
}

void Http1EventLoop::StartClock(Exchange& exchange) const {
  // Once: a re-send on a fresh connection keeps the first send's deadline.
  if (exchange.deadline == absl::InfiniteFuture()) {
    exchange.deadline = absl::Now() + TimeoutOf(exchange.job.request);
  }
}

bool Http1EventLoop::Open(std::unique_ptr<Exchange> exchange) {
  StartClock(*exchange);
  absl::StatusOr<std::vector<SocketAddress>> addresses =
      ResolveHttp1Target(exchange->job.request, exchange->job.target);
  if (!addresses.ok()) {
    Finish(std::move(exchange), addresses.status());
    return false;
  }
  const uint64_t id = next_id_++;
  auto owned = std::make_unique<Connection>(id, exchange->job.target.origin);
  Connection& connection = *owned;
  connection.addresses = *std::move(addresses);
  connection.connect_deadline =
      std::min(exchange->deadline, absl::Now() + options_.connect_timeout);
  connection.exchange = std::move(exchange);
  connections_.emplace(id, std::move(owned));
  return ConnectNext(connection);
}

bool Http1EventLoop::ConnectNext(Connection& connection) {
  while (connection.next_address < connection.addresses.size()) {
    const SocketAddress& address = connection.addresses[connection.next_address++];
    if (connection.fd >= 0) {
      close(connection.fd);
      connection.fd = -1;
    }
    const int fd = socket(address.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      connection.connect_error = std::strerror(errno);
      continue;
    }
    connection.fd = fd;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address.address), address.length) != 0 &&
        errno != EINPROGRESS) {
      connection.connect_error = std::strerror(errno);
      continue;
    }
    // Edge-triggered, registered once for the connection's life: an exchange costs no
    // epoll_ctl. Adding a socket that is already writable reports it at once, so a connect
    // that completed right away is seen like one that completes later.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.u64 = connection.id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      connection.connect_error = std::strerror(errno);
      continue;
    }
    return true;
  }
  std::unique_ptr<Exchange> exchange = std::move(connection.exchange);
  const Http1Target& target = exchange->job.target;
  absl::Status failed = Http1Error(exchange->job.request, absl::StatusCode::kUnavailable,
                                   absl::StrCat("cannot connect to ", target.host, ":", target.port,
                                                ": ", connection.connect_error));
  Close(connection.id);
  Finish(std::move(exchange), std::move(failed));
  return false;
}

void Http1EventLoop::OnConnected(Connection& connection, uint32_t events) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == 0 && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;  // not yet
  if (error != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
    connection.connect_error = std::strerror(error != 0 ? error : ECONNREFUSED);
    ConnectNext(connection);
    return;
  }
  TuneConnectedSocket(connection.fd);
  connection.addresses.clear();
  std::unique_ptr<Exchange> exchange = std::move(connection.exchange);
  StartExchange(connection, std::move(exchange), /*reused=*/false);
}

void Http1EventLoop::StartExchange(Connection& connection, std::unique_ptr<Exchange> exchange,
                                   bool reused) {
  const HttpRequest& request = exchange->job.request;
  StartClock(*exchange);
  ++exchange->sends;
  connection.state = Connection::State::kBusy;
  connection.reused = reused;
  connection.sent = 0;
  connection.sending = true;
  connection.readable_seen = false;
  connection.peer_closed = false;
  connection.parser.emplace(options_.max_response_bytes, request.method == "HEAD");
  connection.exchange = std::move(exchange);
  Write(connection);
}

void Http1EventLoop::Write(Connection& connection) {
  const std::string& head = connection.exchange->job.head;
  const std::string& body = connection.exchange->job.request.body;
  const size_t total = head.size() + body.size();
  while (connection.sent < total) {
    // The head and the body leave in one system call, without copying the body.
    iovec parts[2];
    size_t count = 0;
    if (connection.sent < head.size()) {
      parts[count++] = {const_cast<char*>(head.data()) + connection.sent,
                        head.size() - connection.sent};
      if (!body.empty()) parts[count++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      const size_t offset = connection.sent - head.size();
      parts[count++] = {const_cast<char*>(body.data()) + offset, body.size() - offset};
    }
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = count;
    const ssize_t wrote = sendmsg(connection.fd, &message, MSG_NOSIGNAL);
    if (wrote >= 0) {
      connection.sent += static_cast<size_t>(wrote);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // EPOLLOUT comes when there is room
    FailExchange(connection, absl::StatusCode::kUnavailable,
                 absl::StrCat("send failed: ", std::strerror(errno)));
    return;
  }
  connection.sending = false;
  if (std::exchange(connection.readable_seen, false)) Read(connection);
}

void Http1EventLoop::Read(Connection& connection) {
  Http1ResponseParser& parser = *connection.parser;
  const HttpRequest& request = connection.exchange->job.request;
  while (!parser.complete()) {
    const ssize_t got = recv(connection.fd, buffer_.data(), buffer_.size(), 0);
    if (got > 0) {
      if (absl::Status fed = parser.Feed(absl::string_view(buffer_.data(), got)); !fed.ok()) {
        EndExchange(connection, Http1Error(request, fed.code(), fed.message()), /*keep=*/false);
        return;
      }
      continue;
    }
    if (got == 0) {
      const bool nothing_came = !parser.started();
      if (absl::Status ended = parser.FinishAtEof(); !ended.ok()) {
        if (nothing_came) {
          FailExchange(connection, ended.code(), std::string(ended.message()));
        } else {
          EndExchange(connection, Http1Error(request, ended.code(), ended.message()),
                      /*keep=*/false);
        }
        return;
      }
      break;  // a body that ran to the end of the connection
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // the rest comes with the next event
    const std::string error = absl::StrCat("receive failed: ", std::strerror(errno));
    if (!parser.started() && errno == ECONNRESET) {
      FailExchange(connection, absl::StatusCode::kUnavailable, error);
    } else {
      EndExchange(connection, Http1Error(request, absl::StatusCode::kUnavailable, error),
                  /*keep=*/false);
    }
    return;
  }
  HttpResponse response;
  response.status = parser.status();
  response.body = parser.TakeBody();
  response.sends = connection.exchange->sends;
  const bool keep = parser.keep_alive() && !connection.peer_closed;
  EndExchange(connection, std::move(response), keep);
}

void Http1EventLoop::EndExchange(Connection& connection, absl::StatusOr<HttpResponse> result,
                                 bool keep) {
  std::unique_ptr<Exchange> exchange = std::move(connection.exchange);
  if (keep) {
    connection.state = Connection::State::kIdle;
    connection.parser.reset();
    connection.idle_since = std::chrono::steady_clock::now();
  } else {
    Close(connection.id);
  }
  Finish(std::move(exchange), std::move(result));
}

void Http1EventLoop::FailExchange(Connection& connection, absl::StatusCode code,
                                  const std::string& error) {
  std::unique_ptr<Exchange> exchange = std::move(connection.exchange);
  const bool resend = connection.reused;
  Close(connection.id);
  // As libcurl does: a reused connection the server closed as the request went out gets the
  // request once more, on a new connection, ahead of the requests that wait. The server may have
  // applied the first send, which `sends` tells the caller.
  if (resend) {
    exchange->fresh_connection_only = true;
    waiting_.push_front(std::move(exchange));
    return;
  }
  absl::Status failed = Http1Error(exchange->job.request, code, error);
  Finish(std::move(exchange), std::move(failed));
}

void Http1EventLoop::ExpireDeadlines() {
  const absl::Time now = absl::Now();
  std::vector<uint64_t> late;
  for (const auto& [id, connection] : connections_) {
    if ((connection->state == Connection::State::kConnecting &&
         connection->connect_deadline <= now) ||
        (connection->state == Connection::State::kBusy && connection->exchange->deadline <= now)) {
      late.push_back(id);
    }
  }
  for (uint64_t id : late) {
    Connection& connection = *connections_.at(id);
    std::unique_ptr<Exchange> exchange = std::move(connection.exchange);
    const HttpRequest& request = exchange->job.request;
    std::string what;
    if (connection.state == Connection::State::kConnecting) {
      what = absl::StrCat("cannot connect to ", exchange->job.target.host, ":",
                          exchange->job.target.port, ": ", std::strerror(ETIMEDOUT));
    } else if (connection.sending) {
      what = "timed out sending the request";
    } else {
      what = absl::StrCat("no complete answer within ", absl::FormatDuration(TimeoutOf(request)));
    }
    absl::Status late_status = Http1Error(request, absl::StatusCode::kDeadlineExceeded, what);
    Close(id);
    Finish(std::move(exchange), std::move(late_status));
  }
}

void Http1EventLoop::Close(uint64_t id) { connections_.erase(id); }

void Http1EventLoop::Finish(std::unique_ptr<Exchange> exchange,
                            absl::StatusOr<HttpResponse> result) {
  exchange->job.done(std::move(result));
}

void Http1EventLoop::CancelEverything() {
  std::vector<Job> jobs;
  {
    absl::MutexLock lock(&mu_);
    jobs.swap(submitted_);
  }
  for (Job& job : jobs) {
    job.done(Http1Error(job.request, absl::StatusCode::kCancelled, ShuttingDown()));
  }
  for (std::unique_ptr<Exchange>& exchange : waiting_) {
    exchange->job.done(
        Http1Error(exchange->job.request, absl::StatusCode::kCancelled, ShuttingDown()));
  }
  waiting_.clear();
  for (auto& [id, connection] : connections_) {
    if (connection->exchange == nullptr) continue;
    const HttpRequest& request = connection->exchange->job.request;
    connection->exchange->job.done(
        Http1Error(request, absl::StatusCode::kCancelled, ShuttingDown()));
  }
  connections_.clear();
}

}  // namespace exosphere::sidecar
