#include "tests/reliability/fault_proxy_stats.h"

namespace exosphere::reliability {

int64_t FaultProxyStats::Requests(EndpointKind endpoint) const {
  int64_t total = 0;
  for (const auto& [key, count] : requests) {
    if (key.second == endpoint) total += count;
  }
  return total;
}

int64_t FaultProxyStats::Requests(absl::string_view method, EndpointKind endpoint) const {
  auto it = requests.find({std::string(method), endpoint});
  return it == requests.end() ? 0 : it->second;
}

int64_t FaultProxyStats::Faults(FaultKind kind) const {
  auto it = faults_by_kind.find(kind);
  return it == faults_by_kind.end() ? 0 : it->second;
}

int64_t FaultProxyStats::FaultsOfRule(const std::string& name) const {
  auto it = faults_by_rule.find(name);
  return it == faults_by_rule.end() ? 0 : it->second;
}

int64_t FaultProxyStats::TotalFaults() const {
  int64_t total = 0;
  for (const auto& [kind, count] : faults_by_kind) total += count;
  return total;
}

AppliedReports FaultProxyStats::AppliedFor(const std::string& state_id) const {
  auto it = applied_reports.find(state_id);
  return it == applied_reports.end() ? AppliedReports{} : it->second;
}

int64_t FaultProxyStats::TotalApplied(EndpointKind endpoint) const {
  int64_t total = 0;
  for (const auto& [id, reports] : applied_reports) {
    switch (endpoint) {
      case EndpointKind::kExecuted:
        total += reports.executed;
        break;
      case EndpointKind::kErrored:
        total += reports.errored;
        break;
      case EndpointKind::kPrune:
        total += reports.prune;
        break;
      case EndpointKind::kReEnqueueAfter:
        total += reports.re_enqueue_after;
        break;
      default:
        break;
    }
  }
  return total;
}

std::vector<std::string> FaultProxyStats::StatesWithDuplicateExecuted() const {
  std::vector<std::string> ids;
  for (const auto& [id, reports] : applied_reports) {
    if (reports.executed > 1) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> FaultProxyStats::StatesWithMultipleFinishingReports() const {
  std::vector<std::string> ids;
  for (const auto& [id, reports] : applied_reports) {
    if (reports.Finishing() > 1) ids.push_back(id);
  }
  return ids;
}

std::vector<std::string> FaultProxyStats::StatesWithUndeliveredClaims() const {
  std::vector<std::string> ids;
  for (const auto& [id, record] : claims) {
    if (record.delivered < record.claimed) ids.push_back(id);
  }
  return ids;
}

}  // namespace exosphere::reliability
