#ifndef EXOSPHERE_COMMON_STOP_SIGNALS_H_
#define EXOSPHERE_COMMON_STOP_SIGNALS_H_

namespace exosphere {

// SIGINT and SIGTERM, taken synchronously: a binary calls BlockStopSignals() first thing in
// main(), before any thread starts, and later one thread calls WaitForStopSignal(). Because every
// thread inherits the blocked mask, no thread is ever interrupted by them (no handler runs at an
// arbitrary point, no EINTR) and the stop is handled in ordinary code.

// Blocks SIGINT and SIGTERM in the calling thread; threads it starts afterwards inherit the mask.
// Other signals keep their state.
void BlockStopSignals();

// Waits until SIGINT or SIGTERM is pending for the calling thread or the process, consumes it and
// returns its number. Requires BlockStopSignals() in every thread: a thread with the signals
// unblocked would take them instead, and their default action ends the process.
int WaitForStopSignal();

}  // namespace exosphere

#endif  // EXOSPHERE_COMMON_STOP_SIGNALS_H_
