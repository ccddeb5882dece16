#include "cli/watch_view.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace exosphere::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RunSnapshot Snapshot(std::vector<StateRow> states) {
  RunSnapshot snapshot;
  snapshot.run_id = "run-1";
  snapshot.graph_name = "words";
  for (const std::string& status : StateStatuses()) snapshot.counts[status] = 0;
  for (const StateRow& state : states) ++snapshot.counts[state.status];
  snapshot.states = std::move(states);
  return snapshot;
}

TEST(WatchViewTest, PlainPrintsOneLinePerChange) {
  std::ostringstream out;
  PlainView view(out);
  view.Update(Snapshot({{"s1", "a", "n", "QUEUED", ""}}), absl::Seconds(1));
  view.Update(Snapshot({{"s1", "a", "n", "QUEUED", ""}}), absl::Seconds(2));
  const RunSnapshot last = Snapshot({{"s1", "a", "n", "ERRORED", "bad\ninput"}});
  view.Finish(last, absl::Seconds(3), WatchOutcome::kFailed);
  EXPECT_EQ(out.str(),
            "QUEUED a (node n, state s1)\n"
            "ERRORED a (node n, state s1): bad input\n"
            "run run-1 FAILED after 3.0s: ERRORED 1\n");
}

TEST(WatchViewTest, LiveRedrawsInPlaceAndPrintsEachErrorOnce) {
  std::ostringstream out;
  LiveView view(out, 60);
  view.Update(Snapshot({{"s1", "a", "n", "SUCCESS", ""}, {"s2", "b", "n", "QUEUED", ""}}),
              absl::Seconds(1));
  const std::string first = out.str();
  EXPECT_THAT(first, HasSubstr("\x1b[?25l"));           // cursor hidden
  EXPECT_THAT(first, Not(HasSubstr("\x1b[3F")));        // nothing to erase yet
  EXPECT_THAT(first, HasSubstr("] 1/2 done  1.0s\n"));  // the progress bar
  EXPECT_THAT(first, HasSubstr("QUEUED 1  SUCCESS 1\n"));
  const RunSnapshot failed =
      Snapshot({{"s1", "a", "n", "SUCCESS", ""}, {"s2", "b", "n", "ERRORED", "boom"}});
  view.Update(failed, absl::Seconds(2));
  view.Finish(failed, absl::Seconds(3), WatchOutcome::kFailed);
  const std::string all = out.str();
  EXPECT_THAT(all, HasSubstr("\x1b[3F\x1b[JERRORED b (node n, state s2): boom\n"));
  EXPECT_EQ(all.find("boom"), all.rfind("boom"));  // once
  EXPECT_THAT(all, HasSubstr("[" + std::string(30, '#') + "] 2/2 done"));
  EXPECT_THAT(all, HasSubstr("run run-1 FAILED after 3.0s"));
  EXPECT_THAT(all, ::testing::EndsWith("\x1b[?25h"));  // cursor shown again
}

TEST(WatchViewTest, LiveShowsTheCursorAgainWhenTheWatchFails) {
  std::ostringstream out;
  {
    LiveView view(out, 60);
    view.Update(Snapshot({{"s1", "a", "n", "QUEUED", ""}}), absl::Seconds(1));
  }
  EXPECT_THAT(out.str(), ::testing::EndsWith("\x1b[?25h"));
}

TEST(WatchViewTest, LiveLinesFitTheWidth) {
  std::ostringstream out;
  LiveView view(out, 30);
  RunSnapshot snapshot = Snapshot({{"s1", "a", "n", "QUEUED", ""}});
  snapshot.run_id = std::string(80, 'r');
  view.Update(snapshot, absl::Seconds(1));
  std::string text = out.str();
  text.erase(0, std::string("\x1b[?25l").size());
  std::istringstream lines(text);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) EXPECT_LE(line.size(), 29u) << line;
  EXPECT_EQ(count, 3);
}

TEST(WatchViewTest, JsonPrintsOneDocumentAtTheEnd) {
  std::ostringstream out;
  JsonView view(out);
  const RunSnapshot snapshot = Snapshot({{"s1", "a", "n", "QUEUED", ""}});
  view.Update(snapshot, absl::Seconds(1));
  EXPECT_EQ(out.str(), "");
  view.Finish(snapshot, absl::Seconds(2), WatchOutcome::kStillRunning);
  const json::Json document = json::Json::parse(out.str());
  EXPECT_EQ(document["status"], "RUNNING");
  EXPECT_EQ(document["states"][0]["state_id"], "s1");
}

}  // namespace
}  // namespace exosphere::cli
