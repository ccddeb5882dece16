#ifndef EXOSPHERE_CLI_RUN_WATCHER_H_
#define EXOSPHERE_CLI_RUN_WATCHER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "cli/context.h"
#include "cli/exit_code.h"
#include "cli/watch_view.h"

namespace exosphere::cli {

struct WatchOptions {
  absl::Duration timeout = absl::ZeroDuration();  // zero: no limit
  absl::Duration interval = absl::Milliseconds(500);
};

// Polls the run's graph every `interval` on the calling thread (sleeping on context.clock) and
// shows each snapshot on `view` until the run finishes or `timeout` passes. Returns kOk when the
// run succeeded, kFailed when a state failed, kStillRunning at the timeout. Errors: kNotFound for
// an unknown run, and the client's errors (a failed poll ends the watch).
absl::StatusOr<ExitCode> WatchRun(Context& context, const std::string& run_id,
                                  const WatchOptions& options, WatchView& view);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_RUN_WATCHER_H_
