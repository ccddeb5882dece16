#include "cli/run_watcher.h"

#include <algorithm>

#include "common/status_macros.h"

namespace exosphere::cli {

absl::StatusOr<ExitCode> WatchRun(Context& context, const std::string& run_id,
                                  const WatchOptions& options, WatchView& view) {
  const absl::Time start = context.clock.Now();
  const absl::Time deadline =
      options.timeout > absl::ZeroDuration() ? start + options.timeout : absl::InfiniteFuture();
  while (true) {
    EXO_ASSIGN_OR_RETURN(json::Json document, context.client.GetRunGraph(context.ns, run_id));
    EXO_ASSIGN_OR_RETURN(RunSnapshot snapshot, ParseRunGraph(document, run_id, context.ns));
    const absl::Time now = context.clock.Now();
    if (snapshot.Finished()) {
      const bool failed = snapshot.Failed();
      view.Finish(snapshot, now - start, failed ? WatchOutcome::kFailed : WatchOutcome::kSucceeded);
      return failed ? ExitCode::kFailed : ExitCode::kOk;
    }
    if (now >= deadline) {
      view.Finish(snapshot, now - start, WatchOutcome::kStillRunning);
      return ExitCode::kStillRunning;
    }
    view.Update(snapshot, now - start);
    context.clock.SleepUntil(std::min(now + options.interval, deadline));
  }
}

}  // namespace exosphere::cli
