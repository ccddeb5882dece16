#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>

namespace exosphere {
namespace {

sigset_t StopSignalSet() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t signals = StopSignalSet();
  // Cannot fail: SIG_BLOCK is a valid `how` and the set is valid.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForStopSignal() {
  const sigset_t signals = StopSignalSet();
  int signal_number = 0;
  // Cannot fail with a valid set, and unlike sigtimedwait it does not return EINTR.
  sigwait(&signals, &signal_number);
  return signal_number;
}

}  // namespace exosphere
