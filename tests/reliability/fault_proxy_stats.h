#ifndef EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_STATS_H_
#define EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

#include "tests/reliability/endpoint_kind.h"
#include "tests/reliability/fault_rule.h"

namespace exosphere::reliability {

// How many reports of each kind the upstream answered with 2xx for one state: the reports the
// state manager applied, whatever the client learnt about them.
struct AppliedReports {
  int64_t executed = 0;
  int64_t errored = 0;
  int64_t prune = 0;
  int64_t re_enqueue_after = 0;

  // Reports that finish a state: executed, errored, prune.
  int64_t Finishing() const { return executed + errored + prune; }
};

// How often enqueue responses the upstream answered with 2xx listed one state (a claim the
// state manager applied), and how many of those responses the proxy wrote whole to the client.
// A claim that was never delivered strands its state (QUEUED forever) whatever the client does.
struct ClaimRecord {
  int64_t claimed = 0;
  int64_t delivered = 0;
};

// A snapshot of a FaultProxy's counters (a plain value; copying it is the way to read them).
struct FaultProxyStats {
  int64_t connections_accepted = 0;
  // Client connections open right now.
  int64_t connections_open = 0;
  // Requests answered 502 because the upstream could not be reached or answered unreadably.
  int64_t upstream_failures = 0;
  // Requests received, by (method, endpoint kind).
  std::map<std::pair<std::string, EndpointKind>, int64_t> requests;
  // Responses the upstream gave, by status code.
  std::map<int, int64_t> upstream_statuses;
  std::map<FaultKind, int64_t> faults_by_kind;
  std::map<std::string, int64_t> faults_by_rule;
  // By state id: the reports of that state the upstream answered with 2xx.
  std::map<std::string, AppliedReports> applied_reports;
  // By state id: its claims (see ClaimRecord).
  std::map<std::string, ClaimRecord> claims;

  int64_t Requests(EndpointKind endpoint) const;
  int64_t Requests(absl::string_view method, EndpointKind endpoint) const;
  int64_t Faults(FaultKind kind) const;
  int64_t FaultsOfRule(const std::string& name) const;
  int64_t TotalFaults() const;
  // The applied reports of one state (zeros when none).
  AppliedReports AppliedFor(const std::string& state_id) const;
  // The number of applied reports of `endpoint` (a report kind) over all states.
  int64_t TotalApplied(EndpointKind endpoint) const;
  // States for which the upstream applied more than one executed report: each is a duplicate
  // that a correct sidecar never causes.
  std::vector<std::string> StatesWithDuplicateExecuted() const;
  // States with more than one applied finishing report of any kinds (executed, errored, prune).
  std::vector<std::string> StatesWithMultipleFinishingReports() const;
  // States claimed in a response the client never fully received (the reply was dropped,
  // truncated, replaced by a fault, or the client was gone): no client can know it holds them.
  std::vector<std::string> StatesWithUndeliveredClaims() const;
};

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_STATS_H_
