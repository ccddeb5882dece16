#ifndef EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_JSON_H_
#define EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_JSON_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "sidecar/transport/json_util.h"
#include "tests/reliability/fault_proxy_stats.h"
#include "tests/reliability/fault_rule.h"

// The JSON forms of fault rules and counters used by the fault proxy's control API and its
// rules files. A rule:
//   {"name": "lost-executed", "kind": "drop", "phase": "after_forward", "probability": 0.2,
//    "enabled": true, "max_injections": 0, "methods": ["POST"], "endpoints": ["executed"],
//    "path": "/v0/namespace/*/state/*/executed", "delay_ms": 0, "max_delay_ms": 0,
//    "status": 503}
// Only "kind" is required; the other fields default as in FaultRule.
namespace exosphere::reliability {

// One rule; kInvalidArgument names the field at fault (unknown fields are errors, so that a typo
// does not silently widen a rule). The rule is not validated beyond its fields' types and names.
absl::StatusOr<FaultRule> FaultRuleFromJson(const json::Json& value);
// A rule set: a JSON array of rules, or an object {"rules": [...]}.
absl::StatusOr<std::vector<FaultRule>> FaultRulesFromJson(const json::Json& value);
absl::StatusOr<std::vector<FaultRule>> ParseFaultRules(absl::string_view text);

json::Json FaultRuleToJson(const FaultRule& rule);
// {"rules": [...]}
json::Json FaultRulesToJson(const std::vector<FaultRule>& rules);

// The counters: totals, requests keyed "METHOD endpoint", faults by kind and by rule, upstream
// statuses, applied report totals, the states with duplicate executed reports, the number of
// states claimed and those whose claim never reached the client. With
// `per_state`, also "applied_reports" by state id (large on long runs).
json::Json StatsToJson(const FaultProxyStats& stats, bool per_state);

}  // namespace exosphere::reliability

#endif  // EXOSPHERE_TESTS_RELIABILITY_FAULT_PROXY_JSON_H_
