#include "cli/watch_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "cli/table.h"
#include "sidecar/transport/json_util.h"

namespace exosphere::cli {
namespace {

// ANSI: move to the start of the line N lines up; erase to the end of the screen; hide and
// show the cursor (so that it does not flicker over the bar).
std::string CursorUp(int lines) { return absl::StrCat("\x1b[", lines, "F"); }
constexpr char kEraseDown[] = "\x1b[J";
constexpr char kHideCursor[] = "\x1b[?25l";
constexpr char kShowCursor[] = "\x1b[?25h";

std::string Seconds(absl::Duration elapsed) {
  return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(elapsed));
}

std::string ErrorLine(const StateRow& state) {
  return absl::StrCat(state.status, " ", state.identifier, " (node ", state.node, ", state ",
                      state.id, "): ", state.error.empty() ? "(no error text)" : state.error);
}

std::string ProgressBar(int done, int total, int columns) {
  const int filled = total > 0 ? done * columns / total : 0;
  return absl::StrCat("[", std::string(filled, '#'), std::string(columns - filled, '.'), "]");
}

}  // namespace

std::string OutcomeLine(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome) {
  const char* what = outcome == WatchOutcome::kSucceeded ? "succeeded"
                     : outcome == WatchOutcome::kFailed  ? "FAILED"
                                                         : "still running";
  return absl::StrCat("run ", snapshot.run_id, " ", what, " after ", Seconds(elapsed), ": ",
                      CountsLine(snapshot));
}

void LiveView::PrintNewErrors(const RunSnapshot& snapshot) {
  for (const StateRow& state : snapshot.states) {
    // Also a failure that the retry policy answered (RETRY_CREATED): it happened.
    if (state.error.empty() && state.status != "ERRORED" && state.status != "NEXT_CREATED_ERROR") {
      continue;
    }
    if (!errors_shown_.insert(state.id).second) continue;
    out_ << OneLine(ErrorLine(state)) << "\n";
  }
}

void LiveView::Redraw(const RunSnapshot& snapshot, absl::Duration elapsed) {
  std::string erase;
  if (drawn_lines_ > 0) erase = absl::StrCat(CursorUp(drawn_lines_), kEraseDown);
  out_ << erase;
  PrintNewErrors(snapshot);
  const int bar_columns = std::clamp(width_ - 30, 10, 40);
  const std::string first =
      absl::StrCat(ProgressBar(snapshot.Done(), snapshot.Total(), bar_columns), " ",
                   snapshot.Done(), "/", snapshot.Total(), " done  ", Seconds(elapsed));
  const std::string second =
      absl::StrCat("run ", snapshot.run_id, " (graph ", snapshot.graph_name, ")");
  const std::string third = CountsLine(snapshot);
  const size_t width = static_cast<size_t>(width_ - 1);
  out_ << Truncate(OneLine(second), width) << "\n"
       << Truncate(OneLine(first), width) << "\n"
       << Truncate(OneLine(third), width) << "\n";
  drawn_lines_ = 3;
}

LiveView::~LiveView() {
  if (cursor_hidden_) out_ << kShowCursor << std::flush;
}

void LiveView::Update(const RunSnapshot& snapshot, absl::Duration elapsed) {
  if (!cursor_hidden_) {
    out_ << kHideCursor;
    cursor_hidden_ = true;
  }
  Redraw(snapshot, elapsed);
  out_.flush();
}

void LiveView::Finish(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome) {
  Redraw(snapshot, elapsed);
  out_ << OutcomeLine(snapshot, elapsed, outcome) << "\n";
  if (cursor_hidden_) out_ << kShowCursor;
  cursor_hidden_ = false;
  out_.flush();
}

void PlainView::Update(const RunSnapshot& snapshot, absl::Duration elapsed) {
  for (const StateRow& state : snapshot.states) {
    std::string& last = last_status_[state.id];
    if (last == state.status) continue;
    last = state.status;
    std::string line = absl::StrCat(state.status, " ", state.identifier, " (node ", state.node,
                                    ", state ", state.id, ")");
    if (!state.error.empty()) absl::StrAppend(&line, ": ", state.error);
    out_ << OneLine(line) << "\n";
  }
  out_.flush();
}

void PlainView::Finish(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome) {
  Update(snapshot, elapsed);
  out_ << OutcomeLine(snapshot, elapsed, outcome) << "\n";
  out_.flush();
}

void JsonView::Finish(const RunSnapshot& snapshot, absl::Duration elapsed, WatchOutcome outcome) {
  json::Json document = SnapshotJson(snapshot);
  if (outcome == WatchOutcome::kStillRunning) document["status"] = "RUNNING";
  document["elapsed_seconds"] = absl::ToDoubleSeconds(elapsed);
  out_ << json::Dump(document) << "\n";
  out_.flush();
}

std::unique_ptr<WatchView> MakeWatchView(const Terminal& terminal, OutputFormat format) {
  if (format == OutputFormat::kJson) return std::make_unique<JsonView>(terminal.out);
  if (terminal.is_terminal) return std::make_unique<LiveView>(terminal.out, terminal.width);
  return std::make_unique<PlainView>(terminal.out);
}

}  // namespace exosphere::cli
