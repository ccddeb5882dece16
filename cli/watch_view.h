#ifndef EXOSPHERE_CLI_WATCH_VIEW_H_
#define EXOSPHERE_CLI_WATCH_VIEW_H_

#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>

#include "absl/time/time.h"

#include "cli/context.h"
#include "cli/run_snapshot.h"

namespace exosphere::cli {

// How a watched run ended, from the watcher's point of view.
enum class WatchOutcome { kSucceeded, kFailed, kStillRunning };

// Shows a run being watched. Update is called with every new snapshot, Finish once at the end.
// Not thread-safe.
class WatchView {
 public:
  virtual ~WatchView() = default;
  virtual void Update(const RunSnapshot& snapshot, absl::Duration elapsed) = 0;
  virtual void Finish(const RunSnapshot& snapshot, absl::Duration elapsed,
                      WatchOutcome outcome) = 0;
};

// For a terminal: a progress bar and the per-status counts, redrawn in place with ANSI cursor
// movement, and each failed state's error (also one that will be retried) printed above them,
// once, as it happens.
class LiveView final : public WatchView {
 public:
  // `width`: the terminal's columns (lines are cut to fit, so that redrawing stays in place).
  LiveView(std::ostream& out, int width) : out_(out), width_(width > 0 ? width : 80) {}
  // Shows the cursor again when the watch ended without Finish (an error).
  ~LiveView() override;
  void Update(const RunSnapshot& snapshot, absl::Duration elapsed) override;
  void Finish(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome) override;

 private:
  void PrintNewErrors(const RunSnapshot& snapshot);
  void Redraw(const RunSnapshot& snapshot, absl::Duration elapsed);

  std::ostream& out_;
  const int width_;
  int drawn_lines_ = 0;
  bool cursor_hidden_ = false;
  std::set<std::string> errors_shown_;  // state ids
};

// For pipes and files: one line per state that appears or changes status (with the error of a
// failed one), then one line with the outcome.
class PlainView final : public WatchView {
 public:
  explicit PlainView(std::ostream& out) : out_(out) {}
  void Update(const RunSnapshot& snapshot, absl::Duration elapsed) override;
  void Finish(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome) override;

 private:
  std::ostream& out_;
  std::map<std::string, std::string> last_status_;  // state id -> status
};

// For -o json: nothing while watching, then SnapshotJson with `outcome` on one line.
class JsonView final : public WatchView {
 public:
  explicit JsonView(std::ostream& out) : out_(out) {}
  void Update(const RunSnapshot& snapshot, absl::Duration elapsed) override {}
  void Finish(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome) override;

 private:
  std::ostream& out_;
};

// The view for the terminal and format.
std::unique_ptr<WatchView> MakeWatchView(const Terminal& terminal, OutputFormat format);

// "succeeded" / "FAILED" / "still running" and the elapsed time, e.g. "run 1b2c... FAILED after
// 3.2s: SUCCESS 3  ERRORED 1".
std::string OutcomeLine(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome);

}  // namespace exosphere::cli

#endif  // EXOSPHERE_CLI_WATCH_VIEW_H_
