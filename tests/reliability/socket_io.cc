#include "tests/reliability/socket_io.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace exosphere::reliability {
namespace {

absl::Status Errno(absl::string_view operation) {
  const int error = errno;
  const std::string message = absl::StrCat(operation, ": ", std::strerror(error));
  switch (error) {
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRINUSE:
    case ENOTCONN:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

sockaddr_in LoopbackPort(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

absl::StatusOr<ScopedFd> BindAndListen(int port) {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket");
  const int one = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return Errno("setsockopt(SO_REUSEADDR)");
  }
  const sockaddr_in address = LoopbackPort(port);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return Errno(absl::StrCat("bind 127.0.0.1:", port));
  }
  if (listen(fd.get(), SOMAXCONN) != 0) return Errno("listen");
  return fd;
}

int PollTimeoutMillis(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  // Rounded up so that a wait never ends just before its deadline and spins.
  const int64_t millis = absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(millis, 1'000'000));
}

}  // namespace

absl::StatusOr<sockaddr_in> LoopbackAddress(const std::string& host, int port) {
  if (port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid port ", port));
  }
  sockaddr_in address = LoopbackPort(port);
  if (host == "localhost") return address;
  in_addr parsed{};
  if (inet_pton(AF_INET, host.c_str(), &parsed) != 1 || (ntohl(parsed.s_addr) >> 24) != 127) {
    return absl::InvalidArgumentError(
        absl::StrCat("host '", host, "' is not an IPv4 loopback address (loopback only)"));
  }
  address.sin_addr = parsed;
  return address;
}

absl::StatusOr<ScopedFd> ListenLoopback(int port) {
  if (port != 0) return BindAndListen(port);
  // Learn a free port from the kernel, then bind it explicitly (see the header). Another process
  // may take the port in between; try again with a fresh one then.
  absl::Status last = absl::UnavailableError("no free port");
  for (int attempt = 0; attempt < 20; ++attempt) {
    ScopedFd probe(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe.valid()) return Errno("socket");
    const sockaddr_in any = LoopbackPort(0);
    if (bind(probe.get(), reinterpret_cast<const sockaddr*>(&any), sizeof(any)) != 0) {
      return Errno("bind 127.0.0.1:0");
    }
    absl::StatusOr<int> picked = LocalPort(probe.get());
    if (!picked.ok()) return picked.status();
    probe.Reset();
    absl::StatusOr<ScopedFd> bound = BindAndListen(*picked);
    if (bound.ok() || bound.status().code() != absl::StatusCode::kUnavailable) return bound;
    last = bound.status();
  }
  return last;
}

absl::StatusOr<int> LocalPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Errno("getsockname");
  }
  return static_cast<int>(ntohs(address.sin_port));
}

absl::Status StopListening(int fd) {
  sockaddr unspecified{};
  unspecified.sa_family = AF_UNSPEC;
  if (connect(fd, &unspecified, sizeof(unspecified)) != 0) return Errno("disconnect listener");
  return absl::OkStatus();
}

absl::Status Listen(int fd) {
  if (listen(fd, SOMAXCONN) != 0) return Errno("listen");
  return absl::OkStatus();
}

absl::StatusOr<ScopedFd> ConnectTcp(const sockaddr_in& address, absl::Duration timeout,
                                    int wake_fd) {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket");
  const int one = 1;
  // Requests and responses are written in one piece; Nagle would only add latency.
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const std::string target =
      absl::StrCat("connect ", inet_ntoa(address.sin_addr), ":", ntohs(address.sin_port));
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    return fd;
  }
  if (errno != EINPROGRESS) return Errno(target);
  switch (WaitFor(fd.get(), POLLOUT, wake_fd, absl::Now() + timeout)) {
    case WaitResult::kWoken:
      return absl::CancelledError(absl::StrCat(target, ": proxy stopping"));
    case WaitResult::kTimedOut:
      return absl::DeadlineExceededError(
          absl::StrCat(target, ": no connection within ", absl::FormatDuration(timeout)));
    case WaitResult::kReady:
      break;
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) return Errno(target);
  if (error != 0) {
    errno = error;
    return Errno(target);
  }
  return fd;
}

WaitResult WaitFor(int fd, short events, int wake_fd, absl::Time deadline) {
  while (true) {
    pollfd entries[2] = {{wake_fd, POLLIN, 0}, {fd, events, 0}};
    const int ready = poll(entries, fd >= 0 ? 2 : 1, PollTimeoutMillis(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return WaitResult::kWoken;  // poll itself failing leaves nothing to wait for
    }
    if (entries[0].revents != 0) return WaitResult::kWoken;
    if (fd >= 0 && entries[1].revents != 0) return WaitResult::kReady;
    if (ready == 0 && absl::Now() >= deadline) return WaitResult::kTimedOut;
  }
}

absl::Status SendAll(int fd, absl::string_view data, int wake_fd, absl::Time deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Errno("send");
    switch (WaitFor(fd, POLLOUT, wake_fd, deadline)) {
      case WaitResult::kWoken:
        return absl::CancelledError("send: proxy stopping");
      case WaitResult::kTimedOut:
        return absl::DeadlineExceededError("send: peer not reading");
      case WaitResult::kReady:
        break;
    }
  }
  return absl::OkStatus();
}

void SetResetOnClose(int fd) {
  linger option{};
  option.l_onoff = 1;
  option.l_linger = 0;
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
}

bool IdleConnectionAlive(int fd) {
  pollfd entry{fd, POLLIN, 0};
  int ready;
  do {
    ready = poll(&entry, 1, 0);
  } while (ready < 0 && errno == EINTR);
  return ready == 0;
}

}  // namespace exosphere::reliability
