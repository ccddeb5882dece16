#include "sidecar/metrics/sidecar_metrics.h"

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace exosphere::sidecar {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;

// The lines of `page` that start with `prefix`, in page order.
std::vector<std::string> LinesStartingWith(const std::string& page, absl::string_view prefix) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (absl::StartsWith(line, prefix)) lines.emplace_back(line);
  }
  return lines;
}

class SidecarMetricsTest : public ::testing::Test {
 protected:
  std::string Render() const { return metrics_.Render(snapshot_); }

  SidecarMetrics metrics_;
  SidecarMetrics::Snapshot snapshot_;
};

TEST_F(SidecarMetricsTest, CountersHaveOneSeriesPerLabelSetSortedByLabels) {
  metrics_.TaskDispatched("ns", "b", std::nullopt);
  metrics_.TaskDispatched("ns", "a", std::nullopt);
  metrics_.TaskDispatched("ns", "a", std::nullopt);
  metrics_.TaskFinished("ns", "a", SidecarMetrics::Outcome::kExecuted, std::nullopt);
  metrics_.TaskFinished("ns", "a", SidecarMetrics::Outcome::kHandedBack, std::nullopt);
  metrics_.TaskFinished("ns", "a", SidecarMetrics::Outcome::kHandedBack, std::nullopt);
  metrics_.TaskFailed("ns", "a", "deadline_exceeded");

  const std::string page = Render();
  EXPECT_THAT(LinesStartingWith(page, "exosphere_sidecar_states_dispatched_total"),
              ElementsAreArray({
                  "exosphere_sidecar_states_dispatched_total{namespace=\"ns\",node=\"a\"} 2",
                  "exosphere_sidecar_states_dispatched_total{namespace=\"ns\",node=\"b\"} 1",
              }));
  EXPECT_THAT(page, HasSubstr("# HELP exosphere_sidecar_states_dispatched_total States sent to a "
                              "worker (a re-dispatch after a lost worker counts again).\n"
                              "# TYPE exosphere_sidecar_states_dispatched_total counter\n"));
  EXPECT_THAT(LinesStartingWith(page, "exosphere_sidecar_states_finished_total"),
              ElementsAreArray({
                  "exosphere_sidecar_states_finished_total{namespace=\"ns\",node=\"a\","
                  "outcome=\"executed\"} 1",
                  "exosphere_sidecar_states_finished_total{namespace=\"ns\",node=\"a\","
                  "outcome=\"handed_back\"} 2",
              }));
  EXPECT_THAT(LinesStartingWith(page, "exosphere_sidecar_task_failures_total"),
              ElementsAreArray({"exosphere_sidecar_task_failures_total{namespace=\"ns\",node="
                                "\"a\",reason=\"deadline_exceeded\"} 1"}));
}

TEST_F(SidecarMetricsTest, FinishedCountsByOutcomeWithoutAddingSeries) {
  metrics_.TaskFinished("ns", "a", SidecarMetrics::Outcome::kPruned, std::nullopt);
  EXPECT_EQ(metrics_.Finished("ns", "a", SidecarMetrics::Outcome::kPruned), 1u);
  EXPECT_EQ(metrics_.Finished("ns", "a", SidecarMetrics::Outcome::kRequeued), 0u);
  EXPECT_EQ(metrics_.Finished("ns", "b", SidecarMetrics::Outcome::kPruned), 0u);
  EXPECT_THAT(LinesStartingWith(Render(), "exosphere_sidecar_states_finished_total"),
              ElementsAreArray({"exosphere_sidecar_states_finished_total{namespace=\"ns\",node="
                                "\"a\",outcome=\"pruned\"} 1"}));
}

TEST_F(SidecarMetricsTest, HistogramsHaveTheLatencyBucketsCumulativeWithSumAndCount) {
  // 50 ms lands in the bucket whose upper bound it equals: bounds are inclusive.
  metrics_.StateManagerRequest("claim", 200, absl::Milliseconds(50));
  metrics_.StateManagerRequest("claim", 204, absl::Milliseconds(500));
  metrics_.StateManagerRequest("claim", 503, absl::Seconds(5));
  metrics_.StateManagerRequest("claim", 0, absl::Seconds(90));

  const std::string page = Render();
  EXPECT_THAT(page, HasSubstr("# TYPE exosphere_sidecar_state_manager_request_duration_seconds "
                              "histogram\n"));
  const std::string bucket =
      "exosphere_sidecar_state_manager_request_duration_seconds_bucket{endpoint=\"claim\",le=";
  EXPECT_THAT(LinesStartingWith(page, bucket),
              ElementsAreArray({
                  bucket + "\"0.0001\"} 0", bucket + "\"0.00025\"} 0", bucket + "\"0.0005\"} 0",
                  bucket + "\"0.001\"} 0",  bucket + "\"0.0025\"} 0",  bucket + "\"0.005\"} 0",
                  bucket + "\"0.01\"} 0",   bucket + "\"0.025\"} 0",   bucket + "\"0.05\"} 1",
                  bucket + "\"0.1\"} 1",    bucket + "\"0.25\"} 1",    bucket + "\"0.5\"} 2",
                  bucket + "\"1\"} 2",      bucket + "\"2.5\"} 2",     bucket + "\"5\"} 3",
                  bucket + "\"10\"} 3",     bucket + "\"30\"} 3",      bucket + "\"60\"} 3",
                  bucket + "\"+Inf\"} 4",
              }));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_state_manager_request_duration_seconds_sum{"
                              "endpoint=\"claim\"} 95.55\n"));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_state_manager_request_duration_seconds_count{"
                              "endpoint=\"claim\"} 4\n"));
  EXPECT_THAT(LinesStartingWith(page, "exosphere_sidecar_state_manager_requests_total"),
              ElementsAreArray({
                  "exosphere_sidecar_state_manager_requests_total{endpoint=\"claim\",status="
                  "\"2xx\"} 2",
                  "exosphere_sidecar_state_manager_requests_total{endpoint=\"claim\",status="
                  "\"5xx\"} 1",
                  "exosphere_sidecar_state_manager_requests_total{endpoint=\"claim\",status="
                  "\"error\"} 1",
              }));
}

TEST_F(SidecarMetricsTest, DispatchLatencyAndTaskDurationAreObservedOnlyWhenGiven) {
  metrics_.TaskDispatched("ns", "a", absl::Milliseconds(3));
  metrics_.TaskDispatched("ns", "a", std::nullopt);
  metrics_.TaskFinished("ns", "a", SidecarMetrics::Outcome::kExecuted, absl::Seconds(2));
  metrics_.TaskFinished("ns", "a", SidecarMetrics::Outcome::kErrored, std::nullopt);

  const std::string page = Render();
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_dispatch_latency_seconds_count{namespace="
                              "\"ns\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_dispatch_latency_seconds_bucket{namespace="
                              "\"ns\",le=\"0.005\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_task_duration_seconds_count{namespace=\"ns\","
                              "node=\"a\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_task_duration_seconds_sum{namespace=\"ns\","
                              "node=\"a\"} 2\n"));
}

TEST_F(SidecarMetricsTest, AHistogramSeriesAppearsOnlyWithItsFirstObservation) {
  // The series handles are cached per namespace and node; a node seen without a latency or a
  // duration must not get a histogram series of zeros.
  metrics_.TaskDispatched("quiet", "a", std::nullopt);
  metrics_.TaskFinished("quiet", "a", SidecarMetrics::Outcome::kExecuted, std::nullopt);
  std::string page = Render();
  EXPECT_THAT(page, Not(HasSubstr("exosphere_sidecar_dispatch_latency_seconds_count")));
  EXPECT_THAT(page, Not(HasSubstr("exosphere_sidecar_task_duration_seconds_count")));

  metrics_.TaskDispatched("quiet", "a", absl::Milliseconds(1));
  metrics_.TaskFinished("quiet", "a", SidecarMetrics::Outcome::kExecuted, absl::Seconds(1));
  page = Render();
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_dispatch_latency_seconds_count{namespace="
                              "\"quiet\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_task_duration_seconds_count{namespace="
                              "\"quiet\",node=\"a\"} 1\n"));
}

TEST_F(SidecarMetricsTest, EveryStatusClassKeepsItsOwnSeries) {
  for (int round = 0; round < 2; ++round) {
    for (const int status : {200, 302, 404, 503, 0, 1000}) {
      metrics_.StateManagerRequest("executed", status, absl::Milliseconds(1));
    }
  }
  const std::string series = "exosphere_sidecar_state_manager_requests_total{endpoint=\"executed\"";
  EXPECT_THAT(LinesStartingWith(Render(), series),
              ElementsAreArray({
                  series + ",status=\"2xx\"} 2",
                  series + ",status=\"3xx\"} 2",
                  series + ",status=\"4xx\"} 2",
                  series + ",status=\"5xx\"} 2",
                  // No response, or a status no HTTP server sends.
                  series + ",status=\"error\"} 4",
              }));
}

TEST_F(SidecarMetricsTest, CountsFromManyThreadsAddUp) {
  constexpr int kThreads = 4;
  constexpr int kEventsPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kEventsPerThread; ++i) {
        const std::string ns = i % 2 == 0 ? "even" : "odd";
        const std::string node = t % 2 == 0 ? "a" : "b";
        metrics_.TaskDispatched(ns, node, absl::Microseconds(i));
        metrics_.TaskFinished(ns, node, static_cast<SidecarMetrics::Outcome>(i % kTaskOutcomeCount),
                              absl::Microseconds(i));
        metrics_.StateManagerRequest(i % 3 == 0 ? "claim" : "executed", 200, absl::Microseconds(i));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  // Each (namespace, node) pair gets half of two threads' events, spread evenly over the outcomes.
  const int per_pair = kThreads / 2 * kEventsPerThread / 2;
  const std::string page = Render();
  for (const char* ns : {"even", "odd"}) {
    for (const char* node : {"a", "b"}) {
      EXPECT_THAT(page, HasSubstr(absl::StrCat("\nexosphere_sidecar_states_dispatched_total{",
                                               "namespace=\"", ns, "\",node=\"", node, "\"} ",
                                               per_pair, "\n")));
      int finished = 0;
      for (int outcome = 0; outcome < kTaskOutcomeCount; ++outcome) {
        finished += static_cast<int>(
            metrics_.Finished(ns, node, static_cast<SidecarMetrics::Outcome>(outcome)));
      }
      EXPECT_EQ(finished, per_pair) << ns << "/" << node;
    }
    EXPECT_THAT(page, HasSubstr(absl::StrCat(
                          "\nexosphere_sidecar_dispatch_latency_seconds_count{namespace=\"", ns,
                          "\"} ", kThreads * kEventsPerThread / 2, "\n")));
  }
  int claims = 0;
  for (int i = 0; i < kEventsPerThread; ++i) claims += i % 3 == 0 ? kThreads : 0;
  EXPECT_THAT(page, HasSubstr(absl::StrCat(
                        "\nexosphere_sidecar_state_manager_requests_total{endpoint=\"claim\",",
                        "status=\"2xx\"} ", claims, "\n")));
  EXPECT_THAT(page, HasSubstr(absl::StrCat(
                        "\nexosphere_sidecar_state_manager_requests_total{endpoint=\"executed\",",
                        "status=\"2xx\"} ", kThreads * kEventsPerThread - claims, "\n")));
}

TEST_F(SidecarMetricsTest, LabelValuesAreEscaped) {
  metrics_.TaskDispatched("ns", "a\"b\\c\nd", std::nullopt);
  EXPECT_THAT(LinesStartingWith(Render(), "exosphere_sidecar_states_dispatched_total"),
              ElementsAreArray({"exosphere_sidecar_states_dispatched_total{namespace=\"ns\","
                                "node=\"a\\\"b\\\\c\\nd\"} 1"}));
}

TEST_F(SidecarMetricsTest, GaugesAndComponentCountersComeFromTheSnapshot) {
  snapshot_.worker_streams = 3;
  snapshot_.draining = true;
  snapshot_.router.tasks_in_flight = 7;
  snapshot_.router.orphaned_tasks = 2;
  snapshot_.router.by_namespace["ns"] = {.workers = 2, .slots = 8, .busy_slots = 5};
  // Busy can briefly exceed the slots of a worker that just left; free slots never go negative.
  snapshot_.router.by_namespace["other"] = {.workers = 1, .slots = 1, .busy_slots = 2};
  snapshot_.pollers["ns"] = {.polls = 9,
                             .full = 4,
                             .partial = 3,
                             .empty = 1,
                             .errors = 1,
                             .claimed = 40,
                             .backpressure_waits = 6};
  snapshot_.reporter.unsent = 11;
  snapshot_.reporter.delivered = 30;
  snapshot_.reporter.already_applied = 2;
  snapshot_.reporter.rejected = 1;
  snapshot_.reporter.resent = 5;
  snapshot_.reporter.retries = 12;
  snapshot_.reporter.reported_errored_after_refusal = 4;
  snapshot_.reporter.error_truncated_after_refusal = 1;
  snapshot_.reporter.handed_back_after_refusal = 2;
  snapshot_.journal = JournalStats{.live_entries = 13, .write_errors = 1};

  const std::string page = Render();
  std::vector<std::string> samples;
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!line.empty() && line.front() != '#') samples.emplace_back(line);
  }
  const std::vector<std::string> expected = {
      absl::StrCat("exosphere_sidecar_build_info{version=\"", EXOSPHERE_VERSION, "\"} 1"),
      "exosphere_sidecar_worker_streams 3",
      "exosphere_sidecar_draining 1",
      "exosphere_sidecar_tasks_in_flight 7",
      "exosphere_sidecar_orphaned_tasks 2",
      "exosphere_sidecar_workers{namespace=\"ns\"} 2",
      "exosphere_sidecar_slots{namespace=\"ns\"} 8",
      "exosphere_sidecar_busy_slots{namespace=\"ns\"} 5",
      "exosphere_sidecar_free_slots{namespace=\"ns\"} 3",
      "exosphere_sidecar_free_slots{namespace=\"other\"} 0",
      "exosphere_sidecar_states_claimed_total{namespace=\"ns\"} 40",
      "exosphere_sidecar_polls_total{namespace=\"ns\",outcome=\"full\"} 4",
      "exosphere_sidecar_polls_total{namespace=\"ns\",outcome=\"partial\"} 3",
      "exosphere_sidecar_polls_total{namespace=\"ns\",outcome=\"empty\"} 1",
      "exosphere_sidecar_polls_total{namespace=\"ns\",outcome=\"error\"} 1",
      "exosphere_sidecar_backpressure_waits_total{namespace=\"ns\"} 6",
      "exosphere_sidecar_reports_unsent 11",
      "exosphere_sidecar_reports_total{result=\"delivered\"} 30",
      "exosphere_sidecar_reports_total{result=\"already_applied\"} 2",
      "exosphere_sidecar_reports_total{result=\"rejected\"} 1",
      "exosphere_sidecar_reports_total{result=\"resent\"} 5",
      "exosphere_sidecar_report_retries_total 12",
      "exosphere_sidecar_report_refusals_total{next=\"reported_errored\"} 4",
      "exosphere_sidecar_report_refusals_total{next=\"error_truncated\"} 1",
      "exosphere_sidecar_report_refusals_total{next=\"handed_back\"} 2",
      "exosphere_sidecar_journal_live_entries 13",
      "exosphere_sidecar_journal_write_errors_total 1",
  };
  EXPECT_THAT(samples, IsSupersetOf(expected));
  EXPECT_THAT(page, HasSubstr("# TYPE exosphere_sidecar_workers gauge\n"));
  EXPECT_THAT(page, HasSubstr("# TYPE exosphere_sidecar_polls_total counter\n"));
  EXPECT_THAT(page, HasSubstr("# TYPE exosphere_sidecar_journal_write_errors_total counter\n"));
}

TEST_F(SidecarMetricsTest, JournalMetricsOnlyWithAJournal) {
  const std::string page = Render();
  EXPECT_THAT(page, Not(HasSubstr("exosphere_sidecar_journal_")));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_draining 0\n"));
}

TEST_F(SidecarMetricsTest, FamiliesWithoutSeriesAreLeftOut) {
  const std::string page = Render();
  EXPECT_THAT(page, Not(HasSubstr("exosphere_sidecar_states_dispatched_total")));
  EXPECT_THAT(page, Not(HasSubstr("exosphere_sidecar_polls_total")));
  EXPECT_THAT(page, Not(HasSubstr("exosphere_sidecar_workers")));
  EXPECT_THAT(page, HasSubstr("\nexosphere_sidecar_report_retries_total 0\n"));
}

TEST_F(SidecarMetricsTest, FamiliesAreSortedByNameAndEverySampleHasANumber) {
  metrics_.TaskDispatched("ns", "a", absl::Milliseconds(1));
  metrics_.TaskFinished("ns", "a", SidecarMetrics::Outcome::kExecuted, absl::Seconds(1));
  metrics_.StateManagerRequest("claim", 200, absl::Milliseconds(2));
  snapshot_.pollers["ns"] = {};
  snapshot_.router.by_namespace["ns"] = {};
  snapshot_.journal = JournalStats{};

  const std::string page = Render();
  std::vector<std::string> names;
  for (const std::string& line : LinesStartingWith(page, "# TYPE ")) {
    names.push_back(std::vector<std::string>(absl::StrSplit(line, ' '))[2]);
  }
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(names, sorted);
  EXPECT_THAT(names, IsSupersetOf({"exosphere_sidecar_build_info",
                                   "exosphere_sidecar_dispatch_latency_seconds",
                                   "exosphere_sidecar_task_duration_seconds"}));
  std::vector<std::string> unparsable;
  for (absl::string_view line : absl::StrSplit(page, '\n', absl::SkipEmpty())) {
    if (line.front() == '#') continue;
    double value = 0;
    if (!absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) {
      unparsable.emplace_back(line);
    }
  }
  EXPECT_THAT(unparsable, IsEmpty());
}

TEST_F(SidecarMetricsTest, EqualInputsRenderEqualPages) {
  for (const char* node : {"c", "a", "b", "e", "d"}) {
    metrics_.TaskDispatched("ns", node, absl::Milliseconds(1));
  }
  SidecarMetrics other;
  for (const char* node : {"d", "b", "e", "a", "c"}) {
    other.TaskDispatched("ns", node, absl::Milliseconds(1));
  }
  EXPECT_EQ(Render(), other.Render(snapshot_));
}

}  // namespace
}  // namespace exosphere::sidecar
