#ifndef EXOSPHERE_TESTS_RELIABILITY_SOCKET_IO_H_
#define EXOSPHERE_TESTS_RELIABILITY_SOCKET_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "tests/reliability/scoped_fd.h"
#include <netinet/in.h>

// Blocking socket helpers for the fault proxy. Every wait also watches a `wake_fd` (an eventfd
// that stays readable once written) so that stopping the proxy interrupts all of them; a wait
// interrupted that way returns kCancelled. Sockets are non-blocking; these helpers poll.
namespace exosphere::reliability {

// Resolves a loopback host ("127.x.y.z" or "localhost") and port. kInvalidArgument for any other
// host: the proxy never talks to anything but this machine.
absl::StatusOr<sockaddr_in> LoopbackAddress(const std::string& host, int port);

// A TCP socket bound to 127.0.0.1:`port` (SO_REUSEADDR) and listening. With port 0 the kernel
// picks a free port, and the socket is then bound again to that port explicitly, so that
// StopListening/Listen keep the port reserved (a socket bound to port 0 gives its port up when it
// stops listening). kUnavailable when the port is taken.
absl::StatusOr<ScopedFd> ListenLoopback(int port);
// The port a socket is bound to.
absl::StatusOr<int> LocalPort(int fd);
// Stops a listening socket from listening while keeping its port: connections are refused
// (connect(AF_UNSPEC) disconnects it). Listen() makes it listen again.
absl::Status StopListening(int fd);
absl::Status Listen(int fd);

// Connects to `address`; kUnavailable when refused or unreachable, kDeadlineExceeded after
// `timeout`, kCancelled when `wake_fd` fires.
absl::StatusOr<ScopedFd> ConnectTcp(const sockaddr_in& address, absl::Duration timeout,
                                    int wake_fd);

enum class WaitResult { kReady, kTimedOut, kWoken };
// Waits until `fd` reports one of `events` (or an error or hang-up), `wake_fd` fires, or
// `deadline` passes. `fd` may be -1 to wait for the wake or the deadline only.
WaitResult WaitFor(int fd, short events, int wake_fd, absl::Time deadline);

// Writes all of `data`; kUnavailable when the peer is gone, kDeadlineExceeded, kCancelled.
absl::Status SendAll(int fd, absl::string_view data, int wake_fd, absl::Time deadline);

// Sets SO_LINGER to zero so that closing the socket sends RST instead of FIN.
void SetResetOnClose(int fd);

// Whether a connection that sat idle is still usable: no pending data and no FIN or error.
bool IdleConnectionAlive(int fd);

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_SOCKET_IO_H_
