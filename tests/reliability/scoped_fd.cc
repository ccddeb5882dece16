#include "tests/reliability/scoped_fd.h"

#include <unistd.h>

namespace exosphere::reliability {

ScopedFd::~ScopedFd() { Reset(); }

ScopedFd::ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

int ScopedFd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void ScopedFd::Reset(int fd) {
  // close() errors are not actionable here: the descriptor is released either way on Linux.
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

}  // namespace exosphere::reliability
