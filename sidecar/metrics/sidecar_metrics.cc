#include "sidecar/metrics/sidecar_metrics.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "prometheus/client_metric.h"
#include "prometheus/gauge.h"
#include "prometheus/labels.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"
#include "prometheus/text_serializer.h"

// prometheus-cpp throws std::invalid_argument for an invalid metric or label name, or unsorted
// bucket bounds; every one of those is a constant here, built by each test that makes a
// SidecarMetrics. Label values are not checked: any string is escaped when rendered.
namespace exosphere::sidecar {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using SeriesLabels = std::vector<ClientMetric::Label>;

// 0 for no response (or a status no HTTP server sends), n for nxx.
size_t StatusClassOf(int http_status) {
  return http_status >= 100 && http_status < 1000 ? static_cast<size_t>(http_status / 100) : 0;
}

std::string StatusClassName(size_t status_class) {
  return status_class == 0 ? "error" : absl::StrCat(status_class, "xx");
}

prometheus::Labels FinishedLabels(absl::string_view ns, absl::string_view node,
                                  SidecarMetrics::Outcome outcome) {
  return {{"namespace", std::string(ns)},
          {"node", std::string(node)},
          {"outcome", std::string(OutcomeName(outcome))}};
}

// The families read from a Snapshot are built afresh on each render rather than kept as gauges in
// the registry: a series there would outlive the namespace it counts, and two renders running at
// once would each set it from their own snapshot.
MetricFamily NewFamily(absl::string_view name, absl::string_view help, MetricType type) {
  MetricFamily family;
  family.name = std::string(name);
  family.help = std::string(help);
  family.type = type;
  return family;
}

// `family` must be a counter or a gauge. Label names are in ascending order, as prometheus-cpp
// puts those of the registry's series.
void AddSample(MetricFamily& family, SeriesLabels labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

void AppendIfNotEmpty(MetricFamily family, std::vector<MetricFamily>& out) {
  if (!family.metric.empty()) out.push_back(std::move(family));
}

void AppendGauge(absl::string_view name, absl::string_view help, double value,
                 std::vector<MetricFamily>& out) {
  MetricFamily family = NewFamily(name, help, MetricType::Gauge);
  AddSample(family, {}, value);
  out.push_back(std::move(family));
}

void AppendPollers(const std::map<std::string, PollerStats>& pollers,
                   std::vector<MetricFamily>& out) {
  MetricFamily claimed = NewFamily("exosphere_sidecar_states_claimed_total",
                                   "States claimed from the state manager.", MetricType::Counter);
  MetricFamily polls =
      NewFamily("exosphere_sidecar_polls_total",
                "Claim requests by outcome: full (as many states as asked), partial, empty, error.",
                MetricType::Counter);
  MetricFamily waits = NewFamily(
      "exosphere_sidecar_backpressure_waits_total",
      "Polls skipped because too many reports were waiting to be delivered.", MetricType::Counter);
  for (const auto& [ns, stats] : pollers) {
    AddSample(claimed, {{"namespace", ns}}, static_cast<double>(stats.claimed));
    const std::pair<const char*, uint64_t> outcomes[] = {{"full", stats.full},
                                                         {"partial", stats.partial},
                                                         {"empty", stats.empty},
                                                         {"error", stats.errors}};
    for (const auto& [outcome, count] : outcomes) {
      AddSample(polls, {{"namespace", ns}, {"outcome", outcome}}, static_cast<double>(count));
    }
    AddSample(waits, {{"namespace", ns}}, static_cast<double>(stats.backpressure_waits));
  }
  AppendIfNotEmpty(std::move(claimed), out);
  AppendIfNotEmpty(std::move(polls), out);
  AppendIfNotEmpty(std::move(waits), out);
}

void AppendRouter(const RouterStats& router, std::vector<MetricFamily>& out) {
  MetricFamily workers = NewFamily("exosphere_sidecar_workers",
                                   "Workers registered (their Hello accepted).", MetricType::Gauge);
  MetricFamily slots =
      NewFamily("exosphere_sidecar_slots", "Slots of the connected workers.", MetricType::Gauge);
  MetricFamily busy =
      NewFamily("exosphere_sidecar_busy_slots", "Slots running a task.", MetricType::Gauge);
  MetricFamily free_slots =
      NewFamily("exosphere_sidecar_free_slots", "Slots free for a task.", MetricType::Gauge);
  for (const auto& [ns, stats] : router.by_namespace) {
    AddSample(workers, {{"namespace", ns}}, stats.workers);
    AddSample(slots, {{"namespace", ns}}, static_cast<double>(stats.slots));
    AddSample(busy, {{"namespace", ns}}, static_cast<double>(stats.busy_slots));
    AddSample(free_slots, {{"namespace", ns}},
              static_cast<double>(std::max<int64_t>(0, stats.slots - stats.busy_slots)));
  }
  AppendIfNotEmpty(std::move(workers), out);
  AppendIfNotEmpty(std::move(slots), out);
  AppendIfNotEmpty(std::move(busy), out);
  AppendIfNotEmpty(std::move(free_slots), out);
  AppendGauge("exosphere_sidecar_tasks_in_flight", "Claimed states not yet handed to the reporter.",
              router.tasks_in_flight, out);
  AppendGauge("exosphere_sidecar_orphaned_tasks",
              "Tasks whose worker was lost, waiting for another one.", router.orphaned_tasks, out);
}

void AppendReporter(const ReporterStats& reporter, std::vector<MetricFamily>& out) {
  AppendGauge("exosphere_sidecar_reports_unsent", "Reports decided but not delivered yet.",
              static_cast<double>(reporter.unsent), out);
  MetricFamily reports = NewFamily(
      "exosphere_sidecar_reports_total",
      "Settled reports: delivered, already applied (a retry found it done), rejected (the state "
      "was not QUEUED any more, or even its hand-back was refused), resent after a restart.",
      MetricType::Counter);
  const std::pair<const char*, uint64_t> results[] = {{"delivered", reporter.delivered},
                                                      {"already_applied", reporter.already_applied},
                                                      {"rejected", reporter.rejected},
                                                      {"resent", reporter.resent}};
  for (const auto& [result, count] : results) {
    AddSample(reports, {{"result", result}}, static_cast<double>(count));
  }
  out.push_back(std::move(reports));
  MetricFamily refusals = NewFamily(
      "exosphere_sidecar_report_refusals_total",
      "Reports the state manager refused for good, by what was sent next: an errored report "
      "saying why, the errored message cut short, or the state handed back.",
      MetricType::Counter);
  const std::pair<const char*, uint64_t> next_reports[] = {
      {"reported_errored", reporter.reported_errored_after_refusal},
      {"error_truncated", reporter.error_truncated_after_refusal},
      {"handed_back", reporter.handed_back_after_refusal}};
  for (const auto& [next, count] : next_reports) {
    AddSample(refusals, {{"next", next}}, static_cast<double>(count));
  }
  out.push_back(std::move(refusals));
  MetricFamily retries = NewFamily("exosphere_sidecar_report_retries_total",
                                   "Report attempts that will be retried.", MetricType::Counter);
  AddSample(retries, {}, static_cast<double>(reporter.retries));
  out.push_back(std::move(retries));
}

void AppendJournal(const JournalStats& journal, std::vector<MetricFamily>& out) {
  AppendGauge("exosphere_sidecar_journal_live_entries",
              "Claimed states and undelivered reports recorded in the journal.",
              static_cast<double>(journal.live_entries), out);
  MetricFamily write_errors = NewFamily(
      "exosphere_sidecar_journal_write_errors_total",
      "Failed journal writes (crash recovery is weakened while they happen).", MetricType::Counter);
  AddSample(write_errors, {}, static_cast<double>(journal.write_errors));
  out.push_back(std::move(write_errors));
}

}  // namespace

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* const kBuckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
  return *kBuckets;
}

SidecarMetrics::SidecarMetrics()
    : dispatched_(prometheus::BuildCounter()
                      .Name("exosphere_sidecar_states_dispatched_total")
                      .Help("States sent to a worker (a re-dispatch after a lost worker counts "
                            "again).")
                      .Register(registry_)),
      finished_(prometheus::BuildCounter()
                    .Name("exosphere_sidecar_states_finished_total")
                    .Help("Claimed states that left the sidecar with their one report, by outcome.")
                    .Register(registry_)),
      failed_(prometheus::BuildCounter()
                  .Name("exosphere_sidecar_task_failures_total")
                  .Help("States the sidecar reported errored itself, by reason.")
                  .Register(registry_)),
      requests_(prometheus::BuildCounter()
                    .Name("exosphere_sidecar_state_manager_requests_total")
                    .Help("HTTP requests to the state manager, by endpoint and status class.")
                    .Register(registry_)),
      dispatch_latency_(
          prometheus::BuildHistogram()
              .Name("exosphere_sidecar_dispatch_latency_seconds")
              .Help("From the claim reply to the task being handed to its worker's stream.")
              .Register(registry_)),
      task_duration_(prometheus::BuildHistogram()
                         .Name("exosphere_sidecar_task_duration_seconds")
                         .Help("From sending a task to its worker to the worker's result.")
                         .Register(registry_)),
      request_duration_(prometheus::BuildHistogram()
                            .Name("exosphere_sidecar_state_manager_request_duration_seconds")
                            .Help("Latency of HTTP requests to the state manager.")
                            .Register(registry_)) {
  prometheus::BuildGauge()
      .Name("exosphere_sidecar_build_info")
      .Help("Version of the running sidecar.")
      .Register(registry_)
      .Add({{"version", EXOSPHERE_VERSION}})
      .Set(1);
}

SidecarMetrics::NamespaceSeries& SidecarMetrics::NamespaceSeriesLocked(absl::string_view ns) {
  auto series = namespaces_.find(ns);
  if (series == namespaces_.end()) series = namespaces_.emplace(ns, NamespaceSeries()).first;
  return series->second;
}

SidecarMetrics::NodeSeries& SidecarMetrics::NodeSeriesLocked(NamespaceSeries& in_namespace,
                                                             absl::string_view node) {
  auto series = in_namespace.nodes.find(node);
  if (series == in_namespace.nodes.end()) {
    series = in_namespace.nodes.emplace(node, NodeSeries()).first;
  }
  return series->second;
}

void SidecarMetrics::TaskDispatched(absl::string_view ns, absl::string_view node,
                                    std::optional<absl::Duration> latency) {
  prometheus::Counter* dispatched;
  prometheus::Histogram* dispatch_latency = nullptr;
  {
    absl::MutexLock lock(&series_mu_);
    NamespaceSeries& in_namespace = NamespaceSeriesLocked(ns);
    NodeSeries& series = NodeSeriesLocked(in_namespace, node);
    if (series.dispatched == nullptr) {
      series.dispatched =
          &dispatched_.Add({{"namespace", std::string(ns)}, {"node", std::string(node)}});
    }
    dispatched = series.dispatched;
    if (latency.has_value()) {
      prometheus::Histogram*& handle = in_namespace.dispatch_latency;
      if (handle == nullptr) {
        handle = &dispatch_latency_.Add({{"namespace", std::string(ns)}}, LatencyBuckets());
      }
      dispatch_latency = handle;
    }
  }
  dispatched->Increment();
  if (dispatch_latency != nullptr) dispatch_latency->Observe(absl::ToDoubleSeconds(*latency));
}

void SidecarMetrics::TaskFinished(absl::string_view ns, absl::string_view node, Outcome outcome,
                                  std::optional<absl::Duration> duration) {
  prometheus::Counter* finished;
  prometheus::Histogram* task_duration = nullptr;
  {
    absl::MutexLock lock(&series_mu_);
    NodeSeries& series = NodeSeriesLocked(NamespaceSeriesLocked(ns), node);
    prometheus::Counter*& handle = series.finished[static_cast<size_t>(outcome)];
    if (handle == nullptr) handle = &finished_.Add(FinishedLabels(ns, node, outcome));
    finished = handle;
    if (duration.has_value()) {
      if (series.task_duration == nullptr) {
        series.task_duration = &task_duration_.Add(
            {{"namespace", std::string(ns)}, {"node", std::string(node)}}, LatencyBuckets());
      }
      task_duration = series.task_duration;
    }
  }
  finished->Increment();
  if (task_duration != nullptr) task_duration->Observe(absl::ToDoubleSeconds(*duration));
}

void SidecarMetrics::TaskFailed(absl::string_view ns, absl::string_view node,
                                absl::string_view reason) {
  failed_
      .Add({{"namespace", std::string(ns)},
            {"node", std::string(node)},
            {"reason", std::string(reason)}})
      .Increment();
}

void SidecarMetrics::StateManagerRequest(absl::string_view endpoint, int http_status,
                                         absl::Duration latency) {
  const size_t status_class = StatusClassOf(http_status);
  prometheus::Counter* requests;
  prometheus::Histogram* duration;
  {
    absl::MutexLock lock(&series_mu_);
    auto series = endpoints_.find(endpoint);
    if (series == endpoints_.end()) series = endpoints_.emplace(endpoint, EndpointSeries()).first;
    prometheus::Counter*& count = series->second.requests[status_class];
    if (count == nullptr) {
      count = &requests_.Add(
          {{"endpoint", std::string(endpoint)}, {"status", StatusClassName(status_class)}});
    }
    requests = count;
    if (series->second.duration == nullptr) {
      series->second.duration =
          &request_duration_.Add({{"endpoint", std::string(endpoint)}}, LatencyBuckets());
    }
    duration = series->second.duration;
  }
  requests->Increment();
  duration->Observe(absl::ToDoubleSeconds(latency));
}

uint64_t SidecarMetrics::Finished(absl::string_view ns, absl::string_view node,
                                  Outcome outcome) const {
  const prometheus::Labels labels = FinishedLabels(ns, node, outcome);
  // Add would create the series (shown as 0 from then on); a question must not change the page.
  if (!finished_.Has(labels)) return 0;
  return static_cast<uint64_t>(finished_.Add(labels).Value());
}

std::string SidecarMetrics::Render(const Snapshot& snapshot) const {
  std::vector<MetricFamily> families = registry_.Collect();
  AppendPollers(snapshot.pollers, families);
  AppendRouter(snapshot.router, families);
  AppendReporter(snapshot.reporter, families);
  AppendGauge("exosphere_sidecar_worker_streams", "Worker streams connected.",
              snapshot.worker_streams, families);
  AppendGauge("exosphere_sidecar_draining", "1 while the sidecar drains before exiting.",
              snapshot.draining ? 1 : 0, families);
  if (snapshot.journal.has_value()) AppendJournal(*snapshot.journal, families);

  // The registry lists its series in hash order; sorted, a page is stable and diffable.
  for (MetricFamily& family : families) {
    std::sort(family.metric.begin(), family.metric.end(),
              [](const ClientMetric& a, const ClientMetric& b) { return a.label < b.label; });
  }
  std::sort(families.begin(), families.end(),
            [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace exosphere::sidecar
