#include "sidecar/sidecar_metrics.h"

#include "absl/strings/str_cat.h"

namespace exosphere::sidecar {
namespace {

using prometheus::AppendHeader;
using prometheus::AppendSample;

std::string StatusClass(int http_status) {
  if (http_status <= 0) return "error";
  return absl::StrCat(http_status / 100, "xx");
}

void Gauge(std::string& out, absl::string_view name, absl::string_view help, double value) {
  AppendHeader(out, name, help, "gauge");
  AppendSample(out, name, {}, {}, value);
}

}  // namespace

SidecarMetrics::SidecarMetrics()
    : dispatched_("exosphere_sidecar_states_dispatched_total",
                  "States sent to a worker (a re-dispatch after a lost worker counts again).",
                  {"namespace", "node"}),
      finished_("exosphere_sidecar_states_finished_total",
                "Claimed states that left the sidecar with their one report, by outcome.",
                {"namespace", "node", "outcome"}),
      failed_("exosphere_sidecar_task_failures_total",
              "States the sidecar reported errored itself, by reason.",
              {"namespace", "node", "reason"}),
      requests_("exosphere_sidecar_state_manager_requests_total",
                "HTTP requests to the state manager, by endpoint and status class.",
                {"endpoint", "status"}),
      dispatch_latency_("exosphere_sidecar_dispatch_latency_seconds",
                        "From the claim reply to the task being handed to its worker's stream.",
                        {"namespace"}, prometheus::LatencyBuckets()),
      task_duration_("exosphere_sidecar_task_duration_seconds",
                     "From sending a task to its worker to the worker's result.",
                     {"namespace", "node"}, prometheus::LatencyBuckets()),
      request_duration_("exosphere_sidecar_state_manager_request_duration_seconds",
                        "Latency of HTTP requests to the state manager.", {"endpoint"},
                        prometheus::LatencyBuckets()) {}

void SidecarMetrics::TaskDispatched(absl::string_view ns, absl::string_view node,
                                    std::optional<absl::Duration> latency) {
  dispatched_.Add({std::string(ns), std::string(node)});
  if (latency.has_value()) {
    dispatch_latency_.Observe({std::string(ns)}, absl::ToDoubleSeconds(*latency));
  }
}

void SidecarMetrics::TaskFinished(absl::string_view ns, absl::string_view node, Outcome outcome,
                                  std::optional<absl::Duration> duration) {
  finished_.Add({std::string(ns), std::string(node), std::string(OutcomeName(outcome))});
  if (duration.has_value()) {
    task_duration_.Observe({std::string(ns), std::string(node)}, absl::ToDoubleSeconds(*duration));
  }
}

void SidecarMetrics::TaskFailed(absl::string_view ns, absl::string_view node,
                                absl::string_view reason) {
  failed_.Add({std::string(ns), std::string(node), std::string(reason)});
}

void SidecarMetrics::StateManagerRequest(absl::string_view endpoint, int http_status,
                                         absl::Duration latency) {
  requests_.Add({std::string(endpoint), StatusClass(http_status)});
  request_duration_.Observe({std::string(endpoint)}, absl::ToDoubleSeconds(latency));
}

uint64_t SidecarMetrics::Finished(absl::string_view ns, absl::string_view node,
                                  Outcome outcome) const {
  return finished_.Value({std::string(ns), std::string(node), std::string(OutcomeName(outcome))});
}

std::string SidecarMetrics::Render(const Snapshot& snapshot) const {
  std::string out;
  AppendHeader(out, "exosphere_sidecar_build_info", "Version of the running sidecar.", "gauge");
  AppendSample(out, "exosphere_sidecar_build_info", {"version"}, {EXOSPHERE_VERSION}, 1);

  const std::vector<std::string> ns_label = {"namespace"};
  AppendHeader(out, "exosphere_sidecar_states_claimed_total",
               "States claimed from the state manager.", "counter");
  for (const auto& [ns, stats] : snapshot.pollers) {
    AppendSample(out, "exosphere_sidecar_states_claimed_total", ns_label, {ns},
                 static_cast<double>(stats.claimed));
  }
  AppendHeader(out, "exosphere_sidecar_polls_total",
               "Claim requests by outcome: full (as many states as asked), partial, empty, error.",
               "counter");
  for (const auto& [ns, stats] : snapshot.pollers) {
    const std::pair<const char*, uint64_t> outcomes[] = {{"full", stats.full},
                                                         {"partial", stats.partial},
                                                         {"empty", stats.empty},
                                                         {"error", stats.errors}};
    for (const auto& [outcome, count] : outcomes) {
      AppendSample(out, "exosphere_sidecar_polls_total", {"namespace", "outcome"}, {ns, outcome},
                   static_cast<double>(count));
    }
  }
  AppendHeader(out, "exosphere_sidecar_backpressure_waits_total",
               "Polls skipped because too many reports were waiting to be delivered.", "counter");
  for (const auto& [ns, stats] : snapshot.pollers) {
    AppendSample(out, "exosphere_sidecar_backpressure_waits_total", ns_label, {ns},
                 static_cast<double>(stats.backpressure_waits));
  }
  dispatched_.Render(out);
  finished_.Render(out);
  failed_.Render(out);

  Gauge(out, "exosphere_sidecar_worker_streams", "Worker streams connected.",
        snapshot.worker_streams);
  AppendHeader(out, "exosphere_sidecar_workers", "Workers registered (their Hello accepted).",
               "gauge");
  AppendHeader(out, "exosphere_sidecar_slots", "Slots of the connected workers.", "gauge");
  AppendHeader(out, "exosphere_sidecar_busy_slots", "Slots running a task.", "gauge");
  AppendHeader(out, "exosphere_sidecar_free_slots", "Slots free for a task.", "gauge");
  for (const auto& [ns, stats] : snapshot.router.by_namespace) {
    AppendSample(out, "exosphere_sidecar_workers", ns_label, {ns}, stats.workers);
    AppendSample(out, "exosphere_sidecar_slots", ns_label, {ns}, static_cast<double>(stats.slots));
    AppendSample(out, "exosphere_sidecar_busy_slots", ns_label, {ns},
                 static_cast<double>(stats.busy_slots));
    AppendSample(out, "exosphere_sidecar_free_slots", ns_label, {ns},
                 static_cast<double>(std::max<int64_t>(0, stats.slots - stats.busy_slots)));
  }
  Gauge(out, "exosphere_sidecar_tasks_in_flight", "Claimed states not yet handed to the reporter.",
        snapshot.router.tasks_in_flight);
  Gauge(out, "exosphere_sidecar_orphaned_tasks",
        "Tasks whose worker was lost, waiting for another one.", snapshot.router.orphaned_tasks);
  dispatch_latency_.Render(out);
  task_duration_.Render(out);

  requests_.Render(out);
  request_duration_.Render(out);
  Gauge(out, "exosphere_sidecar_reports_unsent", "Reports decided but not delivered yet.",
        static_cast<double>(snapshot.reporter.unsent));
  const std::pair<const char*, uint64_t> reports[] = {
      {"delivered", snapshot.reporter.delivered},
      {"already_applied", snapshot.reporter.already_applied},
      {"rejected", snapshot.reporter.rejected},
      {"resent", snapshot.reporter.resent}};
  AppendHeader(out, "exosphere_sidecar_reports_total",
               "Settled reports: delivered, already applied (a retry found it done), rejected (the "
               "state was not QUEUED any more, or even its hand-back was refused), resent after a "
               "restart.",
               "counter");
  for (const auto& [result, count] : reports) {
    AppendSample(out, "exosphere_sidecar_reports_total", {"result"}, {result},
                 static_cast<double>(count));
  }
  const std::pair<const char*, uint64_t> refusals[] = {
      {"reported_errored", snapshot.reporter.reported_errored_after_refusal},
      {"error_truncated", snapshot.reporter.error_truncated_after_refusal},
      {"handed_back", snapshot.reporter.handed_back_after_refusal}};
  AppendHeader(out, "exosphere_sidecar_report_refusals_total",
               "Reports the state manager refused for good, by what was sent next: an errored "
               "report saying why, the errored message cut short, or the state handed back.",
               "counter");
  for (const auto& [next, count] : refusals) {
    AppendSample(out, "exosphere_sidecar_report_refusals_total", {"next"}, {next},
                 static_cast<double>(count));
  }
  AppendHeader(out, "exosphere_sidecar_report_retries_total",
               "Report attempts that will be retried.", "counter");
  AppendSample(out, "exosphere_sidecar_report_retries_total", {}, {},
               static_cast<double>(snapshot.reporter.retries));

  Gauge(out, "exosphere_sidecar_draining", "1 while the sidecar drains before exiting.",
        snapshot.draining ? 1 : 0);
  if (snapshot.journal.has_value()) {
    Gauge(out, "exosphere_sidecar_journal_live_entries",
          "Claimed states and undelivered reports recorded in the journal.",
          static_cast<double>(snapshot.journal->live_entries));
    AppendHeader(out, "exosphere_sidecar_journal_write_errors_total",
                 "Failed journal writes (crash recovery is weakened while they happen).",
                 "counter");
    AppendSample(out, "exosphere_sidecar_journal_write_errors_total", {}, {},
                 static_cast<double>(snapshot.journal->write_errors));
  }
  return out;
}

}  // namespace exosphere::sidecar
