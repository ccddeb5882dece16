#include "tests/reliability/upstream_pool.h"

#include "absl/time/clock.h"

#include "tests/reliability/socket_io.h"

namespace exosphere::reliability {

UpstreamPool::UpstreamPool(sockaddr_in address, absl::Duration connect_timeout,
                           absl::Duration idle_timeout, int wake_fd)
    : address_(address),
      connect_timeout_(connect_timeout),
      idle_timeout_(idle_timeout),
      wake_fd_(wake_fd) {}

absl::StatusOr<UpstreamPool::Lease> UpstreamPool::Acquire(bool fresh) {
  if (!fresh) {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    while (!idle_.empty()) {
      auto [fd, released] = std::move(idle_.back());
      idle_.pop_back();
      if (now - released < idle_timeout_ && IdleConnectionAlive(fd.get())) {
        return Lease{std::move(fd), true};
      }
    }
  }
  absl::StatusOr<ScopedFd> connected = ConnectTcp(address_, connect_timeout_, wake_fd_);
  if (!connected.ok()) return connected.status();
  return Lease{*std::move(connected), false};
}

void UpstreamPool::Release(ScopedFd fd) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() >= kMaxIdle) {
    idle_.erase(idle_.begin());  // the oldest is the most likely to expire first
  }
  idle_.emplace_back(std::move(fd), absl::Now());
}

void UpstreamPool::CloseIdle() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

size_t UpstreamPool::idle_count() const {
  absl::MutexLock lock(&mu_);
  return idle_.size();
}

}  // namespace exosphere::reliability
