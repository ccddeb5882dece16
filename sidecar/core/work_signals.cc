#include "sidecar/core/work_signals.h"

namespace exosphere::sidecar {

void WorkSignals::OnCapacity(absl::string_view ns) {
  absl::ReaderMutexLock lock(&mu_);
  if (listener_ != nullptr) listener_->OnCapacity(ns);
}

void WorkSignals::OnLikelyWork(absl::string_view ns) {
  absl::ReaderMutexLock lock(&mu_);
  if (listener_ != nullptr) listener_->OnLikelyWork(ns);
}

void WorkSignals::OnReportsDrained() {
  absl::ReaderMutexLock lock(&mu_);
  if (listener_ != nullptr) listener_->OnReportsDrained();
}

void WorkSignals::Listen(Listener& listener) {
  absl::MutexLock lock(&mu_);
  listener_ = &listener;
}

void WorkSignals::Unlisten() {
  absl::MutexLock lock(&mu_);
  listener_ = nullptr;
}

}  // namespace exosphere::sidecar
